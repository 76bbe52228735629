-- wrk script: the platform's monitor reporting batches of 100 health checks, spread over the
-- filled apps (each batch is one transaction: hourly buckets, the SLO read again).
local apps = tonumber(os.getenv("BENCH_APPS") or "200")
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODY")) do
  bodies[#bodies + 1] = line
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  local n = math.random(0, apps - 1)
  return wrk.format(nil, "/api/v1/apps/fill.app" .. n .. "/signals", nil, bodies[n + 1])
end
