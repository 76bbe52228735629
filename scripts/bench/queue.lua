-- wrk script: the staff queue, oldest waiting first: the first page, a page filtered by program
-- and state, and a page further on (after a cursor from the first), in turn.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local paths = {
  "/api/v1/submissions?ball=staff&limit=50",
  "/api/v1/submissions?ball=staff&program=cloud-fortified&state=submitted&limit=50",
}
local cursor = os.getenv("BENCH_CURSOR") or ""
if cursor ~= "" and cursor ~= "None" then
  paths[#paths + 1] = "/api/v1/submissions?ball=staff&limit=50&after=" .. cursor
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
