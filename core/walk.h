/*
 * walk: visit every node of a parse tree, driven by protobuf-c's field
 * descriptors, so code that looks for "every table referenced" or "every
 * function called" doesn't need a case per node type.
 */
#ifndef PGS_WALK_H
#define PGS_WALK_H

#include <stdbool.h>

#include <pg_query/pg_query.pb-c.h>

/*
 * Call visit for node and every Node below it, parents first. When visit
 * returns false the node's children are skipped.
 */
void pgs_walk(const PgQuery__Node *node, bool (*visit)(void *data, const PgQuery__Node *node),
	      void *data);

/* The same for any message (e.g. a RangeVar or a statement struct). */
void pgs_walk_message(const ProtobufCMessage *msg,
		      bool (*visit)(void *data, const PgQuery__Node *node), void *data);

#endif
