#!/usr/bin/env bash
# Reproduces the trust-program numbers in docs/performance.md, on loopback, one instance, SQLite
# and PostgreSQL: the staff queue with BENCH_QUEUE open submissions (first page, a filtered page,
# a later page); public trust reads of apps that carry every program (Runs on Atlassian, Cloud
# Fortified with its review scheduled, the bug-bounty badges, badge events); and signal
# ingestion (batches of 100 health checks: measurements/s = 100 x req/s).
#
#   scripts/bench-programs.sh                # both databases
#   scripts/bench-programs.sh sqlite         # or: postgres
#
# Needs what scripts/bench-service.sh needs (wrk, python3, PostgreSQL's binaries). Environment:
# BENCH_DURATION (default 15s), BENCH_READ_CONNECTIONS (default 64), BENCH_WRITE_CONNECTIONS
# (default 16), BENCH_APPS (apps carrying every program, default 200), BENCH_QUEUE (open
# submissions, default 10000), BENCH_OUT (default target/bench/programs), BENCH_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "${1:-}" = "--inside-postgres" ]; then
  shift
  INSIDE_PG=1
fi
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(sqlite postgres)

export BENCH_APPS=${BENCH_APPS:-200}
QUEUE=${BENCH_QUEUE:-10000}
DURATION=${BENCH_DURATION:-15s}
READ_CONNECTIONS=${BENCH_READ_CONNECTIONS:-64}
WRITE_CONNECTIONS=${BENCH_WRITE_CONNECTIONS:-16}
OUT=${BENCH_OUT:-$ROOT/target/bench/programs}
BIN=${BENCH_BIN:-$ROOT/target/release/apptrust}
mkdir -p "$OUT"
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

database=$(fresh_database)
token=$("$BIN" admin bootstrap --database "$database" 2>/dev/null)
start_instance "$database"
url=$started_url
started=$(date +%s)
tokens=$(python3 "$ROOT/scripts/bench/seed_programs.py" "$url" "$token" "$BENCH_APPS" "$QUEUE" \
  "$ROOT/examples/eligible/manifest.yml" "$OUT")
echo "seeded $BENCH_APPS filled apps and $QUEUE open submissions in $(( $(date +%s) - started )) s"
platform=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["platform"])' "$tokens")
cursor=$(curl -s -H "Authorization: Bearer $token" "$url/api/v1/submissions?ball=staff&limit=200" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["next"])')
for n in $(seq 0 $((BENCH_APPS - 1))); do curl -s -o /dev/null "$url/api/v1/apps/fill.app$n/trust"; done

BENCH_TOKEN=$token BENCH_CURSOR=$cursor \
  measure "$db_kind-queue" "GET /api/v1/submissions (staff queue, $QUEUE open)" queue.lua "$WRITE_CONNECTIONS" "$url"
measure "$db_kind-trust-filled" "GET .../trust (every program filled)" trust_filled.lua "$READ_CONNECTIONS" "$url"
BENCH_TOKEN=$platform BENCH_BODY=$OUT/signals-body.txt \
  measure "$db_kind-signals" "POST .../signals (100 health checks each)" signals.lua "$WRITE_CONNECTIONS" "$url"
cleanup
pids=()
if [ "$db_kind" = postgres ]; then
  psql "$APPTRUST_TEST_POSTGRES_URL" -qc "DROP DATABASE ${database##*/}" >/dev/null
else
  rm -rf "$(dirname "$database")"
fi
