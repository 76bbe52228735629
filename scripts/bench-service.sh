#!/usr/bin/env bash
# Reproduces the service numbers in docs/performance.md: requests per second and p50/p99 latency
# on loopback for the public trust read and for deploys, on SQLite and PostgreSQL, with one and
# two server instances.
#
#   scripts/bench-service.sh                 # everything
#   scripts/bench-service.sh sqlite          # or: postgres
#
# Needs: wrk and python3 (Debian: apt-get install -y wrk python3), PostgreSQL's server binaries
# for the PostgreSQL half (started by scripts/with-postgres). Environment: BENCH_DURATION (wrk
# duration, default 15s), BENCH_READ_CONNECTIONS (default 64), BENCH_DEPLOY_CONNECTIONS (default
# 32), BENCH_APPS (seeded apps, default 100), BENCH_OUT (default target/bench/service),
# BENCH_BIN (a binary to measure instead of building this checkout's: to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "${1:-}" = "--inside-postgres" ]; then
  shift
  INSIDE_PG=1
fi
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(sqlite postgres)

export BENCH_APPS=${BENCH_APPS:-100}
DURATION=${BENCH_DURATION:-15s}
READ_CONNECTIONS=${BENCH_READ_CONNECTIONS:-64}
DEPLOY_CONNECTIONS=${BENCH_DEPLOY_CONNECTIONS:-32}
OUT=${BENCH_OUT:-$ROOT/target/bench/service}
BIN=${BENCH_BIN:-$ROOT/target/release/apptrust}
mkdir -p "$OUT"

if [ -z "${INSIDE_PG:-}" ]; then
  [ -n "${BENCH_BIN:-}" ] || cargo build --release --locked -p apptrust
  for c in "${cases[@]}"; do
    case $c in
      sqlite) "$0" --inside-postgres sqlite ;;
      postgres) scripts/with-postgres "$0" --inside-postgres postgres ;;
      *) echo "unknown case $c" >&2; exit 2 ;;
    esac
  done
  python3 - "$OUT" <<'PY'
import json, pathlib, sys
rows = [json.loads(p.read_text()) for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json"), key=lambda p: p.stat().st_mtime)]
print("| database | instances | route | req/s | p50 | p99 | non-2xx |")
print("|---|---|---|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['database']} | {r['instances']} | {r['route']} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['errors']} |")
PY
  exit 0
fi

db_kind=${cases[0]}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

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

for instances in 1 2; do
  database=$(fresh_database)
  token=$("$BIN" admin bootstrap --database "$database" 2>/dev/null)
  urls=()
  for _ in $(seq "$instances"); do
    start_instance "$database"
    urls+=("$started_url")
  done
  partner_token=$(python3 "$ROOT/scripts/bench/seed.py" "${urls[0]}" "$token" "$BENCH_APPS" "$ROOT/examples/eligible/manifest.yml" "$OUT/deploy-body.txt")
  # Steady state: every instance has read each app once (see docs/performance.md for the cold
  # start on PostgreSQL).
  for url in "${urls[@]}"; do
    for n in $(seq 0 $((BENCH_APPS - 1))); do curl -s -o /dev/null "$url/api/v1/apps/bench.app$n/trust"; done
  done
  measure "$db_kind-$instances-trust" "GET /api/v1/apps/{app}/trust" trust.lua "$READ_CONNECTIONS" "${urls[@]}"
  if [ "$instances" = 1 ]; then
    # The same read with the in-memory copy switched off: every request reads the database.
    start_instance "$database" --trust-cache-ms 0
    curl -s -o /dev/null "$started_url/healthz"
    measure "$db_kind-1-trust-uncached" "GET .../trust, cache off" trust.lua "$READ_CONNECTIONS" "$started_url"
  fi
  BENCH_TOKEN=$partner_token BENCH_BODY=$OUT/deploy-body.txt \
    measure "$db_kind-$instances-deploy" "POST .../deployments" deploy.lua "$DEPLOY_CONNECTIONS" "${urls[@]}"
  cleanup
  pids=()
  # Drop the case's database, so that its aftermath (autovacuum after thousands of deploys) does
  # not run during the next case's measurements.
  if [ "$db_kind" = postgres ]; then
    psql "$APPTRUST_TEST_POSTGRES_URL" -qc "DROP DATABASE ${database##*/}" >/dev/null
  else
    rm -rf "$(dirname "$database")"
  fi
done
