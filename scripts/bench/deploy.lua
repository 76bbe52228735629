-- wrk script: deploys of the eligible example, spread over the seeded apps and their three
-- environments, so that numbering, evaluation, badge moves and audit all happen as in real use.
local apps = tonumber(os.getenv("BENCH_APPS") or "100")
local envs = {"development", "staging", "production"}
-- One body per app (each app is its own Forge app, so its manifest names its own app.id).
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODY")) do
  bodies[#bodies + 1] = line
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  local n = math.random(0, apps - 1)
  local path = "/api/v1/apps/bench.app" .. n ..
    "/environments/" .. envs[math.random(1, 3)] .. "/deployments"
  return wrk.format(nil, path, nil, bodies[n + 1])
end
