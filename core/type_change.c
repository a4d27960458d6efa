#include "core/type_change.h"

#include <string.h>
#include <strings.h>

#include "core/pgdata/pgdata.h"

struct typ {
	const char *name;
	int32_t mods[2];
	int n_mods;
	bool is_array;
	const char *collation;
};

/* serial types are integer columns with a sequence default */
static const char *storage_type(const char *type)
{
	if (strcmp(type, "serial") == 0 || strcmp(type, "serial4") == 0)
		return "int4";
	if (strcmp(type, "bigserial") == 0 || strcmp(type, "serial8") == 0)
		return "int8";
	if (strcmp(type, "smallserial") == 0 || strcmp(type, "serial2") == 0)
		return "int2";
	return type;
}

static struct typ from_column(const struct pgs_column *c)
{
	struct typ t = {storage_type(c->type), {c->mods[0], c->mods[1]}, c->n_mods, c->is_array,
			c->collation};
	return t;
}

static struct typ from_def(const PgQuery__ColumnDef *def)
{
	struct typ t = {pgs_type_name_last(def->type_name), {0, 0}, 0, false, NULL};
	const PgQuery__TypeName *tn = def->type_name;

	t.is_array = tn && tn->n_array_bounds > 0;
	for (size_t i = 0; tn && i < tn->n_typmods && t.n_mods < 2; i++) {
		const PgQuery__Node *m = tn->typmods[i];
		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			t.mods[t.n_mods++] = m->a_const->ival->ival;
	}
	const PgQuery__CollateClause *cc = def->coll_clause;
	if (cc && cc->n_collname)
		t.collation = pgs_node_string(cc->collname[cc->n_collname - 1]);
	return t;
}

static bool same_collation(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	return strcmp(a, b) == 0;
}

/* USING that leaves values as they are: the column itself, or a cast of it. */
static bool using_keeps_values(const PgQuery__Node *expr, const char *column)
{
	while (expr && expr->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		expr = expr->type_cast->arg;
	if (!expr || expr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	const PgQuery__ColumnRef *cr = expr->column_ref;
	const char *name = cr->n_fields ? pgs_node_string(cr->fields[cr->n_fields - 1]) : NULL;
	return name && strcmp(name, column) == 0;
}

static bool is_utc(const char *tz)
{
	static const char *const utc[] = {"utc", "etc/utc", "gmt", "etc/gmt", "z", "zulu",
					  "universal", "etc/universal", "uct", "etc/uct",
					  "gmt0", "etc/gmt0", "greenwich"};

	for (size_t i = 0; i < sizeof(utc) / sizeof(utc[0]); i++)
		if (strcasecmp(tz, utc[i]) == 0)
			return true;
	return false;
}

static struct pgs_type_change result(bool rewrite, bool reindex, bool assumed, const char *why)
{
	struct pgs_type_change r = {rewrite, rewrite || reindex, assumed, false, why};
	return r;
}

static struct pgs_type_change converting(struct pgs_type_change r)
{
	r.converts = true;
	return r;
}

/* Same base type, different typmod: which typmod changes need no rewrite. */
static struct pgs_type_change typmod_change(const struct typ *o, const struct typ *n)
{
	const char *t = o->name;

	if (o->n_mods == n->n_mods &&
	    (o->n_mods == 0 || (o->mods[0] == n->mods[0] && (o->n_mods < 2 || o->mods[1] == n->mods[1]))))
		return result(false, false, false, "same type");
	if (strcmp(t, "varchar") == 0 || strcmp(t, "varbit") == 0) {
		if (n->n_mods == 0 || (o->n_mods && n->mods[0] >= o->mods[0]))
			return result(false, false, false, "length limit raised or removed");
		return result(true, true, false, "length limit lowered: every value is checked");
	}
	if (strcmp(t, "numeric") == 0) {
		if (n->n_mods == 0)
			return result(false, false, false, "precision limit removed");
		int os = o->n_mods > 1 ? o->mods[1] : 0, ns = n->n_mods > 1 ? n->mods[1] : 0;
		if (o->n_mods && os == ns && n->mods[0] >= o->mods[0])
			return result(false, false, false, "precision raised, same scale");
		return result(true, true, false, "numeric scale or precision lowered");
	}
	if (strcmp(t, "timestamp") == 0 || strcmp(t, "timestamptz") == 0 ||
	    strcmp(t, "time") == 0 || strcmp(t, "timetz") == 0 || strcmp(t, "interval") == 0) {
		if (n->n_mods == 0 || (o->n_mods && n->mods[0] >= o->mods[0]))
			return result(false, false, false, "fractional precision raised or removed");
		return result(true, true, false, "fractional precision lowered");
	}
	return result(true, true, false, "type modifier changed");
}

struct pgs_type_change pgs_type_change_judge(struct pgs_model *model, const struct pgs_column *old,
					     const PgQuery__ColumnDef *def, const char *timezone,
					     int pg_version)
{
	struct typ n = from_def(def);

	if (def->raw_default && !using_keeps_values(def->raw_default, old ? old->name : ""))
		return converting(result(true, true, false, "USING computes new values"));
	if (!old || !old->type || !*old->type)
		return converting(result(true, true, true, "the column's current type is unknown"));

	struct typ o = from_column(old);
	bool collation_changed = n.collation && !same_collation(o.collation, n.collation);

	if (o.is_array != n.is_array)
		return converting(result(true, true, false, "array-ness changed"));
	if (strcmp(o.name, n.name) == 0) {
		struct pgs_type_change r = typmod_change(&o, &n);
		if (collation_changed && !r.rewrite)
			return result(false, true, false, "collation changed: indexes are rebuilt");
		return r;
	}

	/* a domain over the old type: free when it has no CHECK */
	struct pgs_domain *dom = pgs_model_domain(model, def->type_name);
	if (dom) {
		if (strcmp(dom->base_type, o.name) == 0 && !dom->has_check)
			return result(false, false, false, "unconstrained domain over the same type");
		if (strcmp(dom->base_type, o.name) == 0)
			return result(true, true, false, "the domain's CHECK must test every value");
		return converting(result(true, true, false, "domain over a different type"));
	}
	/* from a domain to its own base type: the values are already of it, and a
	 * CHECK of the domain only stops applying */
	struct pgs_domain *was = pgs_model_domain_named(model, o.name);
	if (was && strcmp(was->base_type, n.name) == 0 && n.n_mods == 0)
		return result(false, false, false, "a domain to its base type");
	/* either way, the same values when the session's TimeZone is UTC (12+) */
	bool to_tz = strcmp(o.name, "timestamp") == 0 && strcmp(n.name, "timestamptz") == 0;
	if (to_tz || (strcmp(o.name, "timestamptz") == 0 && strcmp(n.name, "timestamp") == 0)) {
		if (pg_version < 12)
			return converting(result(true, true, false,
						 to_tz ? "timestamp -> timestamptz rewrites before 12"
						       : "timestamptz -> timestamp rewrites before 12"));
		if (!timezone)
			return converting(result(true, true, true,
						 to_tz ? "timestamp -> timestamptz rewrites unless the "
							 "session TimeZone is UTC, and the migration "
							 "doesn't SET it"
						       : "timestamptz -> timestamp rewrites unless the "
							 "session TimeZone is UTC, and the migration "
							 "doesn't SET it"));
		if (is_utc(timezone))
			return converting(
				result(false, true, false, "TimeZone is UTC: only indexes are rebuilt"));
		return converting(result(true, true, false, "TimeZone is not UTC"));
	}
	/* text <-> varchar are the same representation and comparison */
	bool text_like_o = strcmp(o.name, "text") == 0 || strcmp(o.name, "varchar") == 0;
	bool text_like_n = strcmp(n.name, "text") == 0 || strcmp(n.name, "varchar") == 0;
	if (text_like_o && text_like_n) {
		if (strcmp(n.name, "varchar") == 0 && n.n_mods)
			return result(true, true, false, "a length limit checks every value");
		return result(false, collation_changed, false, "binary-coercible text type");
	}
	if (pgs_pgdata_binary_coercible(o.name, n.name) && n.n_mods == 0)
		return result(false, true, false, "binary-coercible: indexes are rebuilt");
	return converting(result(true, true, false, "values are converted"));
}
