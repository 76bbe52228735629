#!/usr/bin/env bash
# Reproduces three findings of the security probe against `apptrust serve`, on loopback, with
# figures:
#
#   1. Memory under concurrent worst-case deploys: N partner deploys at once (N = 1, 4, 16) of a
#      just-under-2-MiB *eligible* Forge manifest (a valid head, then `x: [{a: 2}, {a: 2}, ...]`),
#      each to an app whose previous production version is another such manifest (`{a: 1}`), so
#      the change report has real work. Peak RSS (VmHWM, reset through /proc/PID/clear_refs after
#      the previous versions are in), RSS 5 s later, burst wall time and each deploy's status.
#      Every N runs on a freshly started server, so peaks do not carry over.
#   2. Write stall: a staff client creates partners one at a time (10 ms apart) beside the N=4
#      burst; write latency median / p99 / max against the same writes with no burst.
#   3. Sign-in flood: 32 anonymous clients POST a just-under-4-MiB JSON array `[1,1,...]` to
#      /api/v1/session for ~10 s; /healthz latency (probed every 50 ms) with and without the flood,
#      and the status codes the flood got.
#
#   scripts/bench-hostile.sh                 # SQLite
#   scripts/bench-hostile.sh sqlite postgres # also PostgreSQL (started by scripts/with-postgres)
#   BIN=/tmp/apptrust-baseline HOSTILE_LEVELS="1 4" scripts/bench-hostile.sh
#
# Does not build: run `cargo build --release -p apptrust` first, or point BIN at a binary. Needs
# python3 (standard library only) and Linux /proc; PostgreSQL's server binaries and psql for the
# PostgreSQL case. Takes about 2-3 minutes with the default levels. Servers listen on 127.0.0.1
# only and are killed on exit; a server whose RSS passes the cap (60% of MemAvailable, or
# HOSTILE_RSS_CAP_MB) is killed and reported as such.
#
# Environment: BIN (default target/release/apptrust), HOSTILE_LEVELS (default "1 4 16"),
# HOSTILE_PARTNER_CAP (`lifted`, the default: max-large-deploys-per-partner raised so that one
# partner stands for many; `default` keeps the cap of 2 and the surplus gets 429),
# HOSTILE_SHAPE (`block`, the default: `x: [...]` under a block mapping; `flow-document`: the whole
# manifest one flow mapping, the costliest shape for the parser),
# HOSTILE_STALL_LEVEL (burst size the write stall is measured beside, default 4; 0 skips),
# HOSTILE_FLOOD (0 skips the sign-in flood), HOSTILE_FLOOD_CLIENTS (32), HOSTILE_FLOOD_SECONDS (10),
# HOSTILE_FLOOD_MAX_PER_CLIENT (100), HOSTILE_RSS_CAP_MB, BENCH_OUT (default target/bench/hostile).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "${1:-}" = "--inside" ]; then
  shift
  INSIDE=1
fi
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(sqlite)

BIN=${BIN:-$ROOT/target/release/apptrust}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
export BIN
LEVELS=${HOSTILE_LEVELS:-1 4 16}
STALL_LEVEL=${HOSTILE_STALL_LEVEL:-4}
OUT=${BENCH_OUT:-$ROOT/target/bench/hostile}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
HELPER=$ROOT/scripts/bench/hostile.py

if [ -z "${INSIDE:-}" ]; then
  [ -x "$BIN" ] || { echo "bench-hostile: no binary at $BIN (build it, or set BIN)" >&2; exit 2; }
  # The exact command, with the settings that were overridden.
  command=""
  for v in BIN HOSTILE_LEVELS HOSTILE_STALL_LEVEL HOSTILE_FLOOD HOSTILE_FLOOD_CLIENTS \
           HOSTILE_FLOOD_SECONDS HOSTILE_FLOOD_MAX_PER_CLIENT HOSTILE_RSS_CAP_MB BENCH_OUT; do
    [ -n "${!v+x}" ] && command+="$v=$(printf '%q' "${!v}") "
  done
  command+="scripts/bench-hostile.sh"
  for a in "$@"; do command+=" $(printf '%q' "$a")"; done
  export HOSTILE_COMMAND=$command
  echo "command: $command"
  mkdir -p "$OUT"
  for c in "${cases[@]}"; do
    case $c in
      sqlite) "$0" --inside sqlite ;;
      postgres) scripts/with-postgres "$0" --inside postgres ;;
      *) echo "unknown case $c (sqlite or postgres)" >&2; exit 2 ;;
    esac
  done
  exit 0
fi

db_kind=${cases[0]}
HOSTILE_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
export HOSTILE_LOAD_START
tmp=$(mktemp -d /tmp/apptrust-hostile.XXXXXX)
server_pid=""
pg_databases=()

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  for d in "${pg_databases[@]}"; do
    psql "$APPTRUST_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # name; sets url, staff, partner, server_pid
  local name=$1 database log
  if [ "$db_kind" = sqlite ]; then
    mkdir -p "$tmp/$name"
    database=$tmp/$name/db.sqlite
  else
    local db="apptrust_hostile_$RANDOM$RANDOM"
    psql "$APPTRUST_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null
    pg_databases+=("$db")
    database=${APPTRUST_TEST_POSTGRES_URL%/*}/$db
  fi
  log=$tmp/$name.log
  # One partner sends every deploy here; as many partners each sending one would be let in, so
  # the per-partner cap on large deploys is lifted to measure the evaluation lanes themselves
  # (HOSTILE_PARTNER_CAP=default keeps it, and shows the surplus refused with 429).
  local config=$tmp/$name.toml
  : >"$config"
  if [ "${HOSTILE_PARTNER_CAP:-lifted}" = lifted ]; then
    echo "max-large-deploys-per-partner = 1000" >>"$config"
  fi
  "$BIN" serve --demo --config "$config" --database "$database" --listen 127.0.0.1:0 >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    grep -q "partner: *apt_" "$log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q "partner: *apt_" "$log"; then
    echo "bench-hostile: the server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  url=$(head -1 "$log" | awk '{print $NF}')
  staff=$(awk '$1 == "staff:" {print $2}' "$log")
  partner=$(awk '$1 == "partner:" {print $2}' "$log")
  case $url in http://127.0.0.1:*) ;; *) echo "bench-hostile: not on loopback: $url" >&2; exit 1 ;; esac
}

# The two worst-case manifests: both must be eligible, or the deploys would be refused early.
python3 "$HELPER" manifest 1 "$tmp/previous.yml"
python3 "$HELPER" manifest 2 "$tmp/next.yml"
for m in "$tmp/previous.yml" "$tmp/next.yml"; do
  verdict=$("$BIN" check "$m" 2>&1 | head -1 || true)
  case $verdict in
    *": eligible") ;;
    *) echo "bench-hostile: $m is not eligible: $verdict" >&2; exit 1 ;;
  esac
done
echo "$db_kind: manifests $(stat -c %s "$tmp/next.yml") bytes, eligible (checked with $BIN check)"

fragments=()
run_level() { # N [--stall]
  local n=$1
  shift
  start_server "burst-$n"
  echo "$db_kind: $n concurrent deploys${1:+ (with the write-stall probe)}, server pid $server_pid"
  timeout 600 python3 "$HELPER" burst "$url" "$server_pid" "$staff" "$partner" "$n" \
    "$tmp/previous.yml" "$tmp/next.yml" "$tmp/burst-$n.json" "$@"
  fragments+=("$tmp/burst-$n.json")
  stop_server
}

stall_done=""
for n in $LEVELS; do
  if [ "$n" = "$STALL_LEVEL" ] && [ -z "$stall_done" ]; then
    run_level "$n" --stall
    stall_done=1
  else
    run_level "$n"
  fi
done
if [ "$STALL_LEVEL" != 0 ] && [ -z "$stall_done" ]; then
  export HOSTILE_EXTRA_FOR_STALL=1
  run_level "$STALL_LEVEL" --stall
  unset HOSTILE_EXTRA_FOR_STALL
fi

if [ "${HOSTILE_FLOOD:-1}" != 0 ]; then
  start_server flood
  echo "$db_kind: sign-in flood, server pid $server_pid"
  timeout 300 python3 "$HELPER" flood "$url" "$server_pid" "$tmp/flood.json"
  fragments+=("$tmp/flood.json")
  stop_server
fi

HOSTILE_META=$(python3 - "$db_kind" "$BIN" <<'PY'
import json, os, sys, time
mem = [l for l in open("/proc/meminfo") if l.startswith("MemTotal:")][0].split()[1]
print(json.dumps({
    "command": os.environ.get("HOSTILE_COMMAND", "scripts/bench-hostile.sh"),
    "database": sys.argv[1], "binary": sys.argv[2],
    "version": os.popen(f"'{sys.argv[2]}' --version 2>/dev/null").read().strip(),
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "cores": os.cpu_count(), "mem_total_mb": int(mem) // 1024,
    # Other work on the machine skews latency and wall time (less so memory): say how busy it was.
    "loadavg_at_start": os.environ["HOSTILE_LOAD_START"].split(),
    "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
}))
PY
)
export HOSTILE_META
python3 "$HELPER" report "$OUT/hostile-$db_kind.json" "${fragments[@]}"
