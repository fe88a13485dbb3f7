#!/usr/bin/env bash
# Builds the libFuzzer targets of Tests/Fuzz and runs each for SECONDS_PER_TARGET (default 60),
# one after another, from the committed seed corpus. Fails if any target crashes, trips
# AddressSanitizer or breaks one of its properties, and says where the input that did it went.
#
#   Tests/Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# TARGET is a corpus name (identity-rules, registry-csv, tokens, strict-json); all by default.
# The committed corpus is copied to a temporary working corpus, so a run never changes the
# repository; crash inputs are kept under .build-fuzz/findings/<target>/. Extra libFuzzer options
# can be given in FUZZ_FLAGS (e.g. FUZZ_FLAGS='-jobs=1 -seed=1'); IDCA_FUZZ_ROOT builds against
# another checkout of idca (see Tests/Fuzz/Package.swift).
set -euo pipefail

seconds="${1:-60}"
shift || true
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scratch="$root/.build-fuzz"
swift="${SWIFT:-swift}"

# target name in the package → corpus and findings name
all_targets=(FuzzIdentityRules:identity-rules FuzzRegistryCSV:registry-csv FuzzTokens:tokens FuzzStrictJSON:strict-json)
selected=()
if [ "$#" -eq 0 ]; then
    selected=("${all_targets[@]}")
else
    for wanted in "$@"; do
        found=""
        for pair in "${all_targets[@]}"; do
            if [ "${pair##*:}" = "$wanted" ] || [ "${pair%%:*}" = "$wanted" ]; then found="$pair"; fi
        done
        [ -n "$found" ] || { echo "unknown target: $wanted (one of: identity-rules registry-csv tokens strict-json)" >&2; exit 2; }
        selected+=("$found")
    done
fi

# The idca modules are instrumented like a `-sanitize=fuzzer,address` build (the coverage kinds
# are the ones -sanitize=fuzzer turns on) without -sanitize=fuzzer itself: -Xswiftc reaches the
# build-tool plugin's executable too (EmbedTextResource, which idca's IDCARules needs), and that
# must keep its own main. The fuzz targets add -sanitize=fuzzer,address and -parse-as-library in
# their own settings (Package.swift).
build_flags=(
    -c release -j 1 --scratch-path "$scratch"
    -Xswiftc -sanitize=address
    -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
)
echo "== building the fuzz targets (swift build ${build_flags[*]})"
(cd "$here" && "$swift" build "${build_flags[@]}")
bin="$(cd "$here" && "$swift" build "${build_flags[@]}" --show-bin-path)"

work="$(mktemp -d "${TMPDIR:-/tmp}/idca-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The Swift runtime's own crash reporter would catch the fatal signal before AddressSanitizer and
# libFuzzer, and then trip ASan itself: leave crashes to them.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:handle_abort=1:symbolize=1}"

failed=()
summary=()
for pair in "${selected[@]}"; do
    target="${pair%%:*}"
    name="${pair##*:}"
    corpus="$work/$name"
    findings="$scratch/findings/$name"
    log="$work/$name.log"
    mkdir -p "$corpus" "$findings"
    cp "$here/Corpus/$name/"* "$corpus/"
    echo "== $name: $target for ${seconds}s from $(ls "$corpus" | wc -l) seeds"
    status=0
    # shellcheck disable=SC2086
    (cd "$work" && "$bin/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$findings/" ${FUZZ_FLAGS:-} "$corpus") >"$log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | sed 's/^/   /' || true
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    coverage="$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)"
    if [ "$status" -ne 0 ]; then
        echo "!! $name FAILED (exit $status). What it found:"
        grep -E 'PROPERTY VIOLATED|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY' "$log" | head -5 | sed 's/^/   /'
        grep -E 'Test unit written to|artifact_prefix' "$log" | sed 's/^/   /'
        cp "$log" "$findings/$(date +%Y%m%d-%H%M%S).log"
        echo "   full log: $(ls -t "$findings"/*.log | head -1)"
        echo "   reproduce: SWIFT_BACKTRACE=enable=no $bin/$target <crash file>"
        failed+=("$name")
        summary+=("$name: FAILED after ${execs:-?} runs (${rate:-?} exec/s, ${coverage:-no coverage line})")
    else
        summary+=("$name: ok, ${execs:-?} runs in ${seconds}s (${rate:-?} exec/s), ${coverage:-no coverage line}")
    fi
done

echo "== summary"
printf '   %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing failed: ${failed[*]} (inputs under $scratch/findings/)" >&2
    exit 1
fi
