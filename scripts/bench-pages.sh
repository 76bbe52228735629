#!/usr/bin/env bash
# Reproduces the web page numbers in docs/performance.md (issue 12): the directory page with
# 10,000 apps (its first page, a text search, the badge filter from a random place) and an app's
# trust page, rendered by one instance and asked for by wrk over loopback, in several rounds.
#
#   scripts/bench-pages.sh                          # SQLite
#   scripts/with-postgres scripts/bench-pages.sh    # SQLite and PostgreSQL
#
# Needs wrk and python3. Builds the release binary only if it is missing. Environment:
# BENCH_APPS (default 10000), BENCH_DURATION (default 10s), BENCH_ROUNDS (default 3),
# BENCH_CONNECTIONS (default 16), BENCH_OUT (default target/bench/pages), BENCH_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  cases=(sqlite)
  [ -n "${APPTRUST_TEST_POSTGRES_URL:-}" ] && cases+=(postgres)
fi
export BENCH_APPS=${BENCH_APPS:-10000}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
OUT=${BENCH_OUT:-$ROOT/target/bench/pages}
BIN=${BENCH_BIN:-$ROOT/target/release/apptrust}
RESULTS=$OUT/results.jsonl
mkdir -p "$OUT"
: >"$RESULTS"
source "$ROOT/scripts/bench/lib.sh"

[ -x "$BIN" ] || cargo build --release -p apptrust
if [ -z "${BENCH_BIN:-}" ] && [ -n "$(find crates Cargo.lock -newer "$BIN" -print -quit)" ]; then
  echo "warning: $BIN is older than the sources; run cargo build --release -p apptrust first" >&2
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for db_kind in "${cases[@]}"; do
  database=$(fresh_database)
  token=$("$BIN" admin bootstrap --database "$database" 2>/dev/null)
  start_instance "$database"
  url=$started_url
  started=$(date +%s)
  python3 "$ROOT/scripts/bench/seed_pages.py" "$url" "$token" "$BENCH_APPS" \
    "$ROOT/examples/eligible/manifest.yml" "$ROOT/examples/not-eligible/manifest.yml" >/dev/null
  echo "$db_kind: seeded $BENCH_APPS apps in $(( $(date +%s) - started )) s"
  # Every page answers before it is measured, and every trust page is read once (a running
  # service's memory is warm).
  for path in "/" "/?q=app1" "/?badge=runsOnAtlassian&after=bench.app5" "/apps/bench.app1"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: text/html' "$url$path")
    [ "$code" = 200 ] || { echo "GET $path answered $code" >&2; exit 1; }
  done
  for n in $(seq 0 $((BENCH_APPS - 1))); do echo "url = \"$url/apps/bench.app$n\""; echo "output = /dev/null"; done \
    | curl -s --parallel --parallel-max 8 -K - || true
  for round in $(seq "$ROUNDS"); do
    for page in directory search badge trust; do
      name="$db_kind-$page-$round"
      BENCH_PAGE=$page measure "$name" "page: $page" pages.lua "$CONNECTIONS" "$url"
      record "$name" "$round"
    done
  done
  cleanup
  pids=()
  if [ "$db_kind" = postgres ]; then
    psql "$APPTRUST_TEST_POSTGRES_URL" -qc "DROP DATABASE ${database##*/}" >/dev/null
  else
    rm -rf "$(dirname "$database")"
  fi
done

echo
summarise_rounds "$RESULTS"
