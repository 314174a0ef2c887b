-- wrk script: send each request of a prepared file once, then stop, and print one JSON line (prefixed BENCH_JSON).
--
--   wrk -t2 -c16 -d300s --latency -s bench/wrk_replay.lua http://127.0.0.1:8765/some/path -- FILE THREADS
--
-- FILE holds one request per line, tab-separated: any number of "Name: value" header fields, then the body (the
-- last field). Every request goes to the URL's path with wrk's method (-M, POST by default here). Thread k of
-- THREADS sends lines k+1, k+1+THREADS, ... and stops once all its answers are in, so nothing is sent twice —
-- for benchmarks where every request must be distinct (first activations, webhooks from new senders). A connection
-- that asks for a request after its thread's list is used up gets the thread's last one again; those are counted
-- as "extra" (at most one per connection) so a reader can see they are negligible. wrk's own duration is the -d it
-- was given, so the rate is timed here: from the first request sent to the last answer in, on the monotonic clock.
-- wrk also runs for all of -d whatever its threads do: each thread leaves FILE.done.<k> when its answers are in, and
-- the caller sends wrk SIGINT once all are there (wrk then reports at once).

local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } replay_timespec;
  int clock_gettime(int clock, replay_timespec *now);
]]
local clock = ffi.new("replay_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local count
  file, count = args[1], tonumber(args[2])
  local method = wrk.method ~= "GET" and wrk.method or "POST"
  requests, sent, received, non2xx, bad_status, extra = {}, 0, 0, 0, 0, 0
  first_sent, last_received = 0, 0
  local number = 0
  for line in io.lines(file) do
    if number % count == id then
      local fields = split(line)
      local headers = {}
      for i = 1, #fields - 1 do
        local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
        headers[name] = value
      end
      table.insert(requests, wrk.format(method, wrk.path, headers, fields[#fields]))
    end
    number = number + 1
  end
  total = #requests
end

function request()
  if sent < total then
    if sent == 0 then first_sent = now() end
    sent = sent + 1
    return requests[sent]
  end
  extra = extra + 1
  return requests[total]
end

function response(status, headers, body)
  received = received + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    bad_status = status
  end
  if received == total then
    last_received = now()
    io.open(file .. ".done." .. id, "w"):close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local planned, extras, failed, bad, started, finished = 0, 0, 0, 0, math.huge, 0
  for _, thread in ipairs(threads) do
    started = math.min(started, thread:get("first_sent"))
    finished = math.max(finished, thread:get("last_received"))
    planned = planned + thread:get("total")
    extras = extras + thread:get("extra")
    failed = failed + thread:get("non2xx")
    if thread:get("bad_status") ~= 0 then bad = thread:get("bad_status") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "planned": %d, "extra": %d, "seconds": %.4f, "non2xx": %d, "bad_status": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, planned, extras, finished - started, failed, bad,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
