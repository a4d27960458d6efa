/*
 * model: the migration history's view of the schema, updated statement by
 * statement: tables, their columns (with types), constraints (and whether
 * validated), indexes, which objects this history created, and the session
 * state that matters for locking (transaction, lock_timeout, ...).
 *
 * Names are stored as PostgreSQL resolves them: unquoted identifiers are
 * already lower-cased by the parser; an unqualified name is in "public".
 */
#ifndef PGS_MODEL_H
#define PGS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/strmap.h"

struct pgs_column {
	const char *name;
	const char *type;      /* last name of the type, e.g. "int4", "varchar", "my_domain" */
	const char *collation; /* explicit COLLATE, or NULL */
	int32_t mods[2];       /* typmod arguments, e.g. varchar(20) -> {20} */
	int n_mods;
	bool is_array;
	bool not_null;
	bool has_default;
	char generates; /* 'i' an identity column, 's' a generated one, 0 neither */
	unsigned created_in; /* file number that added it, 0 before the history */
};

enum pgs_constraint_kind {
	PGS_CON_CHECK,
	PGS_CON_FOREIGN_KEY,
	PGS_CON_UNIQUE,
	PGS_CON_PRIMARY_KEY,
	PGS_CON_EXCLUSION,
};

struct pgs_constraint {
	const char *name;
	enum pgs_constraint_kind kind;
	bool validated;
	const char *not_null_column; /* CHECK (col IS NOT NULL): that column */
	const char *referenced;	     /* foreign keys: "schema.table" */
	const char **columns;	     /* key / foreign key columns; CHECK: the columns it reads */
	size_t n_columns;
	const char *index;		 /* UNIQUE / PRIMARY KEY: the index that backs it */
	const char **referenced_columns; /* foreign keys: the referenced columns; NULL when
					  * omitted (the referenced table's primary key) */
	size_t n_referenced_columns;
	char delete_action, update_action; /* foreign keys: pg_constraint.confdeltype/confupdtype
					    * ('a' no action, 'r', 'c', 'n', 'd') */
	char match_type;		   /* foreign keys: 's' simple, 'f' full, 'p' partial */
	bool deferrable, initially_deferred;
	/* UNIQUE / PRIMARY KEY: INCLUDE, WITH (...), USING INDEX TABLESPACE or NULLS
	 * NOT DISTINCT; foreign keys: ON DELETE SET NULL (cols). The model does not
	 * keep them */
	bool key_options;
	unsigned created_in;		   /* file number that added it, 0 before the history */
	unsigned txn_id;		   /* transaction that added it (pgs_model.txn_id) */
	uint32_t offset;		   /* start of the statement that added it, in its file */
	bool no_inherit; /* CHECK ... NO INHERIT: partitions and children lack it */
	bool dropped;
};

/* A relation a query reads. */
struct pgs_read {
	const char *relation; /* "schema.name" */
	bool whole;	      /* read in full: the query's only FROM item, no WHERE or LIMIT */
};

struct pgs_table {
	const char *key; /* "schema.name" */
	const char *schema, *name;
	unsigned created_in; /* file number (1-based) of the CREATE, 0 when it existed before */
	/* columns and constraints may be missing: first seen in an ALTER (it
	 * existed before the history), or created with LIKE, OF type or AS SELECT */
	bool partial;
	char kind;	    /* 'r' table, 'p' partitioned table, 'v' view, 'm' materialized view,
			     * 'f' foreign table */
	const char *parent; /* partitions: the parent's key */
	/* partitioned tables: 'r' range, 'l' list, 'h' hash; and the key's column
	 * when the key is that one plain column (NULL: an expression, several) */
	char partition_strategy;
	const char *partition_column;
	bool is_default_partition;
	const char **inherits; /* INHERITS parents (partitions have parent instead) */
	size_t n_inherits;
	struct pgs_read *reads; /* views and materialized views: what their query reads */
	size_t n_reads;
	bool unlogged;
	bool temporary;	     /* CREATE TEMP TABLE: gone at the end of the session */
	uint32_t offset;     /* start of the statement that created it, in its file */
	unsigned touched_in; /* last file that created, altered or indexed it */
	struct pgs_column *columns;
	size_t n_columns, cap_columns;
	struct pgs_constraint *constraints;
	size_t n_constraints, cap_constraints;
	/* columns and live constraints by name (index + 1), kept once the table
	 * has many of them, so lookups don't walk them all */
	struct pgs_strmap column_names, constraint_names;
	/* indexes ever put on this table (pgs_model_each_index_of skips those since
	 * dropped or moved), so lookups by table cost the table's own indexes only */
	struct pgs_index **indexes;
	size_t n_indexes, cap_indexes;
	size_t first_index; /* indexes before it are no longer the table's */
	bool has_children;  /* a partition or inheritance child was ever attached */
	bool referenced;    /* a foreign key ever referenced it */
	bool row_triggers;  /* a FOR EACH ROW trigger was ever created on it */
	/* pgs_model.txn_id of the transaction that (0: none) ... */
	unsigned write_locked_txn; /* holds a lock on it that keeps other sessions' writes out */
	unsigned emptied_txn;	   /* emptied it: TRUNCATE, or DELETE without WHERE under such
				    * a lock; nothing inserted since */
	unsigned deleted_all_txn;  /* deleted every row without such a lock: other sessions
				    * may have inserted rows since */
};

struct pgs_index {
	const char *key;   /* "schema.name" */
	const char *table; /* table key */
	/* Known by name only: an index from before the history that ADD ... USING
	 * INDEX named. Its columns, method, WHERE clause and options are unknown:
	 * n_columns is 0, method is NULL; readers must not take that for "none". */
	bool unknown;
	bool unique;
	bool partial;	      /* has a WHERE clause */
	const char **columns; /* plain column keys in order; NULL entries are expressions */
	size_t n_columns;
	const char *method; /* access method: "btree", "gin", ...; NULL when unknown */
	bool custom_keys;   /* a key column has an explicit opclass, collation or order */
	bool has_include;   /* INCLUDE (...) columns */
	/* WITH (...), TABLESPACE or NULLS NOT DISTINCT, which the model does not keep */
	bool has_options;
	unsigned created_in;
	uint32_t offset;	     /* start of the statement that created it, in its file */
	struct pgs_table *listed_on; /* the table whose index list holds it */
};

/* A domain: whether values must pass a CHECK (adding a column of it rewrites). */
struct pgs_domain {
	const char *key; /* "schema.name" */
	const char *base_type;
	bool has_check;
};

/* A session setting as the migration left it (SET / SET LOCAL / RESET / set_config). */
struct pgs_setting {
	const char *value; /* NULL: not set in this file (the server's default applies) */
	bool local;	   /* SET LOCAL: ends with the transaction */
	uint32_t offset;   /* where it was set */
};

struct pgs_settings {
	struct pgs_setting lock_timeout, statement_timeout, timezone;
};

/* An enum value added by ALTER TYPE ... ADD VALUE in the history. */
struct pgs_enum_value {
	const char *type; /* "schema.name" */
	const char *value;
	unsigned txn_id; /* it can't be used before that transaction commits */
	uint32_t offset;
	unsigned file_number;
};

struct pgs_model {
	struct pgs_arena arena; /* owns every name and object, for the whole run */
	struct pgs_strmap tables, indexes, domains;
	unsigned file_number; /* the file being linted (1-based), 0 for context files */
	unsigned txn_id;      /* current transaction; each autocommit statement is one */
	uint32_t offset;      /* start of the statement pgs_model_apply is applying */
	struct pgs_settings settings;
	struct pgs_enum_value *enum_values; /* ALTER TYPE ... ADD VALUE, in order */
	size_t n_enum_values, cap_enum_values;
	/* What the current file created, altered or indexed, so end-of-file
	 * rules don't walk the whole schema; may hold objects dropped since. */
	struct pgs_table **touched;
	size_t n_touched, cap_touched;
	struct pgs_index **new_indexes;
	size_t n_new_indexes, cap_new_indexes;
	/* tables whose column_names / constraint_names are kept (to release them) */
	struct pgs_table **mapped;
	size_t n_mapped, cap_mapped;
	/* the tables that reference a key with a foreign key, that are a
	 * partition or child of a key, or that have a column of a type name
	 * (each a list, by key; it may hold tables that no longer do): the
	 * searches for them cost those tables, not the whole schema */
	struct pgs_strmap referencing, children, typed;
	struct pgs_strmap readers; /* relation key -> views and materialized views reading it */
	struct pgs_strmap relations; /* the pairs already listed in referencing and children */
	struct pgs_strmap defaults;  /* parent key -> its latest DEFAULT partition */
	/* the pass an unnamed constraint's name search ended at, by its first
	 * candidate: valid while no name was freed (names_freed unchanged) */
	struct pgs_strmap name_hints;
	unsigned long names_freed;
};

/* A new file starts a new session: settings are forgotten. */
void pgs_model_begin_file(struct pgs_model *model, unsigned file_number);

/* A transaction ended: SET LOCAL values are gone. */
void pgs_model_end_transaction(struct pgs_model *model);

/*
 * The current transaction holds a lock on the table with that key that
 * conflicts with ROW EXCLUSIVE (SHARE or stronger): until it ends, no other
 * session writes to it. The engine says so from each statement's effects.
 */
void pgs_model_note_write_lock(struct pgs_model *model, const char *key);

/*
 * Whether the current transaction has emptied the table: a TRUNCATE (its
 * ACCESS EXCLUSIVE keeps everyone out until the end), or a DELETE without
 * WHERE while it held a lock that keeps other sessions' writes out; and
 * nothing was inserted into it since. Then a statement that fails on any
 * existing row (ADD COLUMN ... NOT NULL without a default) can't.
 */
bool pgs_model_table_emptied(const struct pgs_model *model, const struct pgs_table *t);

/*
 * Whether the current transaction deleted every row of the table (DELETE
 * without WHERE) but let other sessions write to it: rows they insert and
 * commit before the next lock is granted are there again.
 */
bool pgs_model_table_deleted_unlocked(const struct pgs_model *model, const struct pgs_table *t);

void pgs_model_init(struct pgs_model *model);
void pgs_model_release(struct pgs_model *model);

/* "schema.name" for a RangeVar (public when unqualified), in the model's arena. */
const char *pgs_model_key(struct pgs_model *model, const PgQuery__RangeVar *rv);

/* The table a RangeVar names, or NULL when the history doesn't know it. */
struct pgs_table *pgs_model_table(struct pgs_model *model, const PgQuery__RangeVar *rv);

struct pgs_column *pgs_table_column(struct pgs_table *table, const char *name);

/* The constraint of the table with that name (not dropped), or NULL. */
struct pgs_constraint *pgs_table_constraint(struct pgs_table *table, const char *name);

/*
 * Whether a validated CHECK (col IS NOT NULL) on the table proves the column
 * has no NULLs (what lets SET NOT NULL skip its scan from PostgreSQL 12).
 */
bool pgs_table_has_valid_not_null_check(struct pgs_table *table, const char *column);

/*
 * The same, counting the CHECKs a partition or inheritance child has from
 * its ancestors (every CHECK without NO INHERIT is copied to them, and
 * VALIDATE on the parent validates the copies).
 */
bool pgs_model_has_valid_not_null_check(struct pgs_model *model, struct pgs_table *table,
					const char *column);

/*
 * Whether an index of the table covers the column: 1 yes, 0 no, -1 can't
 * tell (an expression or partial index, or a table first seen in an ALTER,
 * whose indexes from before the history are unknown).
 */
int pgs_model_column_indexed(struct pgs_model *model, const struct pgs_table *table,
			     const char *column);

/*
 * Whether foreign key fk (of any table) references this column of table:
 * 1 yes, 0 no, -1 can't tell (fk references the primary key of table, which
 * the history doesn't know).
 */
int pgs_foreign_key_references_column(const struct pgs_constraint *fk,
				      const struct pgs_table *table, const char *column);

/*
 * Calls fn(data, index key, struct pgs_index *) for every index of the table
 * with that key (the callback shape of pgs_strmap_each).
 */
void pgs_model_each_index_of(struct pgs_model *model, const char *table,
			     void (*fn)(void *data, const char *key, void *value), void *data);

/* One index of the table with that key (the first listed), or NULL. */
struct pgs_index *pgs_model_first_index_of(struct pgs_model *model, const char *table);

/* Whether name is one of names[0..n) (NULL entries never match). */
bool pgs_names_contain(const char *const *names, size_t n, const char *name);

/*
 * Whether a table or index of the table's schema, or a constraint of the
 * table, has that name, as far as the history knows: what PostgreSQL checks
 * before it picks a name for a constraint's index (it checks constraints of
 * every table of the schema; other tables' CHECK and foreign key names
 * rarely look like index names, and looking through every table for each
 * constraint would make long histories slow).
 */
bool pgs_model_name_taken(struct pgs_model *model, struct pgs_table *table, const char *name);

/*
 * PostgreSQL's name for an unnamed UNIQUE (primary false) or PRIMARY KEY
 * constraint of table on columns (keys, then INCLUDE columns; NULL for an
 * expression): table_cols_key or table_pkey (ChooseIndexName), with 1, 2,
 * ... after the label while the name is taken. In the model's arena.
 */
const char *pgs_model_index_constraint_name(struct pgs_model *model, struct pgs_table *table,
					    bool primary, const char *const *columns, size_t n);

/* The index of that key ("schema.name"), or NULL. */
struct pgs_index *pgs_model_index(struct pgs_model *model, const char *key);

/* The domain a type name denotes, or NULL when it is not a known domain. */
struct pgs_domain *pgs_model_domain(struct pgs_model *model, const PgQuery__TypeName *tn);
/* The domain a column's type names ("name" in the default schema, or "schema.name"), or NULL. */
struct pgs_domain *pgs_model_domain_named(struct pgs_model *model, const char *name);

/*
 * Calls fn for every table the current file created, altered or indexed
 * and that still exists, in the order the file first touched them.
 */
void pgs_model_each_touched_table(struct pgs_model *model,
				  void (*fn)(void *data, struct pgs_table *t), void *data);

/*
 * Cheap guards for the searches that walk every table: false when the table
 * is known never to have had a partition or child / a foreign key to it.
 */
bool pgs_model_may_have_children(struct pgs_model *model, const char *key);
bool pgs_model_may_be_referenced(struct pgs_model *model, const char *key);

/* Calls fn for every known table; order is unspecified. */
void pgs_model_each_table(struct pgs_model *model, void (*fn)(void *data, struct pgs_table *t),
			  void *data);

/*
 * Calls fn for every partition and inheritance child of the table with that
 * key (direct children only), in the order they became one.
 */
void pgs_model_each_child(struct pgs_model *model, const char *key,
			  void (*fn)(void *data, struct pgs_table *child), void *data);

/* The DEFAULT partition of the table with that key, or NULL (none known). */
struct pgs_table *pgs_model_default_partition(struct pgs_model *model, const char *key);

/*
 * Calls fn for the tables that have (or had) a foreign key referencing the
 * table with that key, each once, in the order they got one; fn checks
 * their constraints. Costs those tables only.
 */
void pgs_model_each_referencing(struct pgs_model *model, const char *key,
				void (*fn)(void *data, struct pgs_table *t), void *data);

/*
 * Calls fn for the tables that have (or had) a column of a type with that
 * last name (a table may come more than once); fn checks their columns.
 */
void pgs_model_each_typed(struct pgs_model *model, const char *type_name,
			  void (*fn)(void *data, struct pgs_table *t), void *data);

/*
 * Calls fn for the views and materialized views whose query read the
 * relation key when they were (re)defined (a table may come more than once).
 */
void pgs_model_each_reader(struct pgs_model *model, const char *key,
			   void (*fn)(void *data, struct pgs_table *t), void *data);

/*
 * Calls fn for every relation a query reads (FROM, JOIN, sub-selects; WITH
 * names are not relations), with whether it is read in full: it is the only
 * FROM item of a SELECT without WHERE or LIMIT. The plan decides the rest,
 * so those are not "whole".
 */
void pgs_query_reads(const PgQuery__Node *query,
		     void (*fn)(void *data, const PgQuery__RangeVar *rv, bool whole), void *data);

/* "schema.name" from a list of String nodes (public when unqualified), or NULL. */
const char *pgs_model_key_from_names(struct pgs_model *model, PgQuery__Node **names, size_t n);

/* The key of one object a DROP statement names (a name list), or NULL for other forms. */
const char *pgs_model_key_of_dropped(struct pgs_model *model, const PgQuery__Node *obj);

/* Record what a parsed statement does to the schema and the session (after rules saw it). */
void pgs_model_apply(struct pgs_model *model, const PgQuery__Node *stmt, uint32_t offset);

/* The last name of a TypeName, or "" when it has none. */
const char *pgs_type_name_last(const PgQuery__TypeName *tn);

/* The string value of a String node, or NULL. */
const char *pgs_node_string(const PgQuery__Node *node);

#endif
