"""Seeds the benchmark: a partner, a member, N apps each with a production deploy. Prints the
member's token and writes the deploy request bodies the wrk script sends, one line per app: each
app is its own Forge app, so each body carries the manifest with that app's `app.id`."""
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
example_id = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000001"
with open(body_path, "w") as bodies:
    for n in range(count):
        own = manifest.replace(example_id, f"ari:cloud:ecosystem::app/b0000000-0000-4000-8000-{n:012x}")
        call("POST", "/api/v1/apps", member, {"key": f"bench.app{n}", "name": f"Bench app {n}"})
        call("POST", f"/api/v1/apps/bench.app{n}/environments/production/deployments", member, {"manifest": own})
        bodies.write(json.dumps({"manifest": own}) + "\n")
print(member)
