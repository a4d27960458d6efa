/*
 * tool_order: the order of migrations that a tool's own file says, not their
 * names: sqitch.plan for sqitch, meta/_journal.json for drizzle. Files the
 * plan or journal does not name are listed after the named ones (in name
 * order), each with a warning, never dropped silently; names whose file is
 * missing are warned about too.
 */
#ifndef PGS_TOOL_ORDER_H
#define PGS_TOOL_ORDER_H

#include <stdbool.h>
#include <stddef.h>

struct pgs_ordered {
	char **paths; /* heap, in apply order */
	size_t n, cap;
	char **warnings; /* heap, one line each */
	size_t n_warnings, cap_warnings;
};

void pgs_ordered_release(struct pgs_ordered *o);

/*
 * dir holds a sqitch.plan: its deploy/ scripts in plan order (with down, its
 * revert/ scripts, in plan order too: the caller reverses). A change reworked
 * later in the plan is deploy/<change>@<tag>.sql, the tag being the first
 * after it. verify/ scripts are not migrations. False when there is no plan.
 */
bool pgs_order_sqitch(struct pgs_ordered *out, const char *dir, bool down);

/*
 * dir holds meta/_journal.json: the <tag>.sql files of its entries, in
 * journal order. False when there is no journal; a journal that is not the
 * JSON drizzle writes is a warning, and the files are then in name order.
 */
bool pgs_order_drizzle(struct pgs_ordered *out, const char *dir);

#endif
