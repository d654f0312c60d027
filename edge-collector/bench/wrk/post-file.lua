-- POSTs the bytes of BODY_FILE to PATH with CONTENT_TYPE (and AUTH, if set) on every request.
-- Counts non-2xx answers so a run that "succeeds" with errors is visible.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = os.getenv("REQ_PATH") or "/v1/batch"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

-- DELAY_MS (may be fractional) paces each connection: it waits that long after every
-- answer before the next request, so CONNECTIONS * 1000 / (DELAY_MS + latency) requests/s.
-- A fraction is honoured on average by picking the floor or the ceiling at random.
local delay_ms = tonumber(os.getenv("DELAY_MS") or "")
if delay_ms and delay_ms > 0 then
  local lo = math.floor(delay_ms)
  local frac = delay_ms - lo
  function delay()
    if math.random() < frac then return lo + 1 end
    return lo
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function response(status, headers, body)
  if status ~= 202 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"non_202\":%d,\"errors\":%d,\"p50_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.duration, total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
