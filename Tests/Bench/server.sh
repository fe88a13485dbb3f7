#!/usr/bin/env bash
# Server benchmarks for `make bench` (Docs/PERFORMANCE.md): the release server on loopback with a
# demo registry, driven by wrk at 64 connections; beside it a bare Hummingbird echo as the ceiling.
# Every load loop is bounded by wrk's --duration. Usage: server.sh BIN_DIR
set -euo pipefail
# wrk sends everything from 127.0.0.1: lift the per-address application budget (Docs/LIFECYCLE.md).
export IDCA_ADDRESS_BURST=100000 IDCA_ADDRESS_PER_MINUTE=100000
bin="$1"
duration="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-64}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/idca-bench-XXXXXX)"
port=18380
echo_port=18381
cleanup() { kill "${server:-}" "${echo_server:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cd "$work"
"$bin/idca" keys generate > /dev/null
"$bin/idca" demo seed --residents 100000 --organizations 1000 > /dev/null
key=$("$bin/idca" sites add --name Bench --license 京ICP证000000号 --max-accounts 1000 --json | sed 's/.*"api_key":"\([^"]*\)".*/\1/')

echo "== import: 1,000,000 resident rows (validation, keyed hashing, one transaction)"
# One million valid rows: the corpus generator corrupts every tenth number, which are left out.
echo "resident_id,name,status,phone" > million.csv
"$bin/idca-bench" corpus resident-id 1111111 20261129 | awk 'NR % 10 != 0 { print $0 ",测试" NR ",active," }' >> million.csv
rows=$(( $(wc -l < million.csv) - 1 ))
start=$(date +%s%N)
"$bin/idca" registry import residents million.csv --database import.sqlite --json > import.json || true
end=$(date +%s%N)
awk -v n="$rows" -v ns=$((end - start)) 'BEGIN { printf "import: %d rows in %.2f s: %.0f rows/s\n", n, ns / 1e9, n / (ns / 1e9) }'
cat import.json; echo

echo "== services in-process (no HTTP), 64 concurrent callers"
"$bin/idca-bench" services 5

"$bin/idca" serve --port "$port" 2> serve.log &
server=$!
"$bin/idca-bench" echo-server "$echo_port" 2> /dev/null &
echo_server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done

echo "== ceiling: bare Hummingbird JSON echo, $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/echo.lua" "http://127.0.0.1:$echo_port/echo" | grep -E 'Requests/sec|Latency|99%|p99'

echo "== applications: approved individual applications (validate, registry lookup, sign, durable record)"
export IDCA_BENCH_PEOPLE="$work/var/demo/residents.csv" IDCA_BENCH_TOKENS="$work/tokens" IDCA_BENCH_KEY="$key"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/applications.lua" "http://127.0.0.1:$port" | grep -E 'Requests/sec|Latency|99%|p99|Non-2xx'
echo "tokens collected: $(cat tokens.* | wc -l)"

echo "== verify: one fresh single-use token per request, every redemption durable"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/verify.lua" "http://127.0.0.1:$port" | grep -E 'Requests/sec|Latency|99%|p99|Non-2xx'
metrics=$(curl -s "http://127.0.0.1:$port/metrics")
echo "verifications: $(echo "$metrics" | grep '^idca_verifications_total' | tr '\n' ' ')"
echo "decisions: $(echo "$metrics" | grep '^idca_decisions_total' | tr '\n' ' ')"
echo "server RSS: $(( $(ps -o rss= -p "$server") / 1024 )) MB"
