#!/usr/bin/env python3
"""Lint benchmark (make bench-lint; not part of make check).

usage: bench/lint.py PGSTAGE BARE_PARSE [RESULTS.md]

Per workload: wall time (median of BENCH_RUNS runs, default 3), MB/s,
statements/s, peak RSS, and ratios measured in the same run: pgstage / bare
libpg_query parse+unpack of the same input (bench/bare_parse.c, the floor for
any libpg_query-based tool) and squawk / pgstage on the many-file history
(squawk-cli from npm, installed into ~/.cache/pgstage-bench when missing; its
ratio is left out, with a note, when npm is not there).

Every process runs under a memory cap (BENCH_MEM_MB, default 4096) and a
time limit (BENCH_TIMEOUT seconds, default 600) so a superlinear build cannot
take the machine down: a run that hits either is reported as such.
BENCH_SIZES (MB, default "0.01 1 10 100") are the single-file sizes.
"""
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MEM_MB = int(os.environ.get("BENCH_MEM_MB", "4096"))
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "600"))
SIZES = [float(s) for s in os.environ.get("BENCH_SIZES", "0.01 1 10 100").split()]
FORMATS = ["text", "json", "sarif", "github", "gitlab", "junit", "gcc"]
SQUAWK_DIR = os.path.expanduser("~/.cache/pgstage-bench/squawk")
SQUAWK_VERSION = "2.66"
HISTORY_FILES = 5000


def limit_memory():
    cap = MEM_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT, TIMEOUT))


def run_once(cmd, stdin_text=None):
    """(wall seconds, CPU seconds, peak RSS MB, ok) of one run; output discarded."""
    start = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=limit_memory)
        if stdin_text:
            p.stdin.write(stdin_text.encode())
            p.stdin.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    except OSError:
        return None, None, None, False
    wall = time.monotonic() - start
    cpu = usage.ru_utime + usage.ru_stime
    # lint exits 0 (clean) or 1 (findings); a signal (the caps) or 2 is a failure
    return wall, cpu, usage.ru_maxrss / 1024, p.returncode in (0, 1)


def measure(cmd, stdin_text=None):
    times, cpus, rss = [], [], 0.0
    for _ in range(RUNS):
        wall, cpu, peak, ok = run_once(cmd, stdin_text)
        if not ok:
            return None
        times.append(wall)
        cpus.append(cpu)
        rss = max(rss, peak)
    return statistics.median(times), statistics.median(cpus), rss


def gen_dump(path, megabytes):
    """A schema-dump-style file of about this size (bench/gen-dump.py's statements)."""
    tables = max(1, int(megabytes * 1024 * 1024 / 286))
    with open(path, "w") as f:
        subprocess.run([os.path.join(HERE, "gen-dump.py"), str(tables)], stdout=f, check=True)


def count_statements(bare, paths):
    out = subprocess.run([bare, "-"], input="\n".join(paths), capture_output=True, text=True,
                         check=True).stdout
    return int(out.split()[0])


def find_squawk():
    exe = os.path.join(SQUAWK_DIR, "node_modules", ".bin", "squawk")
    if os.path.exists(exe):
        return exe, None
    if not shutil.which("npm"):
        return None, "npm is not installed: squawk / pgstage not measured"
    os.makedirs(SQUAWK_DIR, exist_ok=True)
    r = subprocess.run(["npm", "i", "--no-audit", "--no-fund", f"squawk-cli@{SQUAWK_VERSION}"],
                       cwd=SQUAWK_DIR, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(exe):
        return None, "npm i squawk-cli failed: squawk / pgstage not measured"
    return exe, None


def has_jobs_option(pgstage):
    out = subprocess.run([pgstage, "lint", "--help"], capture_output=True, text=True).stdout
    return "--jobs" in out


class Table:
    def __init__(self):
        self.rows = []

    def add(self, name, megabytes, stmts, res, bare=None, extra=""):
        if res is None:
            self.rows.append(f"| {name} | {megabytes:.2f} | {stmts} | failed (over {MEM_MB} MB "
                             f"or {TIMEOUT} s CPU) | | | | | | {extra} |")
            print(f"{name}: failed", flush=True)
            return
        secs, cpu, rss = res
        ratio = f"{secs / bare[0]:.2f} / {cpu / bare[1]:.2f}" if bare else ""
        self.rows.append(f"| {name} | {megabytes:.2f} | {stmts} | {secs:.3f} | {cpu:.3f} | "
                         f"{megabytes / secs:.2f} / {megabytes / cpu:.2f} | "
                         f"{stmts / cpu:,.0f} | {rss:.0f} | {ratio} | {extra} |")
        print(self.rows[-1], flush=True)

    def markdown(self):
        head = ("| workload | MB | statements | wall s (median) | CPU s (median) | "
                "MB/s (wall / CPU) | statements per CPU s | peak RSS MB | "
                "pgstage / bare parse (wall / CPU) | note |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n")
        return head + "\n".join(self.rows) + "\n"


def main():
    pgstage, bare = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    results = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "RESULTS.md")
    jobs = ["-j", "1"] if has_jobs_option(pgstage) else []
    table, notes = Table(), []
    work = tempfile.mkdtemp(prefix="pgstage-bench-")
    try:
        # the many-file history: one statement per file, as a migration directory
        hist = os.path.join(work, "history")
        os.mkdir(hist)
        subprocess.run([os.path.join(HERE, "gen-dump.py"), str(HISTORY_FILES // 4), "--files",
                        hist], check=True)
        paths = sorted(os.path.join(hist, p) for p in os.listdir(hist))
        mb = sum(os.path.getsize(p) for p in paths) / 1e6
        stmts = count_statements(bare, paths)
        bare_res = measure([bare, "-"], "\n".join(paths))
        table.add(f"bare parse, history of {len(paths)} files", mb, stmts, bare_res)
        res = measure([pgstage, "lint", *jobs, "--format", "json", hist])
        jobs_label = "".join(" " + j for j in jobs)
        table.add(f"lint --format json{jobs_label}, history of {len(paths)} files", mb,
                  stmts, res, bare_res)
        if jobs:
            res_par = measure([pgstage, "lint", "--format", "json", hist])
            table.add(f"lint --format json (default -j), history", mb, stmts, res_par, bare_res)
        squawk, why = find_squawk()
        if squawk:
            sq = measure([squawk, "--reporter", "json", *paths])
            extra = ""
            if sq and res:
                extra = (f"squawk / pgstage = {sq[0] / res[0]:.2f} (wall), "
                         f"{sq[1] / res[1]:.2f} (CPU)")
            table.add(f"squawk {SQUAWK_VERSION} --reporter json, history", mb, stmts, sq,
                      None, extra)
        else:
            notes.append(why)

        # single files of each size, every format; explain and plan; as --context
        small = os.path.join(work, "small.sql")
        with open(small, "w") as f:
            f.write("ALTER TABLE public.t1 ADD COLUMN d integer;\n")
        for size in SIZES:
            path = os.path.join(work, f"dump-{size}.sql")
            gen_dump(path, size)
            mb = os.path.getsize(path) / 1e6
            stmts = count_statements(bare, [path])
            bare_res = measure([bare, path])
            table.add(f"bare parse, {size} MB file", mb, stmts, bare_res)
            for fmt in FORMATS:
                res = measure([pgstage, "lint", *jobs, "--format", fmt, path])
                table.add(f"lint --format {fmt}, {size} MB file", mb, stmts, res, bare_res)
            res = measure([pgstage, "lint", *jobs, "--context", path, small])
            table.add(f"lint --context ({size} MB) small migration", mb, stmts, res, bare_res)
            if size == 10:
                for cmd in ("explain", "plan"):
                    res = measure([pgstage, cmd, path])
                    table.add(f"{cmd}, {size} MB file", mb, stmts, res, bare_res)
            os.unlink(path)
    finally:
        shutil.rmtree(work)

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version = subprocess.run([pgstage, "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    with open(results, "w") as f:
        f.write("# pgstage lint benchmark\n\n")
        f.write(f"Made by `make bench-lint` (bench/lint.py) on "
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {version}; "
                f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
                f"{RUNS} runs per workload (median wall time, largest peak RSS); load average "
                f"{os.getloadavg()[0]:.1f} at the end. On a machine shared with other work the "
                f"wall times and their ratios swing with the load: the CPU time (user + "
                f"system) is the steadier figure.\n\n")
        f.write("The targets (issue 15): peak RSS at most 64 MB + 4x the largest input file; "
                "MB/s within +-20% from 10 KB to 100 MB for every format and for explain/plan; "
                "pgstage / bare parse <= 1.3 on every lint workload at -j 1; squawk / pgstage "
                ">= 1.4 at -j 1 and >= 2.5 with the default -j on the history.\n\n")
        f.write(table.markdown())
        for n in notes:
            f.write(f"\nNote: {n}\n")
        if not jobs:
            f.write("\nNote: this pgstage has no -j option: every lint run is single-threaded.\n")
    print(f"wrote {results}")


main()
