# Shared by the service benchmarks (sourced, not run): a fresh database per case, starting
# instances, letting the seeding settle, and measuring with wrk into one JSON row per case.
# Expects: ROOT, BIN, OUT, DURATION, db_kind, pids (an array), and for measure: $database.

fresh_database() {
  if [ "$db_kind" = sqlite ]; then
    local dir; dir=$(mktemp -d /tmp/apptrust-bench.XXXXXX)
    echo "$dir/bench.db"
  else
    local name="apptrust_bench_$RANDOM$RANDOM"
    psql "$APPTRUST_TEST_POSTGRES_URL" -qc "CREATE DATABASE $name" >/dev/null
    echo "${APPTRUST_TEST_POSTGRES_URL%/*}/$name"
  fi
}

start_instance() { # database [extra serve flags]; sets $started_url and records the pid
  local log; log=$(mktemp /tmp/apptrust-bench-log.XXXXXX)
  "$BIN" serve --listen 127.0.0.1:0 --database "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "listening on" "$log" 2>/dev/null && break
    sleep 0.1
  done
  started_url=$(grep -m1 "listening on" "$log" | awk '{print $NF}')
}

# Lets the seeding's aftermath finish before measuring. On PostgreSQL that means analysing the
# freshly loaded tables ourselves: otherwise autovacuum does it in the middle of the read
# measurement and, on these two cores, its bursts showed as a 10-50 ms p99 on reads served from
# memory. A long-running service has settled statistics, so this is the fair comparison.
settle() {
  if [ "$db_kind" = postgres ]; then
    psql "$database" -qc "VACUUM ANALYZE" >/dev/null
    psql "$database" -qc "CHECKPOINT" >/dev/null
  fi
  sync
  sleep 2
}

# Runs wrk against each URL at once (connections split between them) and records one row.
measure() { # name route script connections url...
  local name=$1 route=$2 script=$3 connections=$4; shift 4
  local each=$((connections / $#)) files=() wrk_pids=() url
  settle
  for url in "$@"; do
    local f; f=$(mktemp /tmp/apptrust-wrk.XXXXXX)
    files+=("$f")
    wrk -t1 -c"$each" -d"$DURATION" --latency -s "$ROOT/scripts/bench/$script" "$url" >"$f" &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  python3 - "$OUT/$name.json" "$db_kind" "$#" "$route" "${files[@]}" <<'PY'
import json, re, sys
out, db, instances, route, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = errors = 0; p50s = []; p99s = []
for f in files:
    t = open(f).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    p50s.append(ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1)))
    p99s.append(ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1)))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    errors += int(m.group(1)) if m else 0
row = {"database": db, "instances": instances, "route": route, "rps": rps,
       "p50": f"{max(p50s):.2f} ms", "p99": f"{max(p99s):.2f} ms", "errors": errors}
json.dump(row, open(out, "w"))
print(row)
PY
}


# Prints every row measured into $1 as a Markdown table, in the order measured.
summarise() {
  python3 - "$1" <<'PY'
import json, pathlib, sys
rows = [json.loads(p.read_text()) for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json"), key=lambda p: p.stat().st_mtime)]
print("| database | instances | route | req/s | p50 | p99 | non-2xx |")
print("|---|---|---|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['database']} | {r['instances']} | {r['route']} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['errors']} |")
PY
}

# Appends measure's row ($OUT/$1.json) to the results with the round it belongs to.
record() { # name round
  python3 - "$OUT/$1.json" "$2" "$RESULTS" <<'PY'
import json, sys
row = json.load(open(sys.argv[1]))
row["round"] = int(sys.argv[2])
open(sys.argv[3], "a").write(json.dumps(row) + "\n")
PY
}

# Prints the rows of $1 (JSON lines from `record`) grouped by database, instances and route:
# the median over the rounds with the lowest and highest beside it.
summarise_rounds() {
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = {}
for r in rows:
    if "rps" in r:
        groups.setdefault((r["database"], r["instances"], r["route"]), []).append(r)
def ms(v): return float(v.split()[0])
def cell(values, fmt):
    return f"{fmt(statistics.median(values))} ({fmt(min(values))} to {fmt(max(values))})"
print("| database | instances | route | req/s, median (range) | p50 | p99 | non-2xx | rounds |")
print("|---|---:|---|---:|---:|---:|---:|---:|")
for (db, n, route), rs in groups.items():
    print(f"| {db} | {n} | {route} | {cell([r['rps'] for r in rs], lambda x: f'{x:,.0f}')} | "
          f"{cell([ms(r['p50']) for r in rs], lambda x: f'{x:.2f} ms')} | "
          f"{cell([ms(r['p99']) for r in rs], lambda x: f'{x:.2f} ms')} | "
          f"{sum(r['errors'] for r in rs)} | {len(rs)} |")
PY
}
