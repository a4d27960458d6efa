/* Lookups over the generated tables in functions.c and casts.c. */
#include "pgdata.h"

#include <stdlib.h>
#include <string.h>

struct function_key {
	const char *name;
	int nargs;
};

static int compare_function(const char *name, int nargs,
                            const struct pgs_pgdata_function *row)
{
	int c = strcmp(name, row->name);
	if (c != 0)
		return c;
	return (nargs > row->nargs) - (nargs < row->nargs);
}

static int compare_function_key(const void *key, const void *elem)
{
	const struct function_key *k = key;
	return compare_function(k->name, k->nargs, elem);
}

const struct pgs_pgdata_function *pgs_pgdata_function_find(const char *name,
                                                            int nargs)
{
	if (name == NULL || nargs < 0)
		return NULL;

	struct function_key key = {name, nargs};
	const struct pgs_pgdata_function *row =
		bsearch(&key, pgs_pgdata_functions, pgs_pgdata_n_functions,
		        sizeof pgs_pgdata_functions[0], compare_function_key);
	if (row != NULL)
		return row;

	/*
	 * No exact row: a variadic row with fewer arguments may still match.
	 * It is the name's last row, so it is the row just before where
	 * (name, nargs) would sort; bsearch cannot tell us that position,
	 * hence this lower-bound search.
	 */
	size_t lo = 0, hi = pgs_pgdata_n_functions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (compare_function(name, nargs, &pgs_pgdata_functions[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	row = &pgs_pgdata_functions[lo - 1];
	if (row->variadic && strcmp(row->name, name) == 0 && nargs >= row->nargs)
		return row;
	return NULL;
}

static int compare_version_function(int version, const char *name, int nargs,
				    const struct pgs_pgdata_version_function *v)
{
	if (version != v->version)
		return (version > v->version) - (version < v->version);
	return compare_function(name, nargs, &v->row);
}

const struct pgs_pgdata_function *pgs_pgdata_function_find_at(const char *name, int nargs,
							       int pg_version)
{
	if (name == NULL || nargs < 0)
		return NULL;
	/* the first version row at or after (pg_version, name, nargs) */
	size_t lo = 0, hi = pgs_pgdata_n_version_functions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (compare_version_function(pg_version, name, nargs,
					     &pgs_pgdata_version_functions[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pgs_pgdata_n_version_functions &&
	    compare_version_function(pg_version, name, nargs, &pgs_pgdata_version_functions[lo]) == 0)
		return &pgs_pgdata_version_functions[lo].row;
	/* a variadic row of the version is the name's last, just before */
	if (lo > 0) {
		const struct pgs_pgdata_version_function *v = &pgs_pgdata_version_functions[lo - 1];
		if (v->version == pg_version && v->row.variadic && strcmp(v->row.name, name) == 0 &&
		    nargs >= v->row.nargs)
			return &v->row;
	}
	return pgs_pgdata_function_find(name, nargs);
}


static int compare_cast(const void *key, const void *elem)
{
	const struct pgs_pgdata_cast *k = key;
	const struct pgs_pgdata_cast *row = elem;
	int c = strcmp(k->source, row->source);
	return c != 0 ? c : strcmp(k->target, row->target);
}

const struct pgs_pgdata_cast *pgs_pgdata_cast_find(const char *source,
                                                    const char *target)
{
	if (source == NULL || target == NULL)
		return NULL;
	struct pgs_pgdata_cast key = {source, target, 0};
	return bsearch(&key, pgs_pgdata_casts, pgs_pgdata_n_casts,
	               sizeof pgs_pgdata_casts[0], compare_cast);
}

bool pgs_pgdata_binary_coercible(const char *source, const char *target)
{
	if (source == NULL || target == NULL)
		return false;
	if (strcmp(source, target) == 0)
		return true;
	return pgs_pgdata_cast_find(source, target) != NULL;
}

bool pgs_pgdata_tables_ok(void)
{
	for (size_t i = 0; i < pgs_pgdata_n_functions; i++) {
		const struct pgs_pgdata_function *row = &pgs_pgdata_functions[i];
		if (row->name == NULL || strchr("isv", row->volatility) == NULL ||
		    strchr("isv", row->min_volatility) == NULL ||
		    row->volatility == 0 || row->min_volatility == 0 ||
		    row->min_volatility > row->volatility)
			return false;
		if (i + 1 < pgs_pgdata_n_functions) {
			const struct pgs_pgdata_function *next = row + 1;
			/* A variadic row must be the last for its name. */
			if (compare_function(row->name, row->nargs, next) >= 0 ||
			    (row->variadic && strcmp(row->name, next->name) == 0))
				return false;
		}
	}
	for (size_t i = 0; i < pgs_pgdata_n_casts; i++) {
		const struct pgs_pgdata_cast *row = &pgs_pgdata_casts[i];
		if (row->source == NULL || row->target == NULL ||
		    row->context == 0 || strchr("iae", row->context) == NULL)
			return false;
		if (i + 1 < pgs_pgdata_n_casts && compare_cast(row, row + 1) >= 0)
			return false;
	}
	return true;
}

static int compare_keyword(const void *key, const void *elem)
{
	const struct pgs_pgdata_keyword *k = elem;

	return strcmp(key, k->word);
}

char pgs_pgdata_keyword_category(const char *word)
{
	const struct pgs_pgdata_keyword *k;

	if (!word)
		return 0;
	k = bsearch(word, pgs_pgdata_keywords, pgs_pgdata_n_keywords, sizeof(*k), compare_keyword);
	return k ? k->category : 0;
}
