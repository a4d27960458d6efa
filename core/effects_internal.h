/*
 * effects_internal: helpers shared by the effects files (effects.c for most
 * statements, effects_alter.c for ALTER TABLE). Not for rules.
 */
#ifndef PGS_EFFECTS_INTERNAL_H
#define PGS_EFFECTS_INTERNAL_H

#include "core/effects.h"
#include "core/strmap.h"

struct pgs_fx {
	struct pgs_effects *out;
	struct pgs_arena *arena;
	struct pgs_model *model;
	int pg_version;
	/* ALTER TABLE recursing to a partition or child: the table the statement
	 * names, whose columns and constraints the child inherited */
	struct pgs_table *alter_root;
	/* relation -> position + 1 of its effect in out */
	struct pgs_strmap touched;
	/* table key -> struct leading_columns (effects.c), for this statement */
	struct pgs_strmap leading;
};

/* The effect on relation (a "schema.name" key), added with no lock when new. */
struct pgs_effect *pgs_fx_touch(struct pgs_fx *fx, const char *relation);
struct pgs_effect *pgs_fx_touch_rv(struct pgs_fx *fx, const PgQuery__RangeVar *rv);

/* Raise the effect's lock to at least lock. */
void pgs_fx_lock(struct pgs_effect *e, enum pgs_lock lock);

/* Lock the relation at least in this mode; returns its effect. */
struct pgs_effect *pgs_fx_lock_key(struct pgs_fx *fx, const char *relation, enum pgs_lock lock);

/* Mark a rewrite (implies index rebuild and a full pass) or a full scan. */
void pgs_fx_rewrite(struct pgs_effect *e, enum pgs_effect_cause cause, const char *culprit);
void pgs_fx_scan(struct pgs_effect *e, enum pgs_effect_cause cause, const char *culprit);

/* ALTER TABLE (and ALTER INDEX / VIEW / MATERIALIZED VIEW / FOREIGN TABLE). */
void pgs_fx_alter_table(struct pgs_fx *fx, const PgQuery__AlterTableStmt *as);

/* Lock every partition of parent the model knows (and mark it scanned, for index builds). */
/* A foreign key's validation reading the referenced table (the planner decides how: assumed). */
void pgs_fx_fk_validation_read(struct pgs_effect *referenced, const char *constraint);
/* The tables t's foreign keys reference, locked (and read as validation does, when validate). */
void pgs_fx_lock_referenced(struct pgs_fx *fx, struct pgs_table *t, enum pgs_lock lock,
			    bool validate);
void pgs_fx_lock_partitions(struct pgs_fx *fx, const char *parent, enum pgs_lock lock, bool scan);

/*
 * Calls fn for every partition and inheritance child of the table with that
 * key, and theirs, recursively (a bounded depth).
 */
void pgs_fx_each_descendant(struct pgs_fx *fx, const char *key,
			    void (*fn)(struct pgs_fx *fx, struct pgs_table *t, void *data),
			    void *data);

/* The foreign keys of other tables that reference table (for DROP / TRUNCATE spill-over). */
void pgs_fx_lock_referencing(struct pgs_fx *fx, const char *table, enum pgs_lock lock);

#endif
