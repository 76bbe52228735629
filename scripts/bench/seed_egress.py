"""Egress decisions benchmark helper (scripts/bench-egress.sh), three commands:

  seed URL STAFF APPS SITES MANIFEST OUT_DIR
      A partner, a platform service account, APPS apps (bench.app0...) each with a production
      deploy whose manifest declares a few backend hosts and one analytics host, SITES sites
      (bench0.atlassian.net...) each with a site admin, and every app installed on every site.
      Writes OUT_DIR/egress-ids.txt (one installation id a line) and OUT_DIR/egress-bodies.txt
      (one decision request body a line, half allowed, half denied), prints the tokens as JSON.

  check URL PLATFORM IDS_FILE
      Asks one decision per installation and URL and checks each answer against what the
      manifest says (so the wrk run measures right answers; it also fills the instance's memory).

  propagate A B ADMIN PLATFORM ID ROUNDS DATABASE LABEL OUT_FILE
      Switches analytics egress of installation ID on instance A (PATCH, the site's admin), then
      asks instance B for the analytics URL's decision as fast as one connection can until its
      answer changes; ROUNDS times, alternating off and on. Writes one JSON row.
"""
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ANALYTICS_URL = "https://eu.posthog.com/capture/"
# (url, allowed while analytics egress is on): the wrk mix, half allowed, half denied.
URLS = [
    ("https://api.example.com/v1/issues?limit=50", True),
    ("https://img.cdn.example.com/assets/logo.png", True),
    ("https://API.Example.com:443/v2/search", True),
    (ANALYTICS_URL, True),
    ("https://evil.example.org/steal", False),
    ("http://api.example.com/v1/issues", False),       # the entry means https
    ("https://cdn.example.com/assets/logo.png", False),  # *.cdn.example.com not the apex
    ("https://api.example.com.evil.net/x", False),
]
EXAMPLE_ID = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000001"


def call(base, method, path, token, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def manifest(eligible, n):
    """The eligible example's modules with this benchmark's egress and app n's own app.id."""
    head = eligible.split("permissions:")[0].replace(
        EXAMPLE_ID, f"ari:cloud:ecosystem::app/e0000000-0000-4000-8000-{n:012x}")
    return head + """permissions:
  scopes:
    - read:jira-work
  external:
    fetch:
      backend:
        - address: api.example.com
        - address: '*.cdn.example.com'
        - address: auth.example.net
        - address: uploads.example.org
        - address: eu.posthog.com
          category: analytics
          inScopeEUD: false
"""


def seed(base, staff, apps, sites, manifest_path, out_dir):
    eligible = open(manifest_path).read()
    call(base, "POST", "/api/v1/partners", staff, {"key": "bench", "name": "Bench"})
    member = call(base, "POST", "/api/v1/users", staff,
                  {"name": "Bench", "email": "bench@bench.test", "role": "partner",
                   "partner": "bench"})["token"]
    platform = call(base, "POST", "/api/v1/users", staff,
                    {"name": "Egress proxy", "email": "proxy@platform.test",
                     "role": "platform"})["token"]

    def app(n):
        key = f"bench.app{n}"
        call(base, "POST", "/api/v1/apps", member, {"key": key, "name": f"Bench app {n}"})
        call(base, "POST", f"/api/v1/apps/{key}/environments/production/deployments", member,
             {"manifest": manifest(eligible, n)})

    admins = []
    for s in range(sites):
        site = f"bench{s}.atlassian.net"
        call(base, "POST", "/api/v1/sites", staff, {"key": site, "residency": "EU"})
        admins.append(call(base, "POST", "/api/v1/users", staff,
                           {"name": f"Admin {s}", "email": f"admin{s}@bench.test",
                            "role": "site-admin", "site": site})["token"])

    def install(pair):
        s, n = pair
        return call(base, "POST", f"/api/v1/sites/bench{s}.atlassian.net/installations",
                    admins[s], {"app": f"bench.app{n}"})["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(app, range(apps)))
        ids = list(pool.map(install, [(s, n) for s in range(sites) for n in range(apps)]))
    with open(f"{out_dir}/egress-ids.txt", "w") as f:
        f.writelines(f"{i}\n" for i in ids)
    with open(f"{out_dir}/egress-bodies.txt", "w") as f:
        f.writelines(json.dumps({"url": url}) + "\n" for url, _ in URLS)
    # The first installation is on site 0: its admin flips it in the propagation measurement.
    print(json.dumps({"member": member, "platform": platform, "admin": admins[0],
                      "flip": ids[0]}))


def check(base, platform, ids_file):
    ids = [int(line) for line in open(ids_file) if line.strip()]

    def one(i):
        wrong = []
        for url, expected in URLS:
            got = call(base, "POST", f"/api/v1/installations/{i}/egress/decisions", platform,
                       {"url": url})
            if got["allowed"] != expected:
                wrong.append((i, url, got))
        return wrong

    with ThreadPoolExecutor(max_workers=4) as pool:
        wrong = [w for ws in pool.map(one, ids) for w in ws]
    if wrong:
        sys.exit(f"wrong decisions on {base}: {wrong[:3]}")


class Client:
    """One keep-alive connection, as a proxy would hold."""

    def __init__(self, base, token):
        self.host = urllib.parse.urlsplit(base).netloc
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, timeout=10)

    def send(self, method, path, body):
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            sys.exit(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)


def propagate(a, b, admin, platform, flip, rounds, database, label, out_file):
    at_a = Client(a, admin)
    proxy_a = Client(a, platform)
    proxy_b = Client(b, platform)
    path = f"/api/v1/installations/{flip}/egress/decisions"
    body = {"url": ANALYTICS_URL}
    state = at_a.send("GET", f"/api/v1/installations/{flip}", None)["allowAnalyticsEgress"]
    from_commit, from_request, polls, stale_on_a = [], [], [], 0
    for _ in range(rounds):
        # B answers as the proxy keeps asking it (its memory refreshed every egress-cache-ms),
        # for a random while, so that the switch lands at a random point of B's cycle.
        until = time.perf_counter() + random.uniform(0.3, 0.8)
        while time.perf_counter() < until:
            if proxy_b.send("POST", path, body)["allowed"] != state:
                sys.exit("instance B disagrees before the switch")
        state = not state
        sent = time.perf_counter()
        at_a.send("PATCH", f"/api/v1/installations/{flip}", {"allowAnalyticsEgress": state})
        committed = time.perf_counter()
        if proxy_a.send("POST", path, body)["allowed"] != state:
            stale_on_a += 1   # the instance that took the change must answer from it at once
        n = 0
        while True:
            n += 1
            answer = proxy_b.send("POST", path, body)["allowed"]
            seen = time.perf_counter()
            if answer == state:
                break
            if seen - committed > 10:
                sys.exit("instance B did not follow the switch within 10 s")
        from_commit.append((seen - committed) * 1000)
        from_request.append((seen - sent) * 1000)
        polls.append(n)
    row = {
        "database": database, "instances": 2, "route": f"switch propagation A to B ({label})",
        "rounds": rounds,
        "median_ms": round(statistics.median(from_commit), 1),
        "max_ms": round(max(from_commit), 1),
        "min_ms": round(min(from_commit), 1),
        "median_from_request_ms": round(statistics.median(from_request), 1),
        "max_from_request_ms": round(max(from_request), 1),
        "polls_median": statistics.median(polls),
        "stale_on_a": stale_on_a,
        "samples_ms": [round(x, 1) for x in from_commit],
    }
    json.dump(row, open(out_file, "w"))
    print(row)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "seed":
        seed(args[0], args[1], int(args[2]), int(args[3]), args[4], args[5])
    elif command == "check":
        check(args[0], args[1], args[2])
    elif command == "propagate":
        propagate(args[0], args[1], args[2], args[3], int(args[4]), int(args[5]), args[6],
                  args[7], args[8])
    else:
        sys.exit(f"unknown command {command}")
