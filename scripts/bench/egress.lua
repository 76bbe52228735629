-- wrk script: the platform's egress proxy asking for decisions, spread over the seeded
-- installations (one chosen at random per request) and over a mix of URLs, half of them allowed
-- (a plain host, a wildcard's subdomain, upper case with a port, the analytics host) and half
-- denied (an undeclared host, the wrong scheme, a wildcard's apex, a look-alike suffix).
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do
  ids[#ids + 1] = line
end
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODY")) do
  bodies[#bodies + 1] = line
end
-- The paths, formatted once: the request function then only picks.
local paths = {}
for i, id in ipairs(ids) do
  paths[i] = "/api/v1/installations/" .. id .. "/egress/decisions"
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format(nil, paths[math.random(1, #paths)], nil, bodies[math.random(1, #bodies)])
end
