"""Seeds the programs benchmark: a partner with FILLED apps that carry every program (a production
deploy for Runs on Atlassian, an approved Cloud Fortified submission with its review scheduled,
an active paid bug bounty for the derived badges, health checks behind the SLO) and QUEUE apps
each with an open Cloud Fortified submission waiting for staff. Writes one signals batch (100
health checks) per filled app for the ingestion benchmark, and prints the tokens as JSON."""
import datetime
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, staff, filled, queued, manifest_path, out_dir = (
    sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])


def call(method, path, token, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


call("POST", "/api/v1/partners", staff, {"key": "bench", "name": "Bench"})
member = call("POST", "/api/v1/users", staff,
              {"name": "Bench", "email": "bench@bench.test", "role": "partner", "partner": "bench"})["token"]
platform = call("POST", "/api/v1/users", staff,
                {"name": "Monitor", "email": "monitor@bench.test", "role": "platform"})["token"]
manifest = open(manifest_path).read()
example_id = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000001"
now = datetime.datetime.now(datetime.timezone.utc)


def polls(count):
    return {"healthChecks": [
        {"at": (now - datetime.timedelta(minutes=10 + i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "ok": True, "latencyMs": 120} for i in range(count)]}


def fill(n):
    key = f"fill.app{n}"
    own = manifest.replace(example_id, f"ari:cloud:ecosystem::app/f0000000-0000-4000-8000-{n:012x}")
    call("POST", "/api/v1/apps", member, {"key": key, "name": f"Filled app {n}"})
    call("POST", f"/api/v1/apps/{key}/environments/production/deployments", member, {"manifest": own})
    opened = call("POST", f"/api/v1/apps/{key}/submissions", member, {"program": "cloud-fortified"})
    sid = opened["id"]
    for action in ("triage", "start-review"):
        call("POST", f"/api/v1/submissions/{sid}/actions", staff, {"action": action})
    for check in opened["checks"]:
        body = {"action": "pass"} if "pass" in check["allowedActions"] else \
            {"action": "waive", "reason": "bench", "expires": "2199-01-01T00:00:00Z"}
        call("POST", f"/api/v1/submissions/{sid}/checks/{check['requirement']}/actions", staff, body)
    call("POST", f"/api/v1/submissions/{sid}/actions", staff, {"action": "approve"})
    call("PUT", f"/api/v1/apps/{key}/bug-bounty", platform, {"state": "active", "paid": True})
    call("POST", f"/api/v1/apps/{key}/signals", platform, polls(200))


def queue(n):
    key = f"queue.app{n}"
    call("POST", "/api/v1/apps", member, {"key": key, "name": f"Queued app {n}"})
    call("POST", f"/api/v1/apps/{key}/submissions", member, {"program": "cloud-fortified"})


with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(fill, range(filled)))
    list(pool.map(queue, range(queued)))

with open(f"{out_dir}/signals-body.txt", "w") as bodies:
    for n in range(filled):
        bodies.write(json.dumps(polls(100)) + "\n")
print(json.dumps({"member": member, "platform": platform}))
