"""Seeds the benchmark: a partner, a member, N apps each with a production deploy. Prints the
member's token and writes the deploy request body the wrk script sends."""
import json
import sys
import urllib.request

base, staff, count, manifest_path, body_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]


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
manifest = open(manifest_path).read()
for n in range(count):
    call("POST", "/api/v1/apps", member, {"key": f"bench.app{n}", "name": f"Bench app {n}"})
    call("POST", f"/api/v1/apps/bench.app{n}/environments/production/deployments", member, {"manifest": manifest})
json.dump({"manifest": manifest}, open(body_path, "w"))
print(member)
