#!/usr/bin/env python3
"""Compare the checked-in core/pgdata tables (generated from PostgreSQL 15) with
the same tables generated from another version's catalog (generate.sh OUTDIR).

    core/pgdata/compare.py VERSION OUTDIR

Prints every function whose volatility differs between the two, every function
only one of them has (counts; names of the other version's volatile ones) and
every binary-coercible cast only one has between types both have. Exits 1 when a function both have
differs in volatility or a cast differs: pgstage would judge a DEFAULT or a type
change of that version by 15's catalog."""
import re
import sys

FUNC = re.compile(r'\{"(\w+)", (\d+), \'(\w)\', \'(\w)\', (\w+)\}')
CAST = re.compile(r'\{"(\w+)", "(\w+)", \'(\w)\'\}')


def functions(path):
    with open(path) as f:
        return {(m[1], int(m[2])): (m[3], m[4]) for m in FUNC.finditer(f.read())}


def casts(path):
    with open(path) as f:
        return {(m[1], m[2]) for m in CAST.finditer(f.read())}


def main():
    version, outdir = sys.argv[1], sys.argv[2]
    ours, theirs = functions("core/pgdata/functions.c"), functions(outdir + "/functions.c")
    bad = 0
    for key in sorted(k for k in ours if k in theirs and ours[k] != theirs[k]):
        print(f"  {key[0]}/{key[1]}: volatility {'/'.join(ours[key])} on 15, "
              f"{'/'.join(theirs[key])} on {version}")
        bad += 1
    only = sorted(k for k in theirs if k not in ours)
    volatile = [f"{k[0]}/{k[1]}" for k in only if theirs[k][0] == "v"]
    print(f"  functions only on {version}: {len(only)} (volatile: "
          f"{', '.join(volatile) if volatile else 'none'}); only on 15: "
          f"{sum(1 for k in ours if k not in theirs)}")
    ours_c, theirs_c = casts("core/pgdata/casts.c"), casts(outdir + "/casts.c")
    # a cast of a type the other version doesn't have (regcollation, abstime)
    # can't be written there: only casts between types both know count
    ours_t = {x for c in ours_c for x in c}
    theirs_t = {x for c in theirs_c for x in c}
    for s, t in sorted(ours_c - theirs_c):
        if s in theirs_t and t in theirs_t:
            print(f"  cast {s} -> {t}: binary-coercible on 15, not on {version}")
            bad += 1
    for s, t in sorted(theirs_c - ours_c):
        if s in ours_t and t in ours_t:
            print(f"  cast {s} -> {t}: binary-coercible on {version}, not on 15")
            bad += 1
    print(f"pgdata on {version}: {bad} difference(s) from 15's tables")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
