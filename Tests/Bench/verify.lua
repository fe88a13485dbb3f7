-- wrk script: POST /v1/tokens/verify with a fresh, never-used token per request. Tokens come from
-- the files applications.lua wrote; thread N uses file N, so no token is sent twice.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("IDCA_BENCH_TOKENS") .. "." .. id) do tokens[#tokens + 1] = line end
  next_token = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("IDCA_BENCH_KEY")
  active, other = 0, 0
end

function request()
  next_token = next_token + 1
  local token = tokens[next_token]
  if token == nil then token = "exhausted.exhausted.exhausted" end
  return wrk.format(nil, "/v1/tokens/verify", nil, '{"token":"' .. token .. '"}')
end

function response(status, headers, body)
  if body:find('"active":true', 1, true) then active = active + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
