#!/usr/bin/env bash
# Reproduces the egress decision numbers in docs/performance.md (issue 11): decisions per second
# and p50/p99 latency on loopback for `POST /api/v1/installations/{id}/egress/decisions` asked
# with the platform's token (as its egress proxy does), on SQLite and PostgreSQL, with one and
# two server instances sharing the database, in several rounds; beside each round, the public
# trust read under the same wrk settings, for reference. With two instances, also how long a
# switch changed on instance A takes to reach instance B (idle, and with wrk loading both).
#
#   scripts/bench-egress.sh                          # SQLite
#   scripts/with-postgres scripts/bench-egress.sh    # SQLite and PostgreSQL
#   scripts/with-postgres scripts/bench-egress.sh postgres   # or: sqlite, for one half
#
# PostgreSQL is measured when APPTRUST_TEST_POSTGRES_URL is set (scripts/with-postgres starts a
# throwaway cluster and sets it). Needs wrk and python3. Builds the release binary only if it is
# missing. Environment: BENCH_DURATION (wrk duration per round, default 10s), BENCH_ROUNDS
# (default 3), BENCH_CONNECTIONS (default 64, split between the instances), BENCH_APPS (default
# 20) and BENCH_SITES (default 5): every app installed on every site, so 100 installations;
# BENCH_PROPAGATION_ROUNDS (default 20; 0 skips it), BENCH_EGRESS_CACHE_MS (passed as
# --egress-cache-ms when set; the server's default is 250), BENCH_OUT (default
# target/bench/egress), BENCH_BIN (a binary to measure instead of this checkout's).
# Raw rows: one JSON line each in $BENCH_OUT/results.jsonl (started afresh by every run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  cases=(sqlite)
  [ -n "${APPTRUST_TEST_POSTGRES_URL:-}" ] && cases+=(postgres)
fi

export BENCH_APPS=${BENCH_APPS:-20}
SITES=${BENCH_SITES:-5}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PROPAGATION_ROUNDS=${BENCH_PROPAGATION_ROUNDS:-20}
OUT=${BENCH_OUT:-$ROOT/target/bench/egress}
BIN=${BENCH_BIN:-$ROOT/target/release/apptrust}
RESULTS=$OUT/results.jsonl
serve_flags=()
[ -n "${BENCH_EGRESS_CACHE_MS:-}" ] && serve_flags+=(--egress-cache-ms "$BENCH_EGRESS_CACHE_MS")
mkdir -p "$OUT/logs"
: >"$RESULTS"
# fresh_database, start_instance, settle, measure: shared with the other service benchmarks.
source "$ROOT/scripts/bench/lib.sh"

[ -x "$BIN" ] || cargo build --release -p apptrust
# An existing binary is measured as it is: say so when the sources changed after it was built.
if [ -z "${BENCH_BIN:-}" ] && [ -n "$(find crates Cargo.lock -newer "$BIN" -print -quit)" ]; then
  echo "warning: $BIN is older than the sources; run cargo build --release -p apptrust first" >&2
fi
for c in "${cases[@]}"; do
  if [ "$c" = postgres ] && [ -z "${APPTRUST_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres needs APPTRUST_TEST_POSTGRES_URL: run under scripts/with-postgres" >&2
    exit 2
  fi
  [ "$c" = sqlite ] || [ "$c" = postgres ] || { echo "unknown case $c" >&2; exit 2; }
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT


for db_kind in "${cases[@]}"; do
  for instances in 1 2; do
    database=$(fresh_database)
    token=$("$BIN" admin bootstrap --database "$database" 2>/dev/null)
    urls=()
    logs=()
    for _ in $(seq "$instances"); do
      start_instance "$database" ${serve_flags[@]+"${serve_flags[@]}"}
      urls+=("$started_url")
      logs+=("$(readlink "/proc/${pids[-1]}/fd/1")")
    done
    started=$(date +%s)
    tokens=$(python3 "$ROOT/scripts/bench/seed_egress.py" seed "${urls[0]}" "$token" "$BENCH_APPS" "$SITES" \
      "$ROOT/examples/eligible/manifest.yml" "$OUT")
    echo "$db_kind, $instances instance(s): seeded $BENCH_APPS apps on $SITES sites in $(( $(date +%s) - started )) s"
    field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$tokens" "$1"; }
    platform=$(field platform)
    admin=$(field admin)
    flip=$(field flip)
    # Every answer checked once on every instance; this also fills each one's memory, as a
    # running proxy would have. The trust documents likewise, for the reference rows.
    for url in "${urls[@]}"; do
      python3 "$ROOT/scripts/bench/seed_egress.py" check "$url" "$platform" "$OUT/egress-ids.txt"
      for n in $(seq 0 $((BENCH_APPS - 1))); do curl -s -o /dev/null "$url/api/v1/apps/bench.app$n/trust"; done
    done

    for round in $(seq "$ROUNDS"); do
      BENCH_TOKEN=$platform BENCH_IDS=$OUT/egress-ids.txt BENCH_BODY=$OUT/egress-bodies.txt \
        measure "$db_kind-$instances-decisions-$round" "POST .../egress/decisions" egress.lua "$CONNECTIONS" "${urls[@]}"
      record "$db_kind-$instances-decisions-$round" "$round"
      measure "$db_kind-$instances-trust-$round" "GET /api/v1/apps/{app}/trust (reference)" trust.lua "$CONNECTIONS" "${urls[@]}"
      record "$db_kind-$instances-trust-$round" "$round"
    done

    if [ "$instances" = 2 ] && [ "$PROPAGATION_ROUNDS" -gt 0 ]; then
      settle
      python3 "$ROOT/scripts/bench/seed_egress.py" propagate "${urls[0]}" "${urls[1]}" "$admin" "$platform" \
        "$flip" "$PROPAGATION_ROUNDS" "$db_kind" idle "$OUT/$db_kind-propagation-idle.json"
      cat "$OUT/$db_kind-propagation-idle.json" >>"$RESULTS"; echo >>"$RESULTS"
      # The same while wrk keeps both instances busy with decisions (its figures are not kept).
      settle
      load=()
      for url in "${urls[@]}"; do
        BENCH_TOKEN=$platform BENCH_IDS=$OUT/egress-ids.txt BENCH_BODY=$OUT/egress-bodies.txt \
          wrk -t1 -c$((CONNECTIONS / 2)) -d120s -s "$ROOT/scripts/bench/egress.lua" "$url" >/dev/null &
        load+=($!)
      done
      sleep 2
      python3 "$ROOT/scripts/bench/seed_egress.py" propagate "${urls[0]}" "${urls[1]}" "$admin" "$platform" \
        "$flip" "$PROPAGATION_ROUNDS" "$db_kind" "under load" "$OUT/$db_kind-propagation-load.json"
      kill "${load[@]}" 2>/dev/null || true
      wait "${load[@]}" 2>/dev/null || true
      cat "$OUT/$db_kind-propagation-load.json" >>"$RESULTS"; echo >>"$RESULTS"
    fi

    cleanup
    pids=()
    # What the servers logged above `info` (errors under load, refused requests), kept.
    for i in "${!logs[@]}"; do
      cp "${logs[$i]}" "$OUT/logs/$db_kind-$instances-instance$i.log"
      rm -f "${logs[$i]}"
      echo "$db_kind, $instances instance(s), instance $i: $(grep -cE ' (WARN|ERROR) ' "$OUT/logs/$db_kind-$instances-instance$i.log" || true) warnings/errors logged"
    done
    if [ "$db_kind" = postgres ]; then
      psql "$APPTRUST_TEST_POSTGRES_URL" -qc "DROP DATABASE ${database##*/}" >/dev/null
    else
      rm -rf "$(dirname "$database")"
    fi
  done
done

# Medians and ranges over the rounds.
summarise_rounds "$RESULTS"
# The propagation rows.
python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print()
print("| database | propagation A to B | rounds | median | min | max | from the PATCH's start: median / max | polls of B (median) | A stale after its own change |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    if "median_ms" in r:
        print(f"| {r['database']} | {r['route']} | {r['rounds']} | {r['median_ms']} ms | {r['min_ms']} ms | "
              f"{r['max_ms']} ms | {r['median_from_request_ms']} / {r['max_from_request_ms']} ms | "
              f"{r['polls_median']} | {r['stale_on_a']} |")
PY
