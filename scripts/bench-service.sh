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
# fresh_database, start_instance, settle, measure, summarise: shared with bench-programs.sh.
source "$ROOT/scripts/bench/lib.sh"

if [ -z "${INSIDE_PG:-}" ]; then
  [ -n "${BENCH_BIN:-}" ] || cargo build --release --locked -p apptrust
  for c in "${cases[@]}"; do
    case $c in
      sqlite) "$0" --inside-postgres sqlite ;;
      postgres) scripts/with-postgres "$0" --inside-postgres postgres ;;
      *) echo "unknown case $c" >&2; exit 2 ;;
    esac
  done
  summarise "$OUT"
  exit 0
fi

db_kind=${cases[0]}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

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
