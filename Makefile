# idca — the two promised commands are `make run` and `make test` (README.md).
SWIFT        ?= swift
PYTHON       ?= python3
BENCH_BUILD  ?= .build-bench
BENCH_DIR    ?= var/bench
BENCH_LINES  ?= 10000000
# A fixed "today" keeps benchmark and differential verdicts reproducible.
TODAY        ?= 2026-11-29

# The debug binary the live-server tests drive (resolved when a recipe line runs).
IDCA_DEBUG   = "$$($(SWIFT) build --show-bin-path)/idca"
# Longer runs of the fuzzers for `make fuzz` (seconds per libFuzzer target; generated API cases).
FUZZ_SECONDS ?= 300
FUZZ_CASES   ?= 50000
SOAK_MINUTES ?= 10

.PHONY: all build test run bench soak fuzz deps bench-deps clean

all: build

# Everything the targets need beyond a fresh machine of this kind (Swift, Python 3, the SQLite
# headers GRDB builds against, jq and openssl for the audit checkpoint recipe, Chromium, its driver and
# selenium for the browser test, wrk for benchmarks),
# installed only when missing.
deps:
	@command -v $(PYTHON) >/dev/null 2>&1 || { apt-get update && apt-get install -y python3; }
	@dpkg -s libsqlite3-dev >/dev/null 2>&1 || { apt-get update && apt-get install -y libsqlite3-dev; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update && apt-get install -y postgresql; }
	@command -v sqlite3 >/dev/null 2>&1 || { apt-get update && apt-get install -y sqlite3; }
	@command -v jq >/dev/null 2>&1 || { apt-get update && apt-get install -y jq; }
	@command -v openssl >/dev/null 2>&1 || { apt-get update && apt-get install -y openssl; }
	@$(PYTHON) -c 'import jsonschema, yaml' 2>/dev/null || $(PYTHON) -m pip install --quiet jsonschema pyyaml
	@$(PYTHON) -c 'import joserfc' 2>/dev/null || $(PYTHON) -m pip install --quiet joserfc
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { apt-get update && apt-get install -y chromium chromium-driver; }
	@$(PYTHON) -c 'import selenium' 2>/dev/null || $(PYTHON) -m pip install --quiet selenium
	@$(PYTHON) -c 'import schemathesis, hypothesis, sys; sys.exit(schemathesis.__version__ != "4.32.5" or hypothesis.__version__ != "6.155.2")' 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet schemathesis==4.32.5 hypothesis==6.155.2

bench-deps: deps
	@command -v wrk >/dev/null 2>&1 || { apt-get update && apt-get install -y wrk; }

build:
	$(SWIFT) build

# Swift unit, route and CLI tests, with the storage contract run against SQLite and against a
# throwaway PostgreSQL cluster (Tests/Postgres/with_cluster.sh starts it and always removes it);
# two `idca serve` instances on one PostgreSQL database under concurrent load and kill -9; the
# live-server smoke test against the OpenAPI document; the browser test; the crash checker (kill -9
# under load) on SQLite and on PostgreSQL; schemathesis' generated cases and the hand-written hostile
# ones against the live server; slow, idle and oversized clients; a full disk; PostgreSQL stopped
# under load; the independent Python
# audit-chain checker against `idca audit verify` on intact and tampered logs; the independent
# Python oracle's self-test; and the differential test of `idca validate` against that oracle on a
# large corpus. What each promises: Docs/RELIABILITY.md.
test: deps
	$(SWIFT) build --build-tests
	IDCA_REQUIRE_POSTGRES=1 Tests/Postgres/with_cluster.sh $(SWIFT) test --skip-build
	Tests/Postgres/with_cluster.sh $(PYTHON) Tests/Postgres/multi_instance_test.py --idca $(IDCA_DEBUG)
	$(PYTHON) Tests/API/smoke_test.py --idca $(IDCA_DEBUG)
	$(PYTHON) Tests/Browser/browser_test.py --idca $(IDCA_DEBUG)
	$(PYTHON) Tests/Reliability/crash_test.py --idca $(IDCA_DEBUG) --backend sqlite
	Tests/Postgres/with_cluster.sh $(PYTHON) Tests/Reliability/crash_test.py --idca $(IDCA_DEBUG) --backend postgres
	$(PYTHON) Tests/API/fuzz_api.py --idca $(IDCA_DEBUG) --cases 5000 --seed 8
	$(PYTHON) Tests/API/hostile_test.py --idca $(IDCA_DEBUG)
	$(PYTHON) Tests/Reliability/exhaustion_test.py --idca $(IDCA_DEBUG)
	$(PYTHON) Tests/Reliability/disk_full_test.py --idca $(IDCA_DEBUG)
	Tests/Postgres/with_cluster.sh $(PYTHON) Tests/Reliability/database_outage_test.py --idca $(IDCA_DEBUG)
	IDCA_BIN=$(IDCA_DEBUG) $(PYTHON) Tests/Audit/test_verify_chain.py
	cd Tests/Reference && $(PYTHON) -m unittest -q
	$(PYTHON) Tests/Reference/differential.py --idca $(IDCA_DEBUG) --count 200000 --today $(TODAY)

# Longer fuzzing than `make test` does (Docs/RELIABILITY.md): every libFuzzer target of Tests/Fuzz for
# FUZZ_SECONDS each (address sanitizer on; a crash leaves its input and fails), then FUZZ_CASES
# schemathesis cases with a seed of the day, printed so that a failure can be replayed.
fuzz: deps
	bash Tests/Fuzz/run.sh $(FUZZ_SECONDS)
	$(SWIFT) build --product idca
	$(PYTHON) Tests/API/fuzz_api.py --idca $(IDCA_DEBUG) --cases $(FUZZ_CASES) --seed $$(date +%Y%m%d)

# Ten minutes (SOAK_MINUTES) of mixed applications and verifications at half the benchmark rate
# against the release server: memory flat, p99 stable, zero errors (Docs/RELIABILITY.md). Not in CI.
soak: bench-deps
	$(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --product idca
	bash Tests/Reliability/soak.sh "$$($(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --show-bin-path)" $(SOAK_MINUTES)

# The real service on an embedded SQLite with demo data: keys and registry are created on the first
# run and kept (var/, keys/); every later run starts the same CA again.
HOST ?= 127.0.0.1
PORT ?= 8080
run: deps
	$(SWIFT) build -c release --product idca
	@bin="$$($(SWIFT) build -c release --show-bin-path)/idca"; \
	$$bin keys generate && \
	$$bin demo seed && \
	echo && echo "Walk-through: README.md (the site key above is in var/demo/site.json). Stop with Ctrl-C." && echo && \
	exec $$bin serve --host $(HOST) --port $(PORT)

# The server (import, applications, verify beside a bare echo ceiling, RSS), the same on PostgreSQL
# with one and two instances beside pgbench's ceiling (a throwaway cluster), then in-process rule
# throughput, statistics exports over 10 million decisions, and `idca validate` throughput on a
# generated 10M-line file.
# Figures and how to read them: Docs/PERFORMANCE.md.
bench: bench-deps
	$(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --product idca
	$(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --product idca-bench
	bash Tests/Bench/server.sh "$$($(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --show-bin-path)"
	Tests/Postgres/with_cluster.sh bash Tests/Bench/postgres.sh "$$($(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --show-bin-path)"
	@bin="$$($(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --show-bin-path)"; \
	mkdir -p $(BENCH_DIR); \
	echo "== machine: $$(nproc) cores, $$(uname -m), $$($(SWIFT) --version 2>&1 | head -1)"; \
	$$bin/idca-bench rules 1000000 || exit 1; \
	$$bin/idca-bench statistics 10000000 365 || exit 1; \
	for kind in resident-id credit-code; do \
		file=$(BENCH_DIR)/$$kind-$(BENCH_LINES).txt; \
		[ -s $$file ] || $$bin/idca-bench corpus $$kind $(BENCH_LINES) > $$file; \
		for mode in "" "--json"; do \
			start=$$(date +%s%N); \
			$$bin/idca validate $$kind $$mode --today $(TODAY) < $$file > /dev/null; status=$$?; \
			end=$$(date +%s%N); \
			[ $$status -le 1 ] || exit 1; \
			awk -v n=$(BENCH_LINES) -v ns=$$((end - start)) -v k="$$kind $$mode" \
				'BEGIN { printf "idca validate %-24s %d lines in %.2f s: %.2f M lines/s\n", k, n, ns / 1e9, n / (ns / 1e9) / 1e6 }'; \
		done; \
	done

clean:
	rm -rf .build $(BENCH_BUILD) .build-fuzz var/bench
