#!/usr/bin/env python3
"""Model objects with unknown parts are safe for every rule, explain and plan.

The model knows some objects only in part: an index named by ADD ... USING
INDEX that the history never showed (no columns, no access method), a table
first seen in an ALTER (columns and indexes unknown), a column known only from
SET NOT NULL (no type), expression and partial indexes (NULL column names),
constraints without columns, a partition or child of a table never created,
views and materialized views, renamed or dropped unknown objects. Each such
setup (PREFIXES) is followed by each statement that rules, effects or the
planner read the model for (FOLLOW_UPS), on a table of its own, then by an
index on that table (so the end-of-file rules look at it too).

The pairs run together in one file, then split in two files (setups first,
as one history), then with the setups as --context: through `lint` with every
rule (in every format on the first layout: reporters read no model),
`lint --fix --dry-run`, `explain` (text and JSON) and `plan` (script and JSON). Every run must exit with its normal code (never a
crash or an internal error) and write nothing to stderr but the stale-context
warning some pairs call for; the sanitizer build
(make asan) runs the same. When a run fails, each pair is run alone to name
the setup and statement that break it.

usage: PGSTAGE=./pgstage tests/unknowns.py     (from the repository root)
"""
import os
import subprocess
import sys
import tempfile

PREFIXES = {
    "unknown-unique-using-index": ["ALTER TABLE {t} ADD UNIQUE USING INDEX {t}_old;"],
    "unknown-named-unique-using-index": [
        "ALTER TABLE {t} ADD CONSTRAINT {t}_x_key UNIQUE USING INDEX {t}_old;"],
    "unknown-primary-key-using-index": [
        "ALTER TABLE {t} ADD CONSTRAINT {t}_pkey PRIMARY KEY USING INDEX {t}_old;"],
    "unknown-index-renamed": [
        "ALTER TABLE {t} ADD UNIQUE USING INDEX {t}_old;",
        "ALTER INDEX {t}_old RENAME TO {t}_new;"],
    "unknown-index-dropped": [
        "ALTER TABLE {t} ADD CONSTRAINT {t}_k UNIQUE USING INDEX {t}_old;",
        "DROP INDEX {t}_k;"],
    "created-table-unknown-index": [
        "CREATE TABLE {t} (id bigint, x int, y int);",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_pkey PRIMARY KEY USING INDEX {t}_old;"],
    "table-from-alter": ["ALTER TABLE {t} ADD COLUMN z int;"],
    "column-from-set-not-null": ["ALTER TABLE {t} ALTER COLUMN x SET NOT NULL;"],
    "index-on-unknown-table": ["CREATE INDEX {t}_x_idx ON {t} (x);"],
    "expression-and-partial-indexes": [
        "CREATE TABLE {t} (id bigint PRIMARY KEY, x int, y int);",
        "CREATE INDEX {t}_e ON {t} ((lower(x::text)), y);",
        "CREATE UNIQUE INDEX {t}_p ON {t} (x) WHERE y > 0;",
        "CREATE INDEX {t}_o ON {t} (x DESC NULLS LAST, y text_pattern_ops);",
        "CREATE INDEX {t}_g ON {t} USING gin (y);"],
    "exclusion-constraint": [
        "CREATE TABLE {t} (id bigint, x int, y int, EXCLUDE USING gist (x WITH =));"],
    "constraints-without-columns": [
        "CREATE TABLE {t} (id bigint, x int, y int, CHECK (true), CHECK (random() > 0));",
        "ALTER TABLE {t} ADD FOREIGN KEY (x) REFERENCES {t}_parent;"],
    "like-table": ["CREATE TABLE {t} (LIKE {t}_src INCLUDING ALL);"],
    "table-as-select": ["CREATE TABLE {t} AS SELECT 1 AS x, 2 AS y;"],
    "typed-table": ["CREATE TABLE {t} OF {t}_type;"],
    "partition-of-unknown": [
        "CREATE TABLE {t} PARTITION OF {t}_parent FOR VALUES IN (1);",
        "CREATE TABLE {t}_d PARTITION OF {t} DEFAULT;"],
    "partitioned": [
        "CREATE TABLE {t} (id bigint, x int, y int) PARTITION BY LIST (x);",
        "CREATE TABLE {t}_1 PARTITION OF {t} FOR VALUES IN (1);",
        "ALTER TABLE {t} ATTACH PARTITION {t}_2 FOR VALUES IN (2);"],
    "inherits-unknown": ["CREATE TABLE {t} (x int) INHERITS ({t}_base);"],
    "view": ["CREATE VIEW {t} AS SELECT * FROM {t}_src WHERE x > 0;"],
    "materialized-view": [
        "CREATE MATERIALIZED VIEW {t} AS SELECT x, y FROM {t}_src;",
        "CREATE UNIQUE INDEX {t}_x ON {t} (x);"],
    "renamed-unknown-column": ["ALTER TABLE {t} RENAME COLUMN nosuch TO x;"],
    "dropped-unknown-column": ["ALTER TABLE {t} DROP COLUMN nosuch;"],
    "domain-and-enum-columns": [
        "CREATE DOMAIN {t}_d AS int CHECK (VALUE > 0);",
        "CREATE TYPE {t}_e AS ENUM ('a');",
        "CREATE TABLE {t} (id bigint, x {t}_d, y {t}_e[], z numeric(10, 2) COLLATE \"C\");"],
    "quoted-names": [
        'CREATE TABLE "{t} x""y" (id bigint, "x" int, y int);',
        'ALTER TABLE "{t} x""y" RENAME TO {t};'],
    "referenced": [
        "CREATE TABLE {t} (id bigint PRIMARY KEY, x int, y int);",
        "CREATE TABLE {t}_child (id bigint, p bigint REFERENCES {t}, q int);",
        "ALTER TABLE {t}_child ADD FOREIGN KEY (q) REFERENCES {t} (x) ON DELETE CASCADE;"],
}

FOLLOW_UPS = {
    "create-index": ["CREATE INDEX {t}_i ON {t} (x);"],
    "create-unique-index": ["CREATE UNIQUE INDEX CONCURRENTLY {t}_u ON {t} (x, y);"],
    "drop-index": ["DROP INDEX {t}_old;", "DROP INDEX {t}_x_key;"],
    "alter-index-rename": ["ALTER INDEX {t}_old RENAME TO {t}_renamed;"],
    "alter-index-tablespace": ["ALTER INDEX {t}_old SET TABLESPACE fast;"],
    "reindex-table": ["REINDEX TABLE {t};"],
    "reindex-index": ["REINDEX INDEX {t}_old;"],
    "alter-column-type": ["ALTER TABLE {t} ALTER COLUMN x TYPE bigint;"],
    "rename-column": ["ALTER TABLE {t} RENAME COLUMN x TO x2;"],
    "drop-column": ["ALTER TABLE {t} DROP COLUMN x;"],
    "set-not-null": ["ALTER TABLE {t} ALTER COLUMN y SET NOT NULL;"],
    "add-primary-key": ["ALTER TABLE {t} ADD PRIMARY KEY (x);"],
    "add-unique": ["ALTER TABLE {t} ADD UNIQUE (x);"],
    "add-pk-using-index": ["ALTER TABLE {t} ADD PRIMARY KEY USING INDEX {t}_old;"],
    "add-foreign-key": ["ALTER TABLE {t} ADD FOREIGN KEY (y) REFERENCES {t} (x);"],
    "referencing-foreign-key": ["CREATE TABLE {t}_ref (r int REFERENCES {t} (x));"],
    "add-check": ["ALTER TABLE {t} ADD CONSTRAINT {t}_c CHECK (x > 0);"],
    "validate": ["ALTER TABLE {t} VALIDATE CONSTRAINT {t}_x_key;"],
    "drop-constraint": ["ALTER TABLE {t} DROP CONSTRAINT {t}_old;"],
    "add-column": ["ALTER TABLE {t} ADD COLUMN w uuid NOT NULL DEFAULT gen_random_uuid();"],
    "add-serial": ["ALTER TABLE {t} ADD COLUMN s bigserial;"],
    "rename-table": ["ALTER TABLE {t} RENAME TO {t}_renamed;"],
    "drop-table": ["DROP TABLE {t};"],
    "truncate": ["TRUNCATE {t} CASCADE;"],
    "update-delete": ["UPDATE {t} SET x = x + 1;", "DELETE FROM {t} WHERE x = 1;",
                      "UPDATE {t} SET y = 1 WHERE x = 2;"],
    "insert": ["INSERT INTO {t} (x, y, x) VALUES (1, 2, 3);"],
    "cluster": ["CLUSTER {t} USING {t}_old;"],
    "vacuum-full": ["VACUUM FULL {t};"],
    "refresh": ["REFRESH MATERIALIZED VIEW {t};"],
    "lock": ["LOCK TABLE {t} IN SHARE MODE;"],
    "set-logged": ["ALTER TABLE {t} SET UNLOGGED;", "ALTER TABLE {t} SET ACCESS METHOD heap;"],
    "attach-detach": ["ALTER TABLE {t} DETACH PARTITION {t}_1;",
                      "ALTER TABLE {t} ATTACH PARTITION {t}_1 FOR VALUES IN (1);"],
    "partition-of": ["CREATE TABLE {t}_3 PARTITION OF {t} FOR VALUES IN (3);"],
    "inherit": ["ALTER TABLE {t}_kid INHERIT {t};"],
    "trigger": ["CREATE TRIGGER {t}_tg BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION f();",
                "ALTER TABLE {t} DISABLE TRIGGER ALL;"],
    "replica-rls": ["ALTER TABLE {t} REPLICA IDENTITY USING INDEX {t}_old;",
                    "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;"],
    "transaction": ["BEGIN;", "ALTER TABLE {t} ADD COLUMN v int;",
                    "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_x_key;", "UPDATE {t} SET v = 1;",
                    "COMMIT;"],
    "do-block": ["DO $$ BEGIN ALTER TABLE {t} ALTER COLUMN x TYPE text; END $$;"],
}

# after each pair: an index on the table, so end-of-file rules meet the setup
CLOSER = "CREATE INDEX {t}_last ON {t} (x);"

FORMATS = ["text", "json", "sarif", "github", "gitlab", "junit", "gcc"]


def pairs():
    k = 0
    for p, setup in PREFIXES.items():
        for f, stmts in FOLLOW_UPS.items():
            t = f"t{k}"
            k += 1
            yield p, f, [s.format(t=t) for s in setup], [s.format(t=t) for s in stmts + [CLOSER]]


def commands(files, context, formats):
    """The commands run on one layout: (label, argv, expected exit codes)."""
    ctx = [a for c in context for a in ("--context", c)]
    out = []
    for fmt in formats:
        out.append((f"lint --format {fmt}", ["lint", "--format", fmt, *ctx, *files], (0, 1)))
    out.append(("lint --fix --dry-run", ["lint", "--fix", "--unsafe-fixes", "--dry-run", *ctx, *files],
                (0, 1)))
    out.append(("explain", ["explain", *ctx, *files], (0,)))
    out.append(("explain --format json", ["explain", "--format", "json", *ctx, *files], (0,)))
    out.append(("plan", ["plan", *ctx, *files], (0,)))
    out.append(("plan --format json", ["plan", "--format", "json", *ctx, *files], (0,)))
    return out


def layouts(dirname, chosen):
    """(name, files, context files) of the three layouts for the chosen pairs."""
    setups = [s for _, _, setup, _ in chosen for s in setup]
    follow = [s for _, _, _, stmts in chosen for s in stmts]
    both = [s for _, _, setup, stmts in chosen for s in setup + stmts]

    def write(name, stmts):
        path = os.path.join(dirname, name)
        with open(path, "w") as f:
            f.write("\n".join(stmts) + "\n")
        return path

    one = write("1_all.sql", both)
    first = write("1_setup.sql", setups)
    second = write("2_follow.sql", follow)
    # the reporters read no model: every format on one layout is enough
    return [("one file", [one], [], FORMATS), ("two files", [first, second], [], ["text"]),
            ("setup as --context", [second], [first], ["json"])]


# Said on stderr by design: some follow-ups repeat what a setup in the context did
# (a second primary key), which is the stale-context warning's case.
EXPECTED_WARNING = "the context seems to already include this migration"


def run(pgstage, argv):
    r = subprocess.run([pgstage, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL)
    err = r.stderr.decode(errors="replace")
    kept = [line for line in err.splitlines(keepends=True)
            if not (line.startswith("pgstage: warning: ") and EXPECTED_WARNING in line)]
    return r.returncode, "".join(kept)


def failures(pgstage, dirname, chosen, only=None):
    bad = []
    for name, files, context, formats in layouts(dirname, chosen):
        for label, argv, ok in commands(files, context, formats):
            if only and (name, label) != only:
                continue
            rc, err = run(pgstage, argv)
            if rc not in ok or err:
                bad.append((name, label, rc, err.strip().splitlines()[:3]))
    return bad


def main():
    pgstage = os.environ.get("PGSTAGE", "./pgstage")
    if not os.access(pgstage, os.X_OK):
        print(f"unknowns: {pgstage} is not an executable (set PGSTAGE)", file=sys.stderr)
        return 2
    all_pairs = list(pairs())
    with tempfile.TemporaryDirectory() as d:
        bad = failures(pgstage, d, all_pairs)
        if not bad:
            print(f"unknowns: {len(PREFIXES)} setups x {len(FOLLOW_UPS)} statements "
                  "in 3 layouts: passed")
            return 0
        for name, label, rc, err in bad:
            print(f"FAIL unknowns: {name}, pgstage {label}: exit {rc}")
            for line in err:
                print(f"     stderr| {line}")
        # name the pairs that break the first failing run
        name, label = bad[0][0], bad[0][1]
        culprits = 0
        for pair in all_pairs:
            with tempfile.TemporaryDirectory() as d1:
                if failures(pgstage, d1, [pair], (name, label)):
                    print(f"     - setup {pair[0]}, then {pair[1]}: "
                          + " ".join(pair[2] + pair[3]))
                    culprits += 1
                    if culprits == 10:
                        break
        return 1


if __name__ == "__main__":
    sys.exit(main())
