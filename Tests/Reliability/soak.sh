#!/usr/bin/env bash
# Soak run for `make soak` (issue #8; not in CI): the release server on loopback with a demo
# registry, under a fixed mixed load of approved applications and verifications of fresh
# single-use tokens at half the benchmark rate: half the server's capacity in all, a quarter of each
# kind's benchmark figure (Docs/PERFORMANCE.md: 2,150 applications/s and 3,570 verifies/s on SQLite,
# each measured alone), for MINUTES consecutive one-minute windows.
#
# Usage: soak.sh BIN_DIR [MINUTES]        (MINUTES: default 10, at least 2; the first is warm-up)
#
# Per window it records, for each kind: requests, the rate achieved, p50/p99 latency, and errors
# (wrk's socket errors and timeouts, non-2xx answers, and answers that are not what the load
# expects: an application not `201 approved`, a verify not `200 active`). The server's RSS is read
# from /proc/PID/status (VmRSS) every SOAK_RSS_INTERVAL seconds. At the end it prints a table and
# the verdicts, and exits 1 unless all hold:
#   - RSS after warm-up grows by less than 10 % (first sample after minute 1 -> last sample);
#   - p99 of the last window is within SOAK_P99_FACTOR (default 2) of the first window after
#     warm-up, or within SOAK_P99_SLACK_MS (default 5 ms) of it, for small values;
#   - zero errors, in every window including the warm-up;
#   - each window achieved at least SOAK_RATE_TOLERANCE (default 0.95) of each target rate:
#     otherwise the machine (or the server) could not carry the load, and the run proves nothing.
#
# Tokens: verifies outpace applications (892 vs 537 a second), so before the soak an unpaced
# load collects the tokens the windows will need beyond what the applications of the window before
# provide. Each token is sent once. Its rate is printed: what the machine can do right now.
#
# Settings from the environment: SOAK_APPLY_RATE and SOAK_VERIFY_RATE (requests/s, defaults above),
# SOAK_WINDOW_SECONDS (60), SOAK_APPLY_CONNECTIONS and SOAK_VERIFY_CONNECTIONS (64 each: enough for
# the rate at up to ~35 ms of latency), SOAK_RSS_INTERVAL (5 s), and the verdicts' limits above.
#
# Every loop is bounded: wrk by --duration, the waits by deadlines. The temporary folder and the
# server go away on exit, also on failure. wrk shares the machine's cores with the server.
set -euo pipefail

if [ $# -lt 1 ]; then echo "usage: $0 BIN_DIR [MINUTES]" >&2; exit 2; fi
bin="$(cd "$1" && pwd)"
minutes="${2:-10}"
if ! [[ "$minutes" =~ ^[0-9]+$ ]] || [ "$minutes" -lt 2 ]; then
  echo "MINUTES must be a whole number of at least 2 (the first minute is warm-up)" >&2; exit 2
fi
for tool in wrk curl python3; do
  command -v "$tool" > /dev/null || { echo "soak: $tool is required (make bench-deps installs wrk)" >&2; exit 2; }
done

# Half the server's capacity in all: each rate is a quarter of what the benchmark measured for that
# kind alone (2,150 approved applications/s, 3,570 verifications/s), since the two share the server.
apply_rate="${SOAK_APPLY_RATE:-537}"
verify_rate="${SOAK_VERIFY_RATE:-892}"
window="${SOAK_WINDOW_SECONDS:-60}"
threads=2
apply_connections="${SOAK_APPLY_CONNECTIONS:-64}"
verify_connections="${SOAK_VERIFY_CONNECTIONS:-64}"
rss_interval="${SOAK_RSS_INTERVAL:-5}"
export SOAK_P99_FACTOR="${SOAK_P99_FACTOR:-2}" SOAK_P99_SLACK_MS="${SOAK_P99_SLACK_MS:-5}"
export SOAK_RSS_LIMIT="${SOAK_RSS_LIMIT:-10}" SOAK_RATE_TOLERANCE="${SOAK_RATE_TOLERANCE:-0.95}"
# wrk sends everything from 127.0.0.1: lift the per-address application budget (Docs/LIFECYCLE.md).
# Tokens live a day, so that the ones collected first are still good in the last window.
export IDCA_ADDRESS_BURST=100000 IDCA_ADDRESS_PER_MINUTE=100000 IDCA_TOKEN_LIFETIME=86400

here="$(cd "$(dirname "$0")" && pwd)"
script="$here/soak.lua"
work="$(mktemp -d /tmp/idca-soak-XXXXXX)"
server="" sampler="" apply_load="" verify_load=""
cleanup() {
  for job in "$sampler" "$apply_load" "$verify_load"; do
    if [ -n "$job" ]; then kill "$job" 2> /dev/null || true; fi
  done
  if [ -n "$server" ] && kill -0 "$server" 2> /dev/null; then
    kill "$server" 2> /dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$server" 2> /dev/null || true
  fi
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

cd "$work"
echo "== soak: $minutes x ${window}s, applications at $apply_rate/s, verifications at $verify_rate/s (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin/idca" keys generate > /dev/null
"$bin/idca" demo seed --residents 100000 --organizations 1000 > /dev/null
key=$("$bin/idca" sites add --name Soak --license 京ICP证000000号 --max-accounts 1000 --json | sed 's/.*"api_key":"\([^"]*\)".*/\1/')
export SOAK_PEOPLE="$work/var/demo/residents.csv" SOAK_KEY="$key" SOAK_THREADS="$threads"

"$bin/idca" serve --port 0 2> serve.log &
server=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*address=127\.0\.0\.1:\([0-9]*\) \[IDCACommands\] listening.*/\1/p' serve.log | head -1)
  [ -n "$port" ] && break
  kill -0 "$server" 2> /dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then echo "soak: the server did not start" >&2; cat serve.log >&2; exit 1; fi
url="http://127.0.0.1:$port"
curl -sf "$url/healthz" > /dev/null

# Tokens the verify windows need: window 1 takes them all from the collection; each later window
# gets the previous window's applications and the shortfall from the collection.
per_window=$(( (verify_rate * window * 103 + 99) / 100 + 100 ))
from_applications=$(( apply_rate * window * 95 / 100 ))
shortfall=$(( per_window > from_applications ? per_window - from_applications : 0 ))
needed=$(( per_window + (minutes - 1) * shortfall ))
echo "== collecting $needed tokens before the soak (unpaced applications, bounded to 30 min)"
: > pool
collect_deadline=$(( $(date +%s) + 1800 ))
round=0
while [ "$(wc -l < pool)" -lt "$needed" ]; do
  if [ "$(date +%s)" -ge "$collect_deadline" ]; then echo "soak: could not collect $needed tokens in 30 min" >&2; exit 1; fi
  round=$((round + 1))
  SOAK_KIND=apply SOAK_RATE=0 SOAK_OFFSET=$((round * 104729)) SOAK_TOKENS_OUT="$work/collect.$round" \
    wrk -t"$threads" -c64 -d20s -s "$script" "$url" > "collect.$round.out"
  cat "collect.$round".[0-9]* >> pool
  rm -f "collect.$round".[0-9]*
  sed -n 's/^SOAKRESULT //p' "collect.$round.out" | awk -v r="$round" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "   round %d: %d approved applications at %.0f/s, p99 %.1f ms, %d not approved\n",
      r, v["good"], v["requests"] / (v["duration_us"] / 1e6), v["p99_us"] / 1000, v["unexpected"] }'
done

# The server's RSS (kB) and CPU ticks every few seconds, until the windows are over (bounded).
( deadline=$(( $(date +%s) + minutes * (window + 30) + 60 ))
  while kill -0 "$server" 2> /dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server/status" 2> /dev/null || true)
    ticks=$(awk '{ print $14 + $15 }' "/proc/$server/stat" 2> /dev/null || true)
    [ -n "$rss" ] && echo "$(now_ms) $rss $ticks" >> rss.log
    # The database and its WAL: a WAL that keeps growing (checkpoints starved by readers) makes
    # every read search more of it, one suspect when latency climbs.
    echo "$(now_ms) $(stat -c %s var/idca.sqlite 2> /dev/null || echo 0) $(stat -c %s var/idca.sqlite-wal 2> /dev/null || echo 0)" >> files.log
    sleep "$rss_interval"
  done ) &
sampler=$!

: > windows.log
: > results.log
for w in $(seq 1 "$minutes"); do
  # This window's tokens, dealt round-robin to the verify threads, and gone from the pool.
  head -n "$per_window" pool | awk -v dir="$work" -v n="$threads" '{ print > (dir "/verify." ((NR - 1) % n + 1)) }'
  tail -n +"$((per_window + 1))" pool > pool.next && mv pool.next pool
  start=$(now_ms)
  SOAK_KIND=apply SOAK_RATE="$apply_rate" SOAK_OFFSET=$((w * 7)) SOAK_TOKENS_OUT="$work/issued.$w" \
    wrk -t"$threads" -c"$apply_connections" -d"${window}s" -s "$script" "$url" > "apply.$w.out" 2>&1 &
  apply_load=$!
  SOAK_KIND=verify SOAK_RATE="$verify_rate" SOAK_TOKENS_IN="$work/verify" \
    wrk -t"$threads" -c"$verify_connections" -d"${window}s" -s "$script" "$url" > "verify.$w.out" 2>&1 &
  verify_load=$!
  wait "$apply_load" || true
  wait "$verify_load" || true
  apply_load="" verify_load=""
  end=$(now_ms)
  echo "$w $start $end $(cut -d' ' -f1 /proc/loadavg)" >> windows.log
  for kind in apply verify; do
    line=$(sed -n 's/^SOAKRESULT //p' "$kind.$w.out")
    if [ -z "$line" ]; then echo "soak: wrk ($kind, window $w) printed no result:" >&2; cat "$kind.$w.out" >&2; line="kind=$kind failed=1"; fi
    echo "window=$w $line" >> results.log
  done
  cat "issued.$w".[0-9]* >> pool 2> /dev/null || true
  rm -f "issued.$w".[0-9]* verify.[0-9]*
  alive=yes; kill -0 "$server" 2> /dev/null || alive=no
  awk -v w="$w" -v a="$alive" '$1 == "window=" w {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "   window %d %-6s %7d requests, %6.0f/s, p99 %6.1f ms, not ok %d\n", w, v["kind"], v["requests"],
        v["requests"] / (v["duration_us"] / 1e6 + 1e-9), v["p99_us"] / 1000, v["unexpected"] + v["connect"] + v["read"] + v["write"] + v["timeout"] }
    END { if (a == "no") print "   the server has exited" }' results.log
  [ "$alive" = yes ] || break
done
kill "$sampler" 2> /dev/null || true
wait "$sampler" 2> /dev/null || true
sampler=""

server_alive=yes
kill -0 "$server" 2> /dev/null || server_alive=no
export SOAK_SERVER_ALIVE="$server_alive" SOAK_MINUTES="$minutes" SOAK_APPLY_RATE="$apply_rate" SOAK_VERIFY_RATE="$verify_rate"
echo "== server log: $(grep -ciE 'error|critical' serve.log || true) error lines, $(grep -ci 'warning' serve.log || true) warnings"
grep -iE 'error|critical|warning' serve.log | head -5 || true

# The table and the verdicts.
python3 - "$work" <<'PY'
import os, sys

work = sys.argv[1]
env = os.environ
factor, slack = float(env["SOAK_P99_FACTOR"]), float(env["SOAK_P99_SLACK_MS"])
rss_limit, tolerance = float(env["SOAK_RSS_LIMIT"]), float(env["SOAK_RATE_TOLERANCE"])
targets = {"apply": float(env["SOAK_APPLY_RATE"]), "verify": float(env["SOAK_VERIFY_RATE"])}

windows = {}
for line in open(os.path.join(work, "windows.log")):
    w, start, end, load = line.split()
    windows[int(w)] = {"start": int(start), "end": int(end), "load": load}
results = {}
for line in open(os.path.join(work, "results.log")):
    fields = dict(item.split("=", 1) for item in line.split())
    results[(int(fields["window"]), fields["kind"])] = fields
samples = []
for line in open(os.path.join(work, "rss.log")):
    parts = line.split()
    if len(parts) >= 2:
        samples.append((int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else None))

def number(fields, name):
    return float(fields.get(name, 0) or 0)

def errors(fields):
    if "failed" in fields:
        return 1
    return int(sum(number(fields, n) for n in ("connect", "read", "write", "timeout", "unexpected", "exhausted")))

def rate(fields):
    duration = number(fields, "duration_us") / 1e6
    return number(fields, "requests") / duration if duration else 0.0

ticks = os.sysconf("SC_CLK_TCK")
print()
print("| window | applications | /s | p50 ms | p99 ms | errors | verifications | /s | p50 ms | p99 ms | errors | RSS MB (min–max) | server CPU | load |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for w in sorted(windows):
    row = [str(w) + (" (warm-up)" if w == 1 else "")]
    for kind in ("apply", "verify"):
        f = results.get((w, kind), {"failed": "1"})
        row += [f"{int(number(f, 'requests')):,}", f"{rate(f):,.0f}", f"{number(f, 'p50_us') / 1000:.1f}",
                f"{number(f, 'p99_us') / 1000:.1f}", str(errors(f))]
    inside = [s for s in samples if windows[w]["start"] <= s[0] <= windows[w]["end"]]
    if inside:
        row.append(f"{min(s[1] for s in inside) / 1024:.1f}–{max(s[1] for s in inside) / 1024:.1f}")
        timed = [s for s in inside if s[2] is not None]
        if len(timed) >= 2 and timed[-1][0] > timed[0][0]:
            row.append(f"{(timed[-1][2] - timed[0][2]) / ticks / ((timed[-1][0] - timed[0][0]) / 1000) * 100:.0f} %")
        else:
            row.append("–")
    else:
        row += ["–", "–"]
    row.append(windows[w]["load"])
    print("| " + " | ".join(row) + " |")
print()

verdicts = []
last = max(windows)
# Memory: the first sample after the warm-up minute against the last sample of the run.
after = [s for s in samples if s[0] >= windows[1]["end"]]
if len(after) >= 2:
    base, final, peak = after[0][1], after[-1][1], max(s[1] for s in after)
    growth = (final - base) / base * 100
    verdicts.append((growth < rss_limit,
                     f"RSS after warm-up: {base / 1024:.1f} MB -> {final / 1024:.1f} MB ({growth:+.1f} %; peak {peak / 1024:.1f} MB, "
                     f"{(peak - base) / base * 100:+.1f} %), limit +{rss_limit:g} %"))
else:
    verdicts.append((False, "RSS after warm-up: not enough samples"))
# The database and its WAL over the run (informational: where latency may go).
sizes = [tuple(int(x) for x in line.split()) for line in open(os.path.join(work, "files.log")) if len(line.split()) == 3]
if sizes:
    print(f"database file {sizes[0][1] / 1e6:.0f} -> {sizes[-1][1] / 1e6:.0f} MB; WAL {sizes[0][2] / 1e6:.1f} -> "
          f"{sizes[-1][2] / 1e6:.1f} MB (peak {max(s[2] for s in sizes) / 1e6:.1f} MB)")
# Latency: the last window against the first window after warm-up.
for kind, label in (("apply", "applications"), ("verify", "verifications")):
    first, final = results.get((2, kind)), results.get((last, kind))
    if not first or not final or "failed" in first or "failed" in final:
        verdicts.append((False, f"p99 {label}: missing results"))
        continue
    p_first, p_last = number(first, "p99_us") / 1000, number(final, "p99_us") / 1000
    ok = p_last <= factor * p_first or p_last <= p_first + slack
    verdicts.append((ok, f"p99 {label}: window 2 {p_first:.1f} ms -> window {last} {p_last:.1f} ms "
                         f"(x{p_last / p_first if p_first else float('inf'):.2f}; limit x{factor:g} or +{slack:g} ms)"))
# Errors, every window, the warm-up included.
total_errors = sum(errors(f) for f in results.values())
detail = {}
for f in results.values():
    for name in ("connect", "read", "write", "timeout", "unexpected", "exhausted", "s4xx", "s5xx", "sother", "failed"):
        detail[name] = detail.get(name, 0) + int(number(f, name))
verdicts.append((total_errors == 0 and len(results) == 2 * len(windows),
                 f"errors: {total_errors} (" + ", ".join(f"{k} {v}" for k, v in detail.items()) + ")"))
# The load itself: did each window get the rate it was meant to?
short = []
for (w, kind), f in sorted(results.items()):
    if rate(f) < tolerance * targets[kind]:
        short.append(f"window {w} {kind} {rate(f):,.0f}/s")
verdicts.append((not short, f"rate achieved >= {tolerance:g} x target ({targets['apply']:,.0f} and {targets['verify']:,.0f}/s) in every window"
                 + (": short in " + "; ".join(short) if short else "")))
verdicts.append((env.get("SOAK_SERVER_ALIVE") == "yes" and len(windows) == int(env["SOAK_MINUTES"]),
                 f"server up for all {env['SOAK_MINUTES']} windows: {env.get('SOAK_SERVER_ALIVE')}"))

for ok, text in verdicts:
    print(("PASS  " if ok else "FAIL  ") + text)
failed = sum(1 for ok, _ in verdicts if not ok)
print(f"soak: {len(verdicts) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
