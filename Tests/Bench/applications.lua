-- wrk script: POST approved individual applications, cycling through the demo registry's active
-- residents without a phone on file, and keep every token issued (one file per thread) for the verify benchmark.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("IDCA_BENCH_PEOPLE")) do
    -- Active residents with no phone on file: the others would wait for a possession code.
    local id, name = line:match("^([^,]+),([^,]+),active,?%s*$")
    if id then
      bodies[#bodies + 1] = '{"subject_type":"individual","name":"' .. name .. '","resident_id":"' .. id .. '"}'
    end
  end
  index = id * 7919
  tokens = io.open(os.getenv("IDCA_BENCH_TOKENS") .. "." .. id, "w")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  index = index + 1
  return wrk.format(nil, "/v1/applications", nil, bodies[(index % #bodies) + 1])
end

function response(status, headers, body)
  local token = body:match('"token":"([^"]+)"')
  if token then tokens:write(token, "\n") end
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
