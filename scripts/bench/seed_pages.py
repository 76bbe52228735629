"""Seeds the pages benchmark through the API: one partner with N apps, each deployed to
production, every other one with a manifest that carries Runs on Atlassian and the rest with
one that does not (so the badge filter keeps half). Eight requests at a time."""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, staff, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
eligible, not_eligible = open(sys.argv[4]).read(), open(sys.argv[5]).read()


def call(method, path, token, body):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


call("POST", "/api/v1/partners", staff, {"key": "bench", "name": "Bench"})
member = call("POST", "/api/v1/users", staff,
              {"name": "Bench", "email": "bench@bench.test", "role": "partner", "partner": "bench"})["token"]
example_id = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000001"
other_id = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000002"


def seed(n):
    own = f"ari:cloud:ecosystem::app/b0000000-0000-4000-8000-{n:012x}"
    text = (eligible if n % 2 == 0 else not_eligible).replace(example_id, own).replace(other_id, own)
    call("POST", "/api/v1/apps", member, {"key": f"bench.app{n}", "name": f"Bench app {n}"})
    call("POST", f"/api/v1/apps/bench.app{n}/environments/production/deployments", member, {"manifest": text})


with ThreadPoolExecutor(8) as pool:
    list(pool.map(seed, range(count)))
print(member)
