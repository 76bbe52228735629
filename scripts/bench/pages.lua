-- wrk script: the web pages as a browser asks for them. BENCH_PAGE picks the page:
-- `directory` (the first page, every app), `search` (a text search for a random app number),
-- `badge` (the Runs on Atlassian filter from a random place in the list) or `trust` (a random
-- app's trust page).
local apps = tonumber(os.getenv("BENCH_APPS") or "10000")
local page = os.getenv("BENCH_PAGE") or "directory"
wrk.headers["Accept"] = "text/html"
request = function()
  local n = math.random(0, apps - 1)
  if page == "search" then
    return wrk.format("GET", "/?q=app" .. n)
  elseif page == "badge" then
    return wrk.format("GET", "/?badge=runsOnAtlassian&after=bench.app" .. n)
  elseif page == "trust" then
    return wrk.format("GET", "/apps/bench.app" .. n)
  end
  return wrk.format("GET", "/")
end
