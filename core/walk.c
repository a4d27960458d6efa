#include "core/walk.h"

#include <stddef.h>
#include <stdint.h>

static void walk_any(const ProtobufCMessage *msg,
		     bool (*visit)(void *data, const PgQuery__Node *node), void *data);

static void walk_field_value(const ProtobufCMessage *child,
			     bool (*visit)(void *data, const PgQuery__Node *node), void *data)
{
	if (child)
		walk_any(child, visit, data);
}

static void walk_any(const ProtobufCMessage *msg,
		     bool (*visit)(void *data, const PgQuery__Node *node), void *data)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;

	if (desc == &pg_query__node__descriptor && !visit(data, (const PgQuery__Node *)msg))
		return;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		const char *base = (const char *)msg;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
			if (which != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t k = 0; k < n; k++)
				walk_field_value(items[k], visit, data);
		} else {
			walk_field_value(*(ProtobufCMessage *const *)(base + f->offset), visit, data);
		}
	}
}

void pgs_walk(const PgQuery__Node *node, bool (*visit)(void *data, const PgQuery__Node *node),
	      void *data)
{
	if (node)
		walk_any(&node->base, visit, data);
}

void pgs_walk_message(const ProtobufCMessage *msg,
		      bool (*visit)(void *data, const PgQuery__Node *node), void *data)
{
	if (msg)
		walk_any(msg, visit, data);
}
