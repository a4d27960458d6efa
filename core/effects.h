/*
 * effects: what a statement does to each relation it touches: the lock mode
 * it takes, whether it rewrites the table, rebuilds indexes or scans the
 * whole table, for a given PostgreSQL major version. The one place that
 * knows PostgreSQL's behaviour: rules, explain and the planner all ask here.
 */
#ifndef PGS_EFFECTS_H
#define PGS_EFFECTS_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/model.h"

enum pgs_lock {
	PGS_LOCK_NONE,
	PGS_LOCK_ACCESS_SHARE,
	PGS_LOCK_ROW_SHARE,
	PGS_LOCK_ROW_EXCLUSIVE,
	PGS_LOCK_SHARE_UPDATE_EXCLUSIVE,
	PGS_LOCK_SHARE,
	PGS_LOCK_SHARE_ROW_EXCLUSIVE,
	PGS_LOCK_EXCLUSIVE,
	PGS_LOCK_ACCESS_EXCLUSIVE,
};

/* Why a table is rewritten or scanned, for messages. */
enum pgs_effect_cause {
	PGS_CAUSE_NONE,
	PGS_CAUSE_VOLATILE_DEFAULT,
	PGS_CAUSE_DEFAULT_BEFORE_11,
	PGS_CAUSE_SERIAL,
	PGS_CAUSE_IDENTITY,
	PGS_CAUSE_GENERATED,
	PGS_CAUSE_DOMAIN_CHECK,
	PGS_CAUSE_NOT_NULL_SCAN,
	PGS_CAUSE_CHECK_SCAN,
	PGS_CAUSE_INDEX_BUILD,
	PGS_CAUSE_TYPE_CHANGE,
	PGS_CAUSE_OTHER,
};

struct pgs_effect {
	const char *relation; /* "schema.name" */
	enum pgs_lock lock;
	bool rewrite, reindex, scan;
	bool is_new;  /* created earlier in this migration history */
	bool assumed; /* the input lacked facts, or the query plan decides: the conservative answer */
	enum pgs_effect_cause cause;
	const char *culprit; /* e.g. the volatile function of a default */
};

struct pgs_effects {
	struct pgs_effect *items;
	size_t n, cap;
	bool no_transaction;	    /* the statement can't run in a transaction block */
	/* CREATE ... IF NOT EXISTS of a relation or index the model knows, or
	 * ADD COLUMN IF NOT EXISTS of columns it knows: the server takes the
	 * locks listed, then does nothing */
	bool skipped;
	struct pgs_effect **sorted; /* the items by relation (pgs_effects_find) */
};

/*
 * Compute the effects of stmt against the model's state before it runs, for
 * PostgreSQL major version pg_version. Allocates in arena.
 */
void pgs_effects_compute(struct pgs_effects *out, struct pgs_arena *arena, struct pgs_model *model,
			 const PgQuery__Node *stmt, int pg_version);

/*
 * What adding one column (an ADD COLUMN definition) does to the rows already
 * in the table, for PostgreSQL major version pg_version. The effects of the
 * whole statement combine these; rules use them to point at one column.
 */
struct pgs_column_add {
	bool rewrite;		     /* every row gets a computed value: table rewritten */
	enum pgs_effect_cause cause; /* why: SERIAL, IDENTITY, GENERATED, DOMAIN_CHECK,
				      * VOLATILE_DEFAULT or DEFAULT_BEFORE_11 */
	const char *culprit;	     /* the serial type, domain or volatile function */
	bool assumed;		     /* a function of unknown volatility */
	/* NOT NULL (or PRIMARY KEY) with nothing to fill existing rows: every
	 * row violates it, so it fails unless the table is empty */
	bool needs_value;
	/* a REFERENCES checked against every existing row: the column gets a
	 * value (any DEFAULT, even DEFAULT NULL, serial or GENERATED ... STORED);
	 * without one (or with IDENTITY) PostgreSQL marks it valid unchecked */
	bool validates_fk;
	/* DEFAULT NULL and nothing else fills it: existing rows get NULL (its
	 * foreign key's validation reads the table, looks up nothing) */
	bool null_default;
};

/* cmd is an AT_AddColumn action on table (NULL when the model doesn't know it). */
struct pgs_column_add pgs_effects_add_column(struct pgs_model *model, struct pgs_arena *arena,
					     struct pgs_table *table,
					     const PgQuery__AlterTableCmd *cmd, int pg_version);

/*
 * What ALTER COLUMN ... TYPE does for one column of table (NULL when the
 * model doesn't know the table).
 */
struct pgs_column_retype {
	bool rewrite;	     /* the table and all its indexes are rewritten */
	bool reindex;	     /* without a rewrite: the indexes on the column are rebuilt */
	bool assumed;	     /* the answer is conservative: facts were missing */
	bool old_type_known; /* the model knows the column's current type */
	const char *why;     /* type_change's reason, a static string */
	/* without a rewrite: a CHECK constraint reading the column, re-validated
	 * by a full scan (NULL when none) */
	const char *rechecked;
};

struct pgs_column_retype pgs_effects_alter_column_type(struct pgs_model *model,
						       struct pgs_table *table,
						       const PgQuery__AlterTableCmd *cmd,
						       int pg_version);

/* The effect on one relation, or NULL when the statement doesn't touch it. */
const struct pgs_effect *pgs_effects_find(const struct pgs_effects *fx, const char *relation);

/*
 * Whether a DefElem option list (REINDEX (CONCURRENTLY [bool]), VACUUM (FULL),
 * ...) turns name on: present without a value, or with a true one.
 */
bool pgs_option_on(PgQuery__Node **opts, size_t n, const char *name);

/* PostgreSQL's name for a lock mode: "ACCESS EXCLUSIVE", ... */
const char *pgs_lock_name(enum pgs_lock lock);

/* What the lock stops other sessions doing: "reads and writes", "writes", ... or NULL. */
const char *pgs_lock_blocks(enum pgs_lock lock);

/* Whether two lock modes conflict (PostgreSQL's table-level conflict table). */
bool pgs_lock_conflicts(enum pgs_lock a, enum pgs_lock b);

/* Kinds of work other sessions do on a table, each with the lock it takes. */
struct pgs_lock_user {
	const char *name; /* stable id: "reads", "row-locks", "writes", ... */
	enum pgs_lock lock;
};
extern const struct pgs_lock_user pgs_lock_users[];
extern const size_t pgs_n_lock_users;

#endif
