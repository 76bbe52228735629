-- wrk script: deploys of the eligible example, spread over the seeded apps and their three
-- environments, so that numbering, evaluation, badge moves and audit all happen as in real use.
local apps = tonumber(os.getenv("BENCH_APPS") or "100")
local envs = {"development", "staging", "production"}
local file = assert(io.open(os.getenv("BENCH_BODY"), "r"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  local path = "/api/v1/apps/bench.app" .. math.random(0, apps - 1) ..
    "/environments/" .. envs[math.random(1, 3)] .. "/deployments"
  return wrk.format(nil, path)
end
