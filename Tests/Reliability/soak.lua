-- wrk script for Tests/Reliability/soak.sh: one window of paced load, either approved individual
-- applications (SOAK_KIND=apply) or verifications of fresh single-use tokens (SOAK_KIND=verify).
--
-- Pacing: wrk sends as fast as its connections allow unless the script has delay(). Here every
-- thread hands out send slots from its own schedule, SOAK_RATE / SOAK_THREADS a second; a
-- connection that is free asks delay() for the next slot and waits until it comes. The total rate
-- is therefore fixed as long as enough connections are free (connections >= rate x latency). A
-- schedule that falls behind (the server stalled) catches up by at most one second of requests,
-- so a stall shows as a lower achieved rate instead of as a burst afterwards. SOAK_RATE=0 sends
-- unpaced (used to collect tokens before the soak).
--
-- Environment: SOAK_KIND, SOAK_RATE, SOAK_THREADS, SOAK_PEOPLE (residents.csv, apply),
-- SOAK_TOKENS_OUT (apply: file prefix, one file per thread, for the tokens issued),
-- SOAK_TOKENS_IN (verify: file prefix, thread N reads file N, so no token is sent twice),
-- SOAK_KEY (verify: the site's API key). done() prints one line starting with SOAKRESULT.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
  int clock_gettime(int clock_id, soak_timespec *tp);
]]
local timespec = ffi.new("soak_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local kind = os.getenv("SOAK_KIND")
local rate = tonumber(os.getenv("SOAK_RATE") or "0")
local thread_count = tonumber(os.getenv("SOAK_THREADS") or "1")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  good, unexpected, exhausted = 0, 0, 0
  s2xx, s4xx, s5xx, sother = 0, 0, 0, 0
  next_slot = nil
  if rate > 0 then interval_ms = 1000 * thread_count / rate end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if kind == "apply" then
    bodies = {}
    for line in io.lines(os.getenv("SOAK_PEOPLE")) do
      -- Active residents with no phone on file: the others would wait for a possession code.
      local rid, name = line:match("^([^,]+),([^,]+),active,?%s*$")
      if rid then
        bodies[#bodies + 1] = '{"subject_type":"individual","name":"' .. name .. '","resident_id":"' .. rid .. '"}'
      end
    end
    -- Each thread (and each window, through SOAK_OFFSET) starts elsewhere in the registry.
    index = id * 7919 + tonumber(os.getenv("SOAK_OFFSET") or "0")
    tokens_out = io.open(os.getenv("SOAK_TOKENS_OUT") .. "." .. id, "w")
  elseif kind == "verify" then
    tokens = {}
    for line in io.lines(os.getenv("SOAK_TOKENS_IN") .. "." .. id) do tokens[#tokens + 1] = line end
    next_token = 0
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("SOAK_KEY")
  else
    error("SOAK_KIND must be apply or verify")
  end
end

if rate > 0 then
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 1000 then next_slot = now end
    local wait = next_slot - now
    next_slot = next_slot + interval_ms
    if wait <= 0 then return 0 end
    return math.floor(wait + 0.5)
  end
end

function request()
  if kind == "apply" then
    index = index + 1
    return wrk.format(nil, "/v1/applications", nil, bodies[(index % #bodies) + 1])
  end
  next_token = next_token + 1
  local token = tokens[next_token]
  if token == nil then
    exhausted = exhausted + 1
    token = "exhausted.exhausted.exhausted"
  end
  return wrk.format(nil, "/v1/tokens/verify", nil, '{"token":"' .. token .. '"}')
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status >= 400 and status < 500 then
    s4xx = s4xx + 1
  elseif status >= 500 and status < 600 then
    s5xx = s5xx + 1
  else
    sother = sother + 1
  end
  if kind == "apply" then
    local token = body:match('"token":"([^"]+)"')
    if status == 201 and token and body:find('"status":"approved"', 1, true) then
      good = good + 1
      tokens_out:write(token, "\n")
    else
      unexpected = unexpected + 1
    end
  else
    if status == 200 and body:find('"active":true', 1, true) then good = good + 1 else unexpected = unexpected + 1 end
  end
end

function done(summary, latency, requests)
  local totals = { good = 0, unexpected = 0, exhausted = 0, s2xx = 0, s4xx = 0, s5xx = 0, sother = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + (thread:get(name) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    "SOAKRESULT kind=%s target=%.1f requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d status_errors=%d good=%d unexpected=%d exhausted=%d s2xx=%d s4xx=%d s5xx=%d sother=%d\n",
    kind, rate, summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, e.connect, e.read, e.write, e.timeout, e.status, totals.good, totals.unexpected,
    totals.exhausted, totals.s2xx, totals.s4xx, totals.s5xx, totals.sother))
end
