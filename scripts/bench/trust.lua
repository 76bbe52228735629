-- wrk script: public trust reads spread over the seeded apps.
local apps = tonumber(os.getenv("BENCH_APPS") or "100")
request = function()
  return wrk.format("GET", "/api/v1/apps/bench.app" .. math.random(0, apps - 1) .. "/trust")
end
