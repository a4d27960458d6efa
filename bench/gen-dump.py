#!/usr/bin/env python3
"""Generate benchmark input: a schema-dump-like file, or N migration files."""
import os
import sys


def statements(n):
    for i in range(n):
        yield f"CREATE TABLE public.t{i} (id bigint NOT NULL, email text, n integer DEFAULT 0);"
        yield f"ALTER TABLE ONLY public.t{i} ADD CONSTRAINT t{i}_pkey PRIMARY KEY (id);"
        yield f"CREATE INDEX t{i}_email ON public.t{i} USING btree (email);"
        yield f"ALTER TABLE public.t{i} ADD COLUMN c uuid DEFAULT gen_random_uuid();"


def main():
    n = int(sys.argv[1])
    if "--files" in sys.argv:
        out = sys.argv[sys.argv.index("--files") + 1]
        for i, stmt in enumerate(statements(n)):
            with open(os.path.join(out, f"{i + 1}_m.sql"), "w") as f:
                f.write(f"-- migration {i + 1}\n{stmt}\n")
        return
    stmts = list(statements(n))
    if "--syntax-error" in sys.argv:
        stmts[len(stmts) // 2] = "selec 1;"
    sys.stdout.write("\n".join(stmts) + "\n")


main()
