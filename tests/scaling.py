#!/usr/bin/env python3
"""Scaling tests: pgstage's cost must grow linearly (or n log n) with its input.

Each case generates a worst case of one kind (many statements, one long
transaction, everything on one line, many indexes / columns / constraints on
one table, one statement with many parts, many tables hanging off one, ...)
at a small size n and at 4n, runs pgstage on both and compares the CPU time
the two runs took (user + system, of the pgstage process alone, so other
processes on the machine count little). Linear work takes about 4x as long
on the larger input, n log n a little more, quadratic work 16x: a ratio above
RATIO fails. A failing ratio is measured again (up to TRIES times, keeping
each size's fastest run) before the case fails, so a busy machine does not
make the suite flaky; a run that takes longer than RATIO times the small run
plus a margin is stopped, so a quadratic case fails quickly too.

Every rule names the kinds of input that are its worst case (RULE_KINDS); the
test checks that each rule of `pgstage rules` is listed, and that it reports
something on the small input of one of its kinds (so the generator really
drives the rule's code). When a lint case fails, the rules of that kind are
timed one by one (--rule NAME) to name the culprit.

usage: PGSTAGE=./pgstage tests/scaling.py [CASE...]   (from the repository root)
       tests/scaling.py --generate KIND N             (print a generated input)
"""
import json
import os
import resource  # noqa: F401  (os.wait4 returns its struct)
import shutil
import signal
import subprocess
import sys
import tempfile
import time

RATIO = 8.0  # 4x the input may take at most 8x the time
TRIES = 3
# the small input must take this long, so that timer noise stays small
MIN_SECONDS = 0.12

# ---- generators: each returns the text of one file for size n ----


def existing(i):
    """Statements on tables created before the history (pgstage knows them from ALTERs only)."""
    return [
        f"CREATE INDEX ix_{i} ON e{i} (a);",
        f"ALTER TABLE e{i} ALTER COLUMN a SET NOT NULL;",
        f"DROP INDEX ix_{i};",
        f"REINDEX TABLE e{i};",
        f"ALTER TABLE e{i} ADD CONSTRAINT c{i} CHECK (a > 0);",
        f"ALTER TABLE e{i} ADD CONSTRAINT v{i} CHECK (b > 0) NOT VALID;",
        f"ALTER TABLE e{i} VALIDATE CONSTRAINT v{i};",
        f"ALTER TABLE e{i} ADD CONSTRAINT u{i} UNIQUE (a);",
        f"ALTER TABLE e{i} ADD CONSTRAINT p{i} PRIMARY KEY USING INDEX old_{i};",
        f"ALTER TABLE e{i} ADD CONSTRAINT x{i} EXCLUDE USING gist (g WITH &&);",
        f"CLUSTER e{i} USING e{i}_pkey;",
        f"REFRESH MATERIALIZED VIEW mv{i};",
        f"ALTER TABLE e{i} SET LOGGED;",
        f"ALTER TABLE e{i} SET TABLESPACE fast;",
        f"ALTER TABLE e{i} SET ACCESS METHOD heap2;",
        f"TRUNCATE e{i};",
        f"LOCK TABLE e{i};",
        f"ALTER TABLE ep{i} DETACH PARTITION ep{i}_1;",
        f"ALTER TABLE ep{i} ATTACH PARTITION ep{i}_2 FOR VALUES IN ({i});",
        f"CREATE TABLE ep{i}_3 PARTITION OF ep{i} FOR VALUES IN ({i + 1});",
        f"ALTER TABLE e{i} ADD CONSTRAINT f{i} FOREIGN KEY (b) REFERENCES e{i + 1} (a) NOT VALID;",
        f"CREATE TRIGGER tg{i} BEFORE INSERT ON e{i} FOR EACH ROW EXECUTE FUNCTION f();",
        f"ALTER TABLE e{i} DISABLE TRIGGER ALL;",
        f"ALTER TABLE e{i} ADD COLUMN u uuid DEFAULT gen_random_uuid();",
        f"ALTER TABLE e{i} ADD COLUMN s serial;",
        f"ALTER TABLE e{i} ADD COLUMN r integer NOT NULL;",
        f"ALTER TABLE e{i} ALTER COLUMN b TYPE bigint;",
        f"ALTER TABLE e{i} RENAME COLUMN c TO c2;",
        f"ALTER TABLE er{i} RENAME TO er{i}_new;",
        f"ALTER TABLE e{i} DROP COLUMN d;",
        f"DROP TABLE ed{i};",
        f"DROP SCHEMA s{i} CASCADE;",
        f"UPDATE e{i} SET a = 1;",
        f"DELETE FROM ed{i}_log;",
        f"UPDATE e{i} SET a = 1, b = 2, a = 3 WHERE id = {i};",
        f"ALTER TYPE en{i} ADD VALUE 'new';",
        f"UPDATE e{i} SET state = 'new' WHERE id = {i};",
        f"ALTER TABLE e{i} REPLICA IDENTITY FULL;",
        f"ALTER TABLE e{i} ENABLE ROW LEVEL SECURITY;",
        f"VACUUM FULL e{i};",
        f"CREATE INDEX CONCURRENTLY ixc_{i} ON e{i} (b);",
        f"TRUNCATE e{i}_log CASCADE;",
        f"ALTER DOMAIN dm{i} ADD CONSTRAINT dm{i}_positive CHECK (VALUE > 0);",
    ]


def created(i):
    """Statements on tables the file creates."""
    long_name = f"n{i}_" + "x" * 70
    return [
        f"CREATE TABLE n{i} (id integer PRIMARY KEY, v varchar(10), ts timestamp, ch char(3), "
        f"s serial, j json, m money, \"order\" int, ref bigint REFERENCES n{max(i - 1, 0)} (id));",
        f"CREATE INDEX n{i}_v ON n{i} (v, ts);",
        f"CREATE INDEX n{i}_v2 ON n{i} (v);",
        f"CREATE TABLE n{i}_nopk (a int);",
        f"CREATE DOMAIN nd{i} AS int CHECK (VALUE > 0);",
        f"CREATE UNLOGGED TABLE nu{i} (id bigint PRIMARY KEY);",
        f"CREATE TABLE {long_name} (id bigint PRIMARY KEY);",
        f"-- pgstage-ignore require-concurrent-index: nothing to suppress here\n"
        f"CREATE TABLE IF NOT EXISTS ok{i} (id bigint PRIMARY KEY);",
        f"-- pgstage-ignore no-such-rule\nCREATE TABLE IF NOT EXISTS ok2_{i} (id bigint PRIMARY KEY);",
        f"selec {i};",
        "COMMIT;",
    ]


def mixed(n):
    out = []
    for i in range(n):
        out += existing(i) + created(i)
    return out


def gen_statements(n):
    return "\n".join(mixed(n)) + "\n"


def gen_transaction(n):
    # one long transaction; the COMMITs of mixed() are taken out (nesting is
    # reported once, by the last BEGIN), and the file ends inside it
    stmts = [s for s in mixed(n) if s != "COMMIT;"]
    return "BEGIN;\n" + "\n".join(stmts) + "\nBEGIN;\n"


def gen_one_line(n):
    return " ".join(s.replace("\n", " ") if not s.startswith("--") else "/* " + s[2:].replace("\n", " */ ", 1)
                    for s in mixed(n)) + "\n"


def gen_one_table(n):
    """Many columns, indexes and constraints on one table."""
    out = ["CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);"]
    for i in range(n):
        out += [
            f"ALTER TABLE t ADD COLUMN c{i} int;",
            f"CREATE INDEX t_a_c{i} ON t (a, c{i});",
            f"CREATE INDEX t_a_{i} ON t (a);",
            f"CREATE INDEX t_c{i} ON t (c{i});",
            f"ALTER TABLE t ADD UNIQUE (b);",
            f"ALTER TABLE t ADD CONSTRAINT t_c{i}_check CHECK (c{i} > 0) NOT VALID;",
            f"ALTER TABLE t VALIDATE CONSTRAINT t_c{i}_check;",
            f"ALTER TABLE t ADD CONSTRAINT t_c{i}_fk FOREIGN KEY (c{i}) REFERENCES t (id);",
            f"ALTER TABLE t ALTER COLUMN c{i} SET NOT NULL;",
            f"ALTER TABLE t ALTER COLUMN c{i} TYPE bigint;",
            f"ALTER TABLE t ADD UNIQUE USING INDEX nosuch{i};",
        ]
    # a column rename renames it in every index and constraint of the table:
    # a fixed number of them, each costing the table's size
    out += [f"ALTER TABLE t RENAME COLUMN c{i} TO d{i};" for i in range(3)]
    out += ["REINDEX TABLE t;", "UPDATE t SET a = 1;", "DELETE FROM t;"]
    return "\n".join(out) + "\n"


def gen_one_statement(n):
    """Statements with many parts: actions, columns, assignments, rows."""
    cols = ", ".join(f"c{i} int" for i in range(n))
    adds = ", ".join(f"ADD COLUMN a{i} serial" for i in range(n))
    sets = ", ".join(f"c{i % (n // 2 + 1)} = {i}" for i in range(n))
    rows = ", ".join(f"({i})" for i in range(n))
    return "\n".join([
        f"CREATE TABLE wide ({cols});",
        f"ALTER TABLE e {adds};",
        f"ALTER TABLE e {', '.join(f'ADD CONSTRAINT k{i} CHECK (a > {i})' for i in range(n))};",
        f"UPDATE e SET {sets};",
        f"INSERT INTO e (a) VALUES {rows};",
        f"SELECT * FROM e WHERE a IN ({', '.join(str(i) for i in range(n))});",
    ]) + "\n"


def gen_fan_in(n):
    """Many tables referencing, inheriting from or partitioning one table; the
    statements that must visit them all come a fixed number of times (their
    output grows with n), the ones about one partition n times."""
    out = ["CREATE TABLE p (id bigint PRIMARY KEY, k int) PARTITION BY LIST (k);",
           "CREATE TABLE p_default PARTITION OF p DEFAULT;",
           "CREATE TABLE par (id bigint PRIMARY KEY, k int);",
           "CREATE DOMAIN pos AS int;"]
    for i in range(n):
        out += [
            f"CREATE TABLE c{i} (id bigint PRIMARY KEY, par_id bigint REFERENCES par (id), v pos);",
            f"CREATE TABLE p{i} PARTITION OF p FOR VALUES IN ({i});",
        ]
    out.append("COMMIT;")
    for i in range(n):
        out += [
            f"ALTER TABLE p DETACH PARTITION p{i};",
            f"ALTER TABLE p ATTACH PARTITION p{i} FOR VALUES IN ({i});",
            f"DELETE FROM c{i} WHERE id = {i};",
        ]
    for i in range(3):
        out += [
            f"DELETE FROM par WHERE id = {i};",
            f"UPDATE par SET id = id + 1 WHERE id = {i};",
            f"ALTER DOMAIN pos ADD CONSTRAINT pos{i} CHECK (VALUE > {i}) NOT VALID;",
            "TRUNCATE par CASCADE;",
            "CREATE INDEX ON p (k);",
        ]
    return "\n".join(out) + "\n"


def gen_ignores(n):
    """Every finding suppressed by a comment: suppression stays cheap."""
    out = ["BEGIN;"]
    for i in range(n):
        out += [
            "-- pgstage-ignore multiple-strong-locks, require-lock-timeout, "
            "require-concurrent-index, require-statement-timeout",
            f"CREATE INDEX ix{i} ON e{i} (a);",
            "-- pgstage-ignore-file no-such-rule" if i == 0 else f"-- note {i}",
            f"ALTER TABLE e{i} ADD COLUMN x{i} int;",
        ]
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


def gen_do_block(n):
    """A DO block and a function with many statements."""
    body = "\n".join(f"  ALTER TABLE e{i} ADD COLUMN x int; UPDATE e{i} SET x = 1;" for i in range(n))
    return (f"DO $$\nBEGIN\n{body}\nEND\n$$;\n"
            f"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n{body}\nEND\n$$;\n")


def gen_enums(n):
    """Many enum values added in one transaction, each used."""
    out = ["BEGIN;"]
    for i in range(n):
        out += [f"ALTER TYPE mood ADD VALUE 'v{i}';",
                f"UPDATE e SET mood = 'v{i}' WHERE id = {i};"]
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


def gen_long_line(n):
    """One statement on a long line, with findings in it."""
    cols = ", ".join(f"c{i} varchar(10)" for i in range(n))
    return f"CREATE TABLE wide_line ({cols}); CREATE INDEX wl ON e (a); ALTER TABLE e ADD COLUMN z serial;\n"


GENERATORS = {
    "statements": gen_statements,
    "transaction": gen_transaction,
    "one-line": gen_one_line,
    "one-table": gen_one_table,
    "one-statement": gen_one_statement,
    "fan-in": gen_fan_in,
    "ignores": gen_ignores,
    "do-block": gen_do_block,
    "enums": gen_enums,
    "long-line": gen_long_line,
}


# Which kinds of input are each rule's worst case: the rule runs on every
# input, and must report something on the small input of one of these.
RULE_KINDS = {
    "syntax-error": ["statements"],
    "require-concurrent-index": ["statements", "one-table", "ignores"],
    "set-not-null-without-check": ["statements", "one-table"],
    "require-concurrent-index-deletion": ["statements"],
    "require-concurrent-reindex": ["statements", "one-table"],
    "constraint-missing-not-valid": ["statements", "one-statement"],
    "validate-in-same-transaction": ["transaction"],
    "unique-constraint-builds-index": ["statements", "one-table"],
    "primary-key-using-index-on-nullable": ["statements"],
    "adding-exclusion-constraint": ["statements"],
    "cluster-table": ["statements"],
    "vacuum-full": ["statements"],
    "require-concurrent-refresh": ["statements"],
    "set-logged-or-unlogged": ["statements"],
    "set-tablespace": ["statements"],
    "set-access-method": ["statements"],
    "truncate-table": ["statements"],
    "truncate-cascade": ["statements"],
    "lock-table": ["statements"],
    "require-concurrent-detach": ["statements", "fan-in"],
    "attach-partition-without-check": ["statements", "fan-in"],
    "create-table-partition-of": ["statements", "fan-in"],
    "foreign-key-lock-held-in-transaction": ["transaction"],
    "creating-trigger": ["statements"],
    "disabling-triggers": ["statements"],
    "domain-constraint-missing-not-valid": ["statements", "fan-in"],
    "adding-field-with-volatile-default": ["statements"],
    "adding-column-rewrites-table": ["statements", "one-statement", "long-line"],
    "adding-required-field": ["statements"],
    "changing-column-type": ["statements", "one-table", "do-block"],
    "renaming-column": ["statements", "one-table"],
    "renaming-table": ["statements"],
    "dropping-column": ["statements"],
    "dropping-table": ["statements"],
    "destructive-drop": ["statements"],
    "update-or-delete-without-where": ["statements", "transaction", "fan-in", "do-block"],
    "enum-value-used-in-same-transaction": ["transaction", "enums"],
    "rewriting-table": ["statements"],
    "concurrently-in-transaction": ["transaction"],
    "require-lock-timeout": ["statements", "transaction", "one-line"],
    "require-statement-timeout": ["statements", "transaction"],
    "multiple-strong-locks": ["transaction", "ignores", "do-block"],
    "slow-statement-after-strong-lock": ["transaction", "do-block"],
    "transaction-nesting": ["statements", "transaction"],
    "uncommitted-transaction": ["transaction"],
    "prefer-robust-stmts": ["statements", "one-table"],
    "prefer-bigint-key": ["statements"],
    "prefer-text-over-varchar": ["statements", "long-line"],
    "prefer-timestamptz": ["statements"],
    "prefer-text-over-char": ["statements"],
    "prefer-identity": ["statements", "one-statement"],
    "prefer-jsonb": ["statements"],
    "prefer-numeric-for-money": ["statements"],
    "identifier-too-long": ["statements"],
    "duplicate-column-assignment": ["statements", "one-statement"],
    "enum-value-without-position": ["statements", "enums"],
    "foreign-key-without-index": ["statements", "one-table", "fan-in"],
    "redundant-index": ["statements", "one-table"],
    "table-without-primary-key": ["statements"],
    "replica-identity-full": ["statements"],
    "row-level-security-toggled": ["statements"],
    "unlogged-table": ["statements"],
    "reserved-word-identifier": ["statements"],
    "create-domain-with-check": ["statements"],
    "unused-ignore": ["statements", "ignores"],
    "invalid-ignore": ["statements", "ignores"],
    # only with --context naming the migration itself (the "--context" case)
    "context-includes-migration": ["statements"],
}

FORMATS = ["text", "sarif", "github", "gitlab", "junit", "gcc"]


def cases():
    """(name, kind, base n, pgstage arguments before the file)."""
    out = []
    for kind, n in [("statements", 60), ("transaction", 60), ("one-line", 60), ("one-table", 400),
                    ("one-statement", 2000), ("fan-in", 400), ("ignores", 1000),
                    ("do-block", 1000), ("enums", 1500), ("long-line", 4000)]:
        out.append((f"lint {kind}", kind, n, ["lint", "--format", "json"]))
    # a copy of the file is its context (a schema dump made after migrating):
    # every statement is found in it
    out.append(("lint --context statements", "statements", 60,
                ["lint", "--format", "json", "--context", "{copy}"]))
    for fmt in FORMATS:
        out.append((f"lint --format {fmt} one-line", "one-line", 60, ["lint", "--format", fmt]))
    out.append(("lint --fix --dry-run one-line", "one-line", 60,
                ["lint", "--fix", "--unsafe-fixes", "--dry-run"]))
    out.append(("lint --fix --dry-run statements", "statements", 60,
                ["lint", "--fix", "--unsafe-fixes", "--dry-run"]))
    for kind in ["one-line", "statements", "transaction"]:
        out.append((f"explain {kind}", kind, 60, ["explain"]))
        out.append((f"explain --format json {kind}", kind, 60, ["explain", "--format", "json"]))
    return out


def run_cpu(argv, out_path, limit):
    """CPU seconds (user + system) of one run, or None when it ran past limit seconds."""
    with open(out_path, "wb") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    start = time.monotonic()
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            if os.WIFSIGNALED(status):
                raise RuntimeError(f"{' '.join(argv)}: killed by signal {os.WTERMSIG(status)}")
            rc = os.WEXITSTATUS(status)
            if rc > 2:
                raise RuntimeError(f"{' '.join(argv)}: exit {rc}")
            p.returncode = rc
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() - start > limit:
            p.kill()
            p.wait()
            return None
        time.sleep(0.005)


class Case:
    def __init__(self, pgstage, tmp, name, kind, n, args):
        self.pgstage, self.tmp, self.name, self.kind, self.n, self.args = pgstage, tmp, name, kind, n, args
        self.small = self.large = None
        self.base = n

    def path(self, n):
        p = os.path.join(self.tmp, f"{self.kind}-{n}.sql")
        if not os.path.exists(p):
            with open(p, "w") as f:
                f.write(GENERATORS[self.kind](n))
        return p

    def copy(self, n):
        p = os.path.join(self.tmp, f"{self.kind}-{n}.context.sql")
        if not os.path.exists(p):
            shutil.copyfile(self.path(n), p)
        return p

    def time(self, n, limit, rules=()):
        extra = [a for r in rules for a in ("--rule", r)]
        args = [self.copy(n) if a == "{copy}" else a for a in self.args]
        return run_cpu([self.pgstage, *args, *extra, self.path(n)],
                       os.path.join(self.tmp, "out"), limit)

    def calibrate(self):
        """Grow n until the small input takes MIN_SECONDS (a slow machine keeps the base n)."""
        while True:
            t = self.time(self.n, 60)
            if t is None:
                raise RuntimeError(f"{self.name}: n={self.n} ran past 60 s")
            if t >= MIN_SECONDS or self.n >= 16 * self.base:
                self.small = t
                return
            self.n *= 2

    def measure(self):
        """Ratio of the times of 4n and n (fastest of up to TRIES runs each); None: too slow."""
        for attempt in range(TRIES):
            if attempt:
                t = self.time(self.n, 60)
                self.small = min(self.small, t) if t is not None else self.small
            limit = RATIO * 1.5 * self.small + 1
            t = self.time(4 * self.n, limit)
            if t is not None:
                self.large = t if self.large is None else min(self.large, t)
            if self.large is not None and self.large / self.small <= RATIO:
                break
        return None if self.large is None else self.large / self.small


def findings_by_rule(path):
    with open(path) as f:
        doc = json.load(f)
    counts = {}
    for d in doc.get("diagnostics", []):
        counts[d["rule"]] = counts.get(d["rule"], 0) + 1
    return counts


def main(argv):
    pgstage = os.environ.get("PGSTAGE", "./pgstage")
    if not os.access(pgstage, os.X_OK):
        print(f"scaling: {pgstage} is not an executable (set PGSTAGE)", file=sys.stderr)
        return 2
    listed = subprocess.run([pgstage, "rules"], capture_output=True, text=True, check=True).stdout
    rules = [line.split()[1] for line in listed.splitlines() if line.strip()]
    failed = []
    missing = [r for r in rules if r not in RULE_KINDS]
    if missing:
        failed.append(f"rules without a worst case in RULE_KINDS: {', '.join(missing)}")
    fired = {}
    tmp = tempfile.mkdtemp(prefix="pgstage-scaling.")
    try:
        for name, kind, n, args in cases():
            if argv and name not in argv and kind not in argv:
                continue
            c = Case(pgstage, tmp, name, kind, n, args)
            try:
                c.calibrate()
                if args[:3] == ["lint", "--format", "json"]:
                    for rule, k in findings_by_rule(os.path.join(tmp, "out")).items():
                        fired.setdefault(rule, set()).add(kind)
                ratio = c.measure()
            except RuntimeError as e:
                failed.append(f"{name}: {e}")
                print(f"FAIL {name}: {e}")
                continue
            shown = f"{ratio:.1f}x" if ratio is not None else f"over {RATIO * 1.5:.0f}x (stopped)"
            line = f"{name}: n={c.n} {c.small:.2f} s, 4n {shown}"
            if ratio is not None and ratio <= RATIO:
                print(f"ok   {line}")
                continue
            print(f"FAIL {line}: superlinear")
            failed.append(name)
            if args[0] == "lint":
                # the engine alone (syntax-error has no check function), else
                # the rules of this kind whose own time grows too fast
                small = c.time(c.n, 60, ["syntax-error"])
                large = c.time(4 * c.n, RATIO * 1.5 * small + 1, ["syntax-error"])
                if large is None or large / small > RATIO:
                    print("     - the engine without rules (parse, model, effects, report): "
                          + (f"{large / small:.1f}x" if large else "stopped"))
                    continue
                for rule in [r for r, kinds in RULE_KINDS.items() if kind in kinds]:
                    small = c.time(c.n, 60, [rule])
                    large = c.time(4 * c.n, RATIO * 1.5 * small + 1, [rule])
                    if large is None or large / small > RATIO:
                        print(f"     - with --rule {rule} alone: "
                              + (f"{large / small:.1f}x" if large else "stopped"))
        if not argv:
            for rule in rules:
                kinds = RULE_KINDS.get(rule, [])
                if kinds and not fired.get(rule, set()) & set(kinds):
                    failed.append(f"{rule} reports nothing on its kinds ({', '.join(kinds)})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        if " " in f:
            print(f"FAIL {f}")
    print(f"scaling: {len(failed)} failed" if failed else "scaling: passed")
    return 1 if failed else 0


if __name__ == "__main__" and sys.argv[1:2] == ["--generate"]:
    sys.stdout.write(GENERATORS[sys.argv[2]](int(sys.argv[3])))
    sys.exit(0)
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
