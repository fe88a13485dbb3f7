# idca — the two promised commands are `make run` and `make test` (README.md).
SWIFT        ?= swift
PYTHON       ?= python3
BENCH_BUILD  ?= .build-bench
BENCH_DIR    ?= var/bench
BENCH_LINES  ?= 10000000
# A fixed "today" keeps benchmark and differential verdicts reproducible.
TODAY        ?= 2026-11-29

.PHONY: all build test run bench deps clean

all: build

# Everything the targets need beyond a fresh machine of this kind (Swift, Python 3), installed
# only when missing.
deps:
	@command -v $(PYTHON) >/dev/null 2>&1 || { apt-get update && apt-get install -y python3; }

build:
	$(SWIFT) build

# Unit and CLI tests, then the independent Python oracle's self-test, then the differential
# test of `idca validate` against that oracle on a large mixed corpus.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	cd Tests/Reference && $(PYTHON) -m unittest -q
	$(PYTHON) Tests/Reference/differential.py --idca "$$($(SWIFT) build --show-bin-path)/idca" --count 200000 --today $(TODAY)

# Until the certification service lands, `make run` builds the release binary and shows the
# identity rules at work on a few candidates (valid and broken).
run: deps
	$(SWIFT) build -c release --product idca
	@bin="$$($(SWIFT) build -c release --show-bin-path)/idca"; \
	printf '%s\n' 11010519491231002X 11010519491231002x 110105194912310021 110105491231002 "11010519491231002X " \
		| $$bin validate resident-id --json; \
	echo; echo "idca is at $$bin — try: $$bin validate --help"; true

# In-process rule throughput, then `idca validate` throughput on a generated 10M-line file.
# Figures and how to read them: Docs/PERFORMANCE.md.
bench: deps
	$(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --product idca
	$(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --product idca-bench
	@bin="$$($(SWIFT) build -c release --scratch-path $(BENCH_BUILD) --show-bin-path)"; \
	mkdir -p $(BENCH_DIR); \
	echo "== machine: $$(nproc) cores, $$(uname -m), $$($(SWIFT) --version 2>&1 | head -1)"; \
	$$bin/idca-bench rules 1000000 || exit 1; \
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
	rm -rf .build $(BENCH_BUILD) var/bench
