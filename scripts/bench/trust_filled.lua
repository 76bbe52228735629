-- wrk script: public trust reads of apps that carry every program.
local apps = tonumber(os.getenv("BENCH_APPS") or "200")
request = function()
  return wrk.format("GET", "/api/v1/apps/fill.app" .. math.random(0, apps - 1) .. "/trust")
end
