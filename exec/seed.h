/*
 * seed: generated rows in every table of a scratch database, so that what
 * verify --rows runs there (backfills, validations, index builds) meets data.
 */
#ifndef PGS_EXEC_SEED_H
#define PGS_EXEC_SEED_H

#include <libpq-fe.h>

#include "core/error.h"

/*
 * Insert n generated rows into every ordinary and partitioned table of the
 * user schemas (not pg_catalog, information_schema, pg_toast, pg_temp, the
 * pgstage schema, nor extensions' tables) on conn; partitions get theirs
 * through their parent. Row g (1..n) holds, by the column's type (domains:
 * their base type, then cast to the domain):
 *   integers g (smallint wraps at 32767), numeric g cut to fit its precision,
 *   floats and money g, text/varchar/char 'v' || g cut to the type's length,
 *   bool g % 2 = 0, date 2000-01-01 plus g days, timestamp(tz) and time
 *   that epoch plus g seconds, interval g seconds, uuid md5(g::text),
 *   json/jsonb {"g": g}, bytea the bytes of 'v' || g, inet/cidr 10.0.0.0 + g,
 *   an enum its first label, an array empty.
 * Identity and generated columns are left to the server, and so is any
 * column with a default (serials then count 1..n on a fresh table); nullable
 * columns of other types are NULL. A table with a NOT NULL column of such a
 * type is skipped without trying.
 * Foreign keys: a referencing column gets the generator of row g too, so it
 * finds row g of the table it references (a self-reference: its own row).
 * Tables are seeded referenced first (depth first over the foreign keys; a
 * cycle is cut somewhere); a nullable referencing column whose table is not
 * seeded (yet, or skipped) is NULL.
 * Each table's INSERT runs in a savepoint: a table that fails (a CHECK the
 * values break, no partition for a row, a unique index they collide on, ...)
 * is left empty and given to skip (may be NULL) as schema.table, quoted,
 * with the server's message.
 * One transaction: conn's open one, else its own, committed at the end;
 * its constraints are set IMMEDIATE.
 * Returns the number of tables seeded (0 for n = 0, which does nothing), or
 * -1 with err (its own transaction rolled back).
 */
int pgs_seed(PGconn *conn, long long n,
	     void (*skip)(void *data, const char *table, const char *why), void *data,
	     struct pgs_error *err);

#endif
