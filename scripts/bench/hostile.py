"""HTTP side of scripts/bench-hostile.sh: the hostile inputs, the deploy burst with its memory
figures, the write-stall and /healthz probes, the sign-in flood, and the report.

Standard library only. Subcommands (the shell script calls them; each prints or writes JSON):

  manifest ITEM OUT           a just-under-2-MiB eligible Forge manifest padded with `x: [{a: ITEM}, ...]`
  array OUT                   a just-under-4-MiB JSON array `[1,1,...]`
  burst URL PID STAFF PARTNER N PREV NEXT OUT [--stall]
                              N apps, one PREV deploy each, then N concurrent NEXT deploys;
                              with --stall a staff writer runs beside the burst (and alone before it)
  flood URL PID OUT           32 anonymous 4 MiB sign-ins for ~10 s, /healthz probed every 50 ms
  writer URL STAFF STOPFILE   (internal) one small staff write at a time until STOPFILE exists
  probe URL STOPFILE          (internal) GET /healthz every 50 ms until STOPFILE exists
  report OUT.json FRAGMENT... merge fragments into OUT.json and print the tables
"""
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.abspath(__file__)
ENV = os.environ.get


def env_int(name, default):
    return int(ENV(name) or default)


def env_float(name, default):
    return float(ENV(name) or default)


# ---------------------------------------------------------------------------------------------
# inputs

MANIFEST_HEAD = """app:
  id: ari:cloud:ecosystem::app/0b6f6f2e-5c1d-4d3e-9a57-{tail}
  runtime:
    name: nodejs22.x
modules:
  jira:issuePanel:
    - key: panel
      resource: main
      title: Panel
resources:
  - key: main
    path: src/frontend/index.jsx
permissions:
  scopes:
    - read:jira-work
x: ["""


FLOW_DOCUMENT_HEAD = (
    '{app: {id: "ari:cloud:ecosystem::app/0b6f6f2e-5c1d-4d3e-9a57-%s", runtime: {name: nodejs22.x}}, '
    'modules: {"jira:issuePanel": [{key: panel, resource: main, title: Panel}]}, '
    'resources: [{key: main, path: src/frontend/index.jsx}], '
    'permissions: {scopes: [read:jira-work]}, x: ['
)


def make_manifest(item, size=2 * 1024 * 1024 - 1):
    """The eligible head, then `x: [{a: ITEM}, ...]` filling the file to just under `size`.
    HOSTILE_SHAPE=flow-document makes the whole document one flow mapping instead, the shape
    that costs the parser the most memory per byte (it holds every token until the mapping
    closes)."""
    if os.environ.get("HOSTILE_SHAPE", "block") == "flow-document":
        head = FLOW_DOCUMENT_HEAD % ("%012d" % 1)
        one, last = "{a: %d}, " % item, "{a: %d}]}\n" % item
    else:
        head = MANIFEST_HEAD.format(tail="%012d" % 1)
        one, last = "{a: %d}, " % item, "{a: %d}]\n" % item
    count = (size - len(head) - len(last)) // len(one)
    return head + one * count + last


def make_array(size=4 * 1024 * 1024 - 1):
    """`[1,1,...,1]` of just under `size` bytes (the default max-body-bytes is 4 MiB)."""
    count = (size - 1) // 2
    text = "[" + "1," * (count - 1) + "1]"
    return text + " " * (size - len(text))


# ---------------------------------------------------------------------------------------------
# HTTP


def split(url):
    u = urllib.parse.urlsplit(url)
    assert u.hostname == "127.0.0.1", "loopback only: " + url
    return u.hostname, u.port


def request(url, method, path, token=None, body=None, timeout=120, conn=None, retry=True):
    """One request; returns (status or 'error:Kind', seconds, parsed JSON or None, conn). A kept-alive
    connection that the server has closed meanwhile is retried once on a new one."""
    if conn is not None:
        answer = _request(url, method, path, token, body, timeout, conn)
        if not retry or answer[0] not in ("error:RemoteDisconnected", "error:BrokenPipeError",
                             "error:ConnectionResetError"):
            return answer
    return _request(url, method, path, token, body, timeout, None)


def _request(url, method, path, token, body, timeout, conn):
    host, port = split(url)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
    started = time.monotonic()
    try:
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.monotonic() - started
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, elapsed, parsed, conn
    except (OSError, http.client.HTTPException) as error:
        elapsed = time.monotonic() - started
        if conn is not None:
            conn.close()
        return "error:" + type(error).__name__, elapsed, None, None


def must(url, method, path, token, body, expect):
    status, _, parsed, conn = request(url, method, path, token, body)
    if conn is not None:
        conn.close()
    if status != expect:
        sys.exit(f"hostile.py: {method} {path} answered {status}, expected {expect}: {parsed}")
    return parsed


# ---------------------------------------------------------------------------------------------
# memory of the server process


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid):
    """Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`); says whether it took."""
    before = status_kb(pid, "VmHWM")
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError as error:
        return {"ok": False, "why": f"clear_refs: {error}", "hwm_before_kb": before}
    hwm, rss = status_kb(pid, "VmHWM"), status_kb(pid, "VmRSS")
    # After a reset VmHWM equals VmRSS (give a few pages for concurrent activity).
    ok = hwm <= rss + 1024
    return {"ok": ok, "hwm_before_kb": before, "hwm_after_kb": hwm, "rss_kb": rss,
            "why": None if ok else "VmHWM did not drop to VmRSS"}


def mem_available_kb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Samples VmRSS every 20 ms (a cross-check of VmHWM, and the fallback if clear_refs does not
    work). Kills the server if it grows past the cap, so a runaway cannot take the machine down."""

    def __init__(self, pid, cap_kb):
        super().__init__(daemon=True)
        self.pid, self.cap_kb = pid, cap_kb
        self.peak_kb = 0
        self.killed_at_kb = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                rss = status_kb(self.pid, "VmRSS")
            except (OSError, KeyError):
                return
            self.peak_kb = max(self.peak_kb, rss)
            if rss > self.cap_kb and self.killed_at_kb is None:
                self.killed_at_kb = rss
                os.kill(self.pid, signal.SIGKILL)
                return
            self.stop.wait(0.02)


def rss_cap_kb():
    mb = ENV("HOSTILE_RSS_CAP_MB")
    return int(mb) * 1024 if mb else int(mem_available_kb() * 0.6)


# ---------------------------------------------------------------------------------------------
# latency figures


def pct(values, p):
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary_ms(seconds):
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"count": 0, "median_ms": None, "p99_ms": None, "max_ms": None}
    return {"count": len(ms), "median_ms": round(statistics.median(ms), 2),
            "p99_ms": round(pct(ms, 99), 2), "max_ms": round(max(ms), 2)}


def count_statuses(statuses):
    out = {}
    for s in statuses:
        out[str(s)] = out.get(str(s), 0) + 1
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------------------------
# helpers run as separate processes, so the client's own threads do not delay what they measure


def stopped(stopfile, started, limit):
    return os.path.exists(stopfile) or time.monotonic() - started > limit


def cmd_writer(url, staff, stopfile):
    """Creates partners one at a time, 10 ms apart (a small staff write: a row and its audit
    entry)."""
    limit = env_float("HOSTILE_WRITER_MAX_SECONDS", 120)
    most = env_int("HOSTILE_WRITER_MAX_WRITES", 5000)
    tag = "%x%x" % (os.getpid(), int(time.time() * 1000) % 0xFFFFFF)
    interval = env_float("HOSTILE_WRITE_INTERVAL", 0.01)
    started, conn, writes = time.monotonic(), None, []
    for n in range(most):
        if stopped(stopfile, started, limit):
            break
        t0 = time.monotonic()
        status, elapsed, _, conn = request(url, "POST", "/api/v1/partners", staff,
                                           {"key": f"hw-{tag}-{n}", "name": f"Write {n}"},
                                           timeout=60, conn=conn)
        writes.append([t0, t0 + elapsed, status])
        time.sleep(interval)  # a steady client, not a second load generator
    json.dump(writes, sys.stdout)


def cmd_probe(url, stopfile):
    """GET /healthz every 50 ms on a new connection each time (as a liveness check does)."""
    interval = env_float("HOSTILE_PROBE_INTERVAL", 0.05)
    limit = env_float("HOSTILE_PROBE_MAX_SECONDS", 120)
    started, probes, due = time.monotonic(), [], time.monotonic()
    while not stopped(stopfile, started, limit):
        t0 = time.monotonic()
        status, elapsed, _, conn = request(url, "GET", "/healthz", timeout=5)
        if conn is not None:
            conn.close()
        probes.append([t0, t0 + elapsed, status])
        due += interval
        time.sleep(max(0.0, due - time.monotonic()))
    json.dump(probes, sys.stdout)


class Helper:
    """A helper subprocess that runs until told to stop, then hands back its JSON."""

    def __init__(self, tmp, name, *args):
        self.stopfile = os.path.join(tmp, f"stop-{name}-{os.getpid()}-{time.monotonic_ns()}")
        self.proc = subprocess.Popen([sys.executable, HERE, name, *args, self.stopfile],
                                     stdout=subprocess.PIPE, text=True)

    def finish(self):
        open(self.stopfile, "w").close()
        out, _ = self.proc.communicate(timeout=180)
        os.unlink(self.stopfile)
        return json.loads(out)


def during(rows, start, end):
    """Rows [t0, t1, status] whose request overlapped [start, end]."""
    return [r for r in rows if r[0] < end and r[1] > start]


def latency_block(rows):
    ok = [r[1] - r[0] for r in rows if isinstance(r[2], int) and r[2] < 500]
    block = summary_ms(ok)
    block["statuses"] = count_statuses(r[2] for r in rows)
    return block


# ---------------------------------------------------------------------------------------------
# measurement 1 (and 2): the deploy burst


def cmd_burst(url, pid, staff, partner, n, prev_path, next_path, out, stall):
    pid, n = int(pid), int(n)
    tmp = os.path.dirname(out)
    prev_text, next_text = open(prev_path).read(), open(next_path).read()
    # Each app is its own Forge app: its manifests name its own app.id (same length, so the
    # bodies keep their size).
    own_id = "0b6f6f2e-5c1d-4d3e-9a57-" + "%012d" % 1

    def body_for(text, i):
        return json.dumps({"manifest": text.replace(own_id, own_id[:-12] + "%012d" % (i + 1), 1)}).encode()

    prev_bodies = [body_for(prev_text, i) for i in range(n)]
    next_bodies = [body_for(next_text, i) for i in range(n)]
    next_body = next_bodies[0]
    apps = [f"com.bench.hostile-{i}" for i in range(n)]
    for app in apps:
        must(url, "POST", "/api/v1/apps", staff,
             {"key": app, "name": app, "partner": "acme", "framework": "forge"}, 201)
    for i, app in enumerate(apps):  # the previous version, one at a time
        must(url, "POST", f"/api/v1/apps/{app}/environments/production/deployments", partner,
             prev_bodies[i], 201)
    time.sleep(1)

    result = {"n": n, "manifest_bytes": os.path.getsize(next_path), "body_bytes": len(next_body)}
    if ENV("HOSTILE_EXTRA_FOR_STALL"):
        result["extra_for_stall"] = True
    if stall:
        seconds = env_float("HOSTILE_STALL_REFERENCE_SECONDS", 5)
        writer = Helper(tmp, "writer", url, staff)
        time.sleep(seconds)
        rows = writer.finish()
        result["writes_alone"] = latency_block(rows)

    result["baseline_rss_kb"] = status_kb(pid, "VmRSS")
    result["reset"] = reset_peak(pid)
    cap = rss_cap_kb()
    result["rss_cap_kb"] = cap
    sampler = Sampler(pid, cap)
    sampler.start()
    if stall:
        writer = Helper(tmp, "writer", url, staff)
        time.sleep(1)  # the writer is connected and writing before the burst starts

    gate = threading.Barrier(n + 1)
    answers = [None] * n

    def deploy(i):
        host, port = split(url)
        conn = http.client.HTTPConnection(host, port, timeout=env_float("HOSTILE_DEPLOY_TIMEOUT", 150))
        conn.connect()
        gate.wait()
        status, elapsed, parsed, conn = request(
            url, "POST", f"/api/v1/apps/{apps[i]}/environments/production/deployments",
            partner, next_bodies[i], conn=conn, retry=False)
        if conn is not None:
            conn.close()
        version = parsed.get("version") if isinstance(parsed, dict) else None
        answers[i] = (status, elapsed, version, time.monotonic())

    threads = [threading.Thread(target=deploy, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    gate.wait()
    burst_start = time.monotonic()
    for t in threads:
        t.join()
    burst_end = max(a[3] for a in answers)
    sampler.stop.set()
    sampler.join()
    try:
        hwm = status_kb(pid, "VmHWM")
    except (OSError, KeyError):
        hwm = None
    if stall:
        rows = writer.finish()
        result["writes_during_burst"] = latency_block(during(rows, burst_start, burst_end))
    result["peak_rss_kb"] = hwm if result["reset"]["ok"] else None
    result["sampled_peak_rss_kb"] = sampler.peak_kb
    result["killed_at_cap_kb"] = sampler.killed_at_kb
    result["wall_s"] = round(burst_end - burst_start, 3)
    result["statuses"] = count_statuses(a[0] for a in answers)
    result["versions"] = count_statuses(a[2] for a in answers)
    result["deploy"] = summary_ms([a[1] for a in answers])
    result["deploys"] = [{"app": app, "status": a[0], "ms": round(a[1] * 1000, 1), "version": a[2]}
                         for app, a in zip(apps, answers)]
    if sampler.killed_at_kb is None:
        time.sleep(env_float("HOSTILE_SETTLE_SECONDS", 5))
        result["rss_after_kb"] = status_kb(pid, "VmRSS")
    else:
        result["rss_after_kb"] = None
    json.dump(result, open(out, "w"), indent=1)
    print(f"  N={n}: statuses {result['statuses']}, wall {result['wall_s']} s, "
          f"peak {kb_mb(result['peak_rss_kb'])} (sampled {kb_mb(sampler.peak_kb)})", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# measurement 3: the sign-in flood


def cmd_flood(url, pid, out):
    pid = int(pid)
    tmp = os.path.dirname(out)
    clients = env_int("HOSTILE_FLOOD_CLIENTS", 32)
    seconds = env_float("HOSTILE_FLOOD_SECONDS", 10)
    most = env_int("HOSTILE_FLOOD_MAX_PER_CLIENT", 100)
    body = make_array().encode()
    result = {"clients": clients, "seconds": seconds, "body_bytes": len(body)}

    probe = Helper(tmp, "probe", url)
    time.sleep(env_float("HOSTILE_PROBE_REFERENCE_SECONDS", 5))
    result["healthz_alone"] = latency_block(probe.finish())

    result["baseline_rss_kb"] = status_kb(pid, "VmRSS")
    result["reset"] = reset_peak(pid)
    sampler = Sampler(pid, rss_cap_kb())
    sampler.start()
    probe = Helper(tmp, "probe", url)
    time.sleep(1)
    statuses, lock = [], threading.Lock()
    flood_start = time.monotonic()
    deadline = flood_start + seconds

    def client():
        conn, mine = None, []
        for _ in range(most):
            if time.monotonic() >= deadline:
                break
            status, _, _, conn = request(url, "POST", "/api/v1/session", None, body,
                                         timeout=30, conn=conn)
            mine.append(status)
        if conn is not None:
            conn.close()
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flood_end = time.monotonic()
    sampler.stop.set()
    sampler.join()
    try:
        hwm = status_kb(pid, "VmHWM")
    except (OSError, KeyError):
        hwm = None
    rows = probe.finish()
    result["healthz_during_flood"] = latency_block(during(rows, flood_start, flood_end))
    result["flood_wall_s"] = round(flood_end - flood_start, 3)
    result["flood_requests"] = len(statuses)
    result["flood_statuses"] = count_statuses(statuses)
    result["peak_rss_kb"] = hwm if result["reset"]["ok"] else None
    result["sampled_peak_rss_kb"] = sampler.peak_kb
    result["killed_at_cap_kb"] = sampler.killed_at_kb
    json.dump(result, open(out, "w"), indent=1)
    print(f"  flood: {len(statuses)} sign-ins {result['flood_statuses']}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# report


def kb_mb(kb):
    return "-" if kb is None else f"{kb / 1024:,.0f} MB"


def ms(v):
    return "-" if v is None else f"{v:,.1f} ms"


def cmd_report(out, *fragments):
    meta = json.loads(os.environ["HOSTILE_META"])
    doc = dict(meta, levels=[], write_stall=None, signin_flood=None)
    for path in fragments:
        frag = json.load(open(path))
        if "clients" in frag:
            doc["signin_flood"] = frag
            continue
        if "writes_alone" in frag:
            doc["write_stall"] = {"burst_n": frag["n"], "alone": frag.pop("writes_alone"),
                                  "during_burst": frag.pop("writes_during_burst")}
        if not frag.get("extra_for_stall"):
            doc["levels"].append(frag)
    doc["levels"].sort(key=lambda r: r["n"])
    json.dump(doc, open(out, "w"), indent=1)

    db = doc["database"]
    print(f"\n## apptrust hostile-input bench ({db}, {doc['binary']})\n")
    print(f"command: {doc['command']}")
    print(f"machine: {doc['cores']} cores, {doc['mem_total_mb']:,} MB; load average "
          f"{' '.join(doc['loadavg_at_start'])} at start, {' '.join(doc['loadavg_at_end'])} at end\n")
    print("### 1. Concurrent worst-case deploys (2 MiB eligible manifest, each app already has a "
          "2 MiB previous version)\n")
    print("| N | baseline RSS | peak RSS (VmHWM) | sampled peak | RSS 5 s after | burst wall | "
          "deploy median / max | statuses |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in doc["levels"]:
        peak = kb_mb(r["peak_rss_kb"])
        if r.get("killed_at_cap_kb"):
            peak = f"killed at cap ({kb_mb(r['killed_at_cap_kb'])})"
        statuses = ", ".join(f"{k}×{v}" for k, v in r["statuses"].items())
        print(f"| {r['n']} | {kb_mb(r['baseline_rss_kb'])} | {peak} | {kb_mb(r['sampled_peak_rss_kb'])} | "
              f"{kb_mb(r['rss_after_kb'])} | {r['wall_s']:.2f} s | "
              f"{ms(r['deploy']['median_ms'])} / {ms(r['deploy']['max_ms'])} | {statuses} |")
    resets = [r["reset"] for r in doc["levels"]]
    if any(not x["ok"] for x in resets):
        print("\nclear_refs did not reset VmHWM: peak RSS is only the 20 ms sampled VmRSS.")
    if doc["write_stall"]:
        w = doc["write_stall"]
        print(f"\n### 2. Small staff writes (create a partner, one at a time) beside the deploys\n")
        print("| condition | writes | median | p99 | max | statuses |")
        print("|---|---:|---:|---:|---:|---|")
        for name, b in (("alone", w["alone"]), (f"during {w['burst_n']} worst-case deploys", w["during_burst"])):
            statuses = ", ".join(f"{k}×{v}" for k, v in b["statuses"].items())
            print(f"| {name} | {b['count']} | {ms(b['median_ms'])} | {ms(b['p99_ms'])} | "
                  f"{ms(b['max_ms'])} | {statuses} |")
    if doc["signin_flood"]:
        f = doc["signin_flood"]
        print(f"\n### 3. Sign-in flood: {f['clients']} anonymous clients POST a {f['body_bytes']:,}-byte "
              f"JSON array to /api/v1/session for {f['seconds']:g} s\n")
        print("| condition | /healthz probes | median | p99 | max | statuses |")
        print("|---|---:|---:|---:|---:|---|")
        for name, b in (("alone", f["healthz_alone"]), ("during the flood", f["healthz_during_flood"])):
            statuses = ", ".join(f"{k}×{v}" for k, v in b["statuses"].items())
            print(f"| {name} | {b['count']} | {ms(b['median_ms'])} | {ms(b['p99_ms'])} | "
                  f"{ms(b['max_ms'])} | {statuses} |")
        statuses = ", ".join(f"{k}×{v}" for k, v in f["flood_statuses"].items())
        peak = kb_mb(f["peak_rss_kb"])
        if f.get("killed_at_cap_kb"):
            peak = f"killed at cap ({kb_mb(f['killed_at_cap_kb'])})"
        print(f"\nflood: {f['flood_requests']} sign-ins in {f['flood_wall_s']:.1f} s, statuses {statuses}; "
              f"server RSS {kb_mb(f['baseline_rss_kb'])} before, peak {peak} "
              f"(sampled {kb_mb(f['sampled_peak_rss_kb'])})")
    print(f"\nJSON: {out}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "manifest":
        open(args[1], "w").write(make_manifest(int(args[0])))
    elif cmd == "array":
        open(args[0], "w").write(make_array())
    elif cmd == "burst":
        stall = "--stall" in args
        args = [a for a in args if a != "--stall"]
        cmd_burst(*args, stall=stall)
    elif cmd == "flood":
        cmd_flood(*args)
    elif cmd == "writer":
        cmd_writer(*args)
    elif cmd == "probe":
        cmd_probe(*args)
    elif cmd == "report":
        cmd_report(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
