-- wrk script: replay prepared, distinct requests, each exactly once, then stop (driven by bench/replay.py).
--
--   wrk -t T -c C -d <deadline> --timeout 30s -s bench/wrk_replay.lua http://127.0.0.1:PORT -- FILE T [METHOD]
--
-- FILE has one request a line, tab-separated: the path, any number of "Name: value" header fields, then the body.
-- Thread k of T sends lines k, k+T, k+2T, ... For benchmarks where every request must be new (first activations of
-- distinct licenses, webhooks from new senders), so nothing is sent twice. Each request carries X-Request-ID
-- "bench-<line>", which the server echoes, so an answer is matched to its request and its latency measured exactly
-- (monotonic clock, microseconds). When its lines are used up a connection sends nothing more (an empty write), and a
-- thread stops once all its requests are answered. wrk itself waits for its -d deadline or SIGINT: bench/replay.py
-- sends SIGINT as soon as only wrk's main thread is left. done() prints one line "BENCH_JSON {...}".

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function fields_of(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local file, count, method = args[1], tonumber(args[2]), args[3] or "POST"
  requests, ids, sent, latencies = {}, {}, {}, {}
  answered, non2xx, bad_status, first_us, last_us, position = 0, 0, 0, 0, 0, 1
  local line_number = 0
  for line in io.lines(file) do
    if line_number % count == id then
      local fields = fields_of(line)
      local request_id = string.format("bench-%08d", line_number)
      local headers = { ["X-Request-ID"] = request_id }
      for i = 2, #fields - 1 do
        local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
        headers[name] = value
      end
      table.insert(ids, request_id)
      table.insert(requests, wrk.format(method, fields[1], headers, fields[#fields]))
    end
    line_number = line_number + 1
  end
  total = #requests
  -- wrk calls the first thread's request() once before the run to check the request's shape (script_verify_request):
  -- that call must not use up a request
  verifying = id == 0
end

function request()
  if verifying then
    verifying = false
    return requests[1] or ""
  end
  if position > total then
    return "" -- nothing left to send: this connection stays idle
  end
  local now = now_us()
  if first_us == 0 then first_us = now end
  sent[ids[position]] = now
  position = position + 1
  return requests[position - 1]
end

function response(status, headers, body)
  local now = now_us()
  local request_id = headers["x-request-id"] or headers["X-Request-ID"]
  local began = request_id and sent[request_id]
  if began then
    table.insert(latencies, now - began)
    sent[request_id] = nil
  end
  answered = answered + 1
  last_us = now
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    bad_status = status
  end
  if answered >= total then
    wrk.thread:stop()
  end
end

local function percentile(sorted, fraction)
  if #sorted == 0 then return 0 end
  local index = math.floor(fraction * (#sorted - 1) + 0.5) + 1
  return sorted[index]
end

function done(summary, latency, requests)
  local all, answered_total, non2xx_total, bad, first, last = {}, 0, 0, 0, nil, 0
  for _, thread in ipairs(threads) do
    answered_total = answered_total + thread:get("answered")
    non2xx_total = non2xx_total + thread:get("non2xx")
    if thread:get("bad_status") ~= 0 then bad = thread:get("bad_status") end
    local thread_first = thread:get("first_us")
    if thread_first > 0 and (first == nil or thread_first < first) then first = thread_first end
    if thread:get("last_us") > last then last = thread:get("last_us") end
    for _, value in ipairs(thread:get("latencies")) do
      table.insert(all, value)
    end
  end
  table.sort(all)
  local seconds = (first and last > first) and (last - first) / 1000000 or 0
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"answered": %d, "matched": %d, "non2xx": %d, "bad_status": %d, "seconds": %.3f, ' ..
    '"per_second": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "wrk_p50_ms": %.2f, "wrk_p99_ms": %.2f, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    answered_total, #all, non2xx_total, bad, seconds, seconds > 0 and answered_total / seconds or 0,
    percentile(all, 0.5) / 1000, percentile(all, 0.99) / 1000, (all[#all] or 0) / 1000,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.timeout))
end
