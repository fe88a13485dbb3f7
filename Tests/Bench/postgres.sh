#!/usr/bin/env bash
# PostgreSQL benchmarks for `make bench` (Docs/PERFORMANCE.md, Docs/SCALING.md): run under
# Tests/Postgres/with_cluster.sh, which provides a throwaway local server. The release `idca` on that
# server with one instance and with two, driven by wrk on loopback; beside it pgbench running the
# verify path's deciding statement (the conditional UPDATE) on the same server, as the engine's own
# ceiling. Every load loop is bounded by --duration / -T. Usage: postgres.sh BIN_DIR
set -euo pipefail
# wrk sends everything from 127.0.0.1: lift the per-address application budget (Docs/LIFECYCLE.md).
export IDCA_ADDRESS_BURST=100000 IDCA_ADDRESS_PER_MINUTE=100000
bin="$1"
duration="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-64}"
here="$(cd "$(dirname "$0")" && pwd)"
: "${IDCA_TEST_POSTGRES_URL:?run under Tests/Postgres/with_cluster.sh}"
base="${IDCA_TEST_POSTGRES_URL%/*}"
pgbin="${IDCA_TEST_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
work="$(mktemp -d /tmp/idca-pgbench-XXXXXX)"
ports=(18390 18391)
servers=()
cleanup() { for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
psql_admin() { psql -q -v ON_ERROR_STOP=1 "$IDCA_TEST_POSTGRES_URL" "$@"; }

cd "$work"
psql_admin -c "CREATE DATABASE bench" -c "CREATE DATABASE bench_import"
export IDCA_DATABASE="$base/bench"
"$bin/idca" keys generate > /dev/null

echo "== PostgreSQL import: 1,000,000 resident rows (validation, keyed hashing, COPY, one transaction)"
echo "resident_id,name,status,phone" > million.csv
"$bin/idca-bench" corpus resident-id 1111111 20261129 | awk 'NR % 10 != 0 { print $0 ",测试" NR ",active," }' >> million.csv
rows=$(( $(wc -l < million.csv) - 1 ))
for pass in "into an empty table (COPY straight in)" "again, every row an update (COPY, then one upsert)"; do
    start=$(date +%s%N)
    "$bin/idca" registry import residents million.csv --database "$base/bench_import" --json > import.json
    end=$(date +%s%N)
    awk -v n="$rows" -v ns=$((end - start)) -v what="$pass" \
        'BEGIN { printf "import %s: %d rows in %.2f s: %.0f rows/s\n", what, n, ns / 1e9, n / (ns / 1e9) }'
done

"$bin/idca" demo seed --residents 100000 --organizations 1000 --traffic 0 > /dev/null
key=$("$bin/idca" sites add --name Bench --license 京ICP证000000号 --max-accounts 1000 --json | sed 's/.*"api_key":"\([^"]*\)".*/\1/')
export IDCA_BENCH_PEOPLE="$work/var/demo/residents.csv" IDCA_BENCH_KEY="$key"

start_instance() {
    "$bin/idca" serve --port "${ports[$1]}" 2> "serve$1.log" &
    servers+=($!)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${ports[$1]}/healthz" > /dev/null && return 0; sleep 0.1; done
    echo "instance $1 did not start:"; cat "serve$1.log"; exit 1
}

# CPU time (clock ticks) used so far by the idca servers and by every PostgreSQL process: where a
# request's cost goes, since all of them share this machine's cores.
ticks() { for pid in "$@"; do awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null; done | awk '{ t += $1 } END { print t + 0 }'; }
postgres_pids() { pgrep -u postgres -d ' ' postgres || true; }

# `load SCRIPT INSTANCES`: wrk against each instance at once, the connections split between them;
# prints each wrk's figures, their sum, and the CPU time per request of idca and of PostgreSQL.
load() {
    local script="$1" instances="$2" per=$((connections / $2)) loaders=()
    local idca_before pg_before idca_after pg_after
    idca_before=$(ticks "${servers[@]}"); pg_before=$(ticks $(postgres_pids))
    for i in $(seq 0 $((instances - 1))); do
        IDCA_BENCH_TOKENS="$work/tokens$i" wrk -t1 -c"$per" -d"${duration}s" --latency \
            -s "$here/$script" "http://127.0.0.1:${ports[$i]}" > "wrk$i.out" &
        loaders+=($!)
    done
    wait "${loaders[@]}"
    idca_after=$(ticks "${servers[@]}"); pg_after=$(ticks $(postgres_pids))
    for i in $(seq 0 $((instances - 1))); do
        echo "instance $i: $(grep -E 'Requests/sec' "wrk$i.out" | awk '{print $2}') req/s, $(grep -E '^p50' "wrk$i.out")$(grep -E 'Non-2xx' "wrk$i.out" | sed 's/^ */, /')"
    done
    awk -v idca=$((idca_after - idca_before)) -v pg=$((pg_after - pg_before)) -v hz="$(getconf CLK_TCK)" -v seconds="$duration" \
        '/Requests\/sec/ { total += $2 }
         END { n = total * seconds; printf "total: %.0f req/s; CPU per request: idca %.0f µs, PostgreSQL %.0f µs\n", total, idca / hz / n * 1e6, pg / hz / n * 1e6 }' wrk*.out
    rm -f wrk*.out
}

start_instance 0
echo "== one instance: applications (validate, registry lookup, sign, two durable commits), $connections connections, ${duration}s"
load applications.lua 1
echo "== one instance: verify (one fresh token per request, every redemption durable)"
load verify.lua 1
rm -f tokens*

start_instance 1
echo "== two instances on one database: applications, $connections connections split between them"
load applications.lua 2
echo "== two instances on one database: verify"
load verify.lua 2
for i in 0 1; do echo "instance $i RSS: $(( $(ps -o rss= -p "${servers[$i]}") / 1024 )) MB"; done
"$bin/idca" audit verify > /dev/null && echo "audit chain after the load: intact"

echo "== ceiling: pgbench, the verify path's conditional UPDATE alone, $connections clients, ${duration}s, synchronous_commit on"
psql -q -v ON_ERROR_STOP=1 "$base/bench" <<'SQL'
CREATE TABLE pgbench_tokens AS
    SELECT 'tok_' || i AS id, 'digest' AS digest, NULL::BIGINT AS redeemed_at, NULL::TEXT AS redeemed_by
    FROM generate_series(1, 2000000) AS i;
ALTER TABLE pgbench_tokens ADD PRIMARY KEY (id);
VACUUM ANALYZE pgbench_tokens;
SQL
cat > redeem.sql <<'SQL'
\set n random(1, 2000000)
UPDATE pgbench_tokens SET redeemed_at = 1, redeemed_by = 'site' WHERE id = 'tok_' || :n AND digest = 'digest' AND redeemed_at IS NULL;
SQL
"$pgbin/pgbench" -n -M prepared -c "$connections" -j 2 -T "$duration" -f redeem.sql "$base/bench" 2>/dev/null | grep -E 'tps|latency average'
