#!/usr/bin/env bash
# Reproduces every number in docs/performance.md.
#
#   scripts/bench.sh            # everything: rust, node, cold, memory, then a summary
#   scripts/bench.sh memory     # or any of: rust node cold memory summary
#
# Needs: cargo; node 20+ with `npm ci --prefix tools/forge-node`; hyperfine; GNU time at
# /usr/bin/time; python3 (generates the hostile inputs and the summary). The corpus is
# $APPTRUST_SHARED/corpus/forge-manifests/files (default: shared/ beside the repository).
#
# Environment: APPTRUST_SHARED, APPTRUST_BENCH_CORPUS (the manifest directory),
# APPTRUST_BENCH_WARMUP / APPTRUST_BENCH_PASSES (Rust bench, default 3 / 20),
# BENCH_OUT (results directory, default target/bench), COLD_RUNS (hyperfine runs of the Node
# process, default 10), MEM_TIMEOUT (seconds allowed per memory case, default 300).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${APPTRUST_SHARED:-$ROOT/../shared}
CORPUS=${APPTRUST_BENCH_CORPUS:-$SHARED/corpus/forge-manifests/files}
OUT=${BENCH_OUT:-$ROOT/target/bench}
COLD_RUNS=${COLD_RUNS:-10}
MEM_TIMEOUT=${MEM_TIMEOUT:-300}
BIN=$ROOT/target/release/apptrust
NODE_BENCH=$ROOT/tools/forge-node/bench-forge.mjs

sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(rust node cold memory summary)
want() { local s; for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

die() { echo "bench.sh: $*" >&2; exit 1; }
need_node() {
    command -v node >/dev/null || die "node not found: install Node.js 20 or later"
    [ -d "$ROOT/tools/forge-node/node_modules/@forge/manifest" ] ||
        die "tools/forge-node/node_modules is missing: run 'npm ci --prefix tools/forge-node'"
}
need_hyperfine() {
    command -v hyperfine >/dev/null ||
        die "hyperfine not found: run 'apt-get install -y hyperfine' (Debian/Ubuntu) or 'cargo install hyperfine'"
}
need_time() {
    [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1 ||
        die "GNU time not found at /usr/bin/time: run 'apt-get install -y time'"
}
need_python() { command -v python3 >/dev/null || die "python3 not found: run 'apt-get install -y python3'"; }

for s in "${sections[@]}"; do
    case $s in rust | node | cold | memory | summary) ;; *) die "unknown section '$s' (rust node cold memory summary)" ;; esac
done
[ -d "$CORPUS" ] || die "corpus not found at $CORPUS (set APPTRUST_SHARED or APPTRUST_BENCH_CORPUS)"
if want node || want cold; then need_node; fi
if want cold; then need_hyperfine; fi
if want memory; then need_time; need_python; fi
if want summary; then need_python; fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # cargo bench runs in crates/cli: the JSON path must be absolute
shopt -s nullglob
corpus_files=("$CORPUS"/*.yml)
[ ${#corpus_files[@]} -gt 0 ] || die "no *.yml files in $CORPUS"
corpus_q=$(printf '%q' "$CORPUS")

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "rustc: $(rustc --version)"
    command -v node >/dev/null && echo "node: $(node --version)"
    command -v hyperfine >/dev/null && echo "hyperfine: $(hyperfine --version)"
    echo "corpus: $CORPUS (${#corpus_files[@]} files, $(cat "${corpus_files[@]}" | wc -c) bytes)"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"
if awk -v n="$(nproc)" '{ exit !($1 > 0.25 * n) }' /proc/loadavg; then
    echo "bench.sh: warning: load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores; other work will skew the numbers" >&2
fi

echo "== cargo build --release"
cargo build --release -p apptrust

if want rust; then
    echo "== Rust: cargo bench -p apptrust --bench corpus"
    APPTRUST_BENCH_CORPUS=$CORPUS APPTRUST_BENCH_JSON=$OUT/rust.json \
        cargo bench -p apptrust --bench corpus | tee "$OUT/rust.txt"
fi

if want node; then
    echo "== Node warm: bench-forge.mjs --warmup 2 --passes 5 (parse + @forge/manifest validation)"
    node "$NODE_BENCH" --warmup 2 --passes 5 "$CORPUS" | tee "$OUT/node-warm.json"
    echo "== Node warm: bench-forge.mjs --warmup 2 --passes 5 --parse-only (yaml.parse alone)"
    node "$NODE_BENCH" --warmup 2 --passes 5 --parse-only "$CORPUS" | tee "$OUT/node-warm-parse-only.json"
fi

if want cold; then
    echo "== Cold whole process: Node"
    hyperfine --warmup 1 --runs "$COLD_RUNS" --export-json "$OUT/cold-node.json" \
        "node $(printf '%q' "$NODE_BENCH") $corpus_q"
    # `check` exits 1 on the corpus (some manifests are not eligible): -i keeps hyperfine going.
    echo "== Cold whole process: apptrust check (all cores, then one thread)"
    hyperfine --warmup 3 -i --export-json "$OUT/cold-apptrust.json" \
        "$(printf '%q' "$BIN") check -q $corpus_q/*.yml" \
        "$(printf '%q' "$BIN") check -q --jobs 1 $corpus_q/*.yml"
fi

if want memory; then
    echo "== Memory: peak RSS of apptrust check, one process per input"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    largest=$(ls -S "${corpus_files[@]}" | sed -n 1p)
    python3 - "$tmp" "$largest" <<'EOF'
import random, sys, os
d, real = sys.argv[1], sys.argv[2]
def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
head = ("app:\n  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000\n"
        "  runtime:\n    name: nodejs22.x\nmodules: {}\npermissions:\n  scopes: []\n"
        "  external:\n    fetch:\n      backend:\n")
def egress(size):
    lines, n, i = [head], len(head), 0
    while n < size:
        line = f"        - address: https://h{i:07d}.example.com\n"
        lines.append(line); n += len(line); i += 1
    return "".join(lines)
w("valid-9mb.yml", egress(9_000_000))               # a real-shaped manifest, 187,497 egress entries
w("over-limit-11mb.yml", egress(11_000_000))         # over the 10 MiB max_bytes default
bomb, prev = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'], "a"
for c in "bcdefghi":
    bomb.append(f"{c}: &{c} [" + ",".join([f"*{prev}"] * 9) + "]"); prev = c
w("billion-laughs.yml", "\n".join(bomb) + "\n")      # 9^9 strings if expanded
w("flow-deep-100k.yml", "[" * 100_000 + "]" * 100_000 + "\n")
w("block-deep-10k.yml", "- " * 10_000 + "x\n")       # compact block sequences, one per level
rng = random.Random(42)
w("random-1mib.yml", bytes(rng.getrandbits(8) for _ in range(1 << 20)))
src = open(real, "rb").read()
w("invalid-utf8.yml", src[:40] + b"\xff\xfe\xc3\x28" + src[40:])
# Within every limit: one anchor of 19,000 scalars used 99 times (Forge's budget is 100 uses,
# the definition included) expands to 1.9 million nodes, under max_nodes.
w("alias-amplified-1.9m-nodes.yml",
  "a: &a [" + ",".join(["x"] * 19_000) + "]\nb: [" + ",".join(["*a"] * 99) + "]\n")
# One flow sequence of 5.2 million one-letter scalars, just under 10 MiB; and the same count
# of items as a block sequence, for comparison. Both exceed max_nodes.
n = (10 * 1024 * 1024 - 3) // 2
w("flow-seq-10mib.yml", "[" + ",".join(["x"] * n) + "]\n")
w("block-seq-10mib.yml", "- x\n" * ((10 * 1024 * 1024) // 4))
# The same flow sequence on the line of its key: saphyr-parser does not buffer this form.
w("flow-value-10mib.yml", "a: [" + ",".join(["x"] * ((10 * 1024 * 1024 - 6) // 2)) + "]\n")
EOF
    table=$OUT/memory.md
    {
        echo "| input | bytes | wall s | peak RSS MiB | exit | result |"
        echo "|---|---:|---:|---:|---:|---|"
    } >"$table"
    measure() { # LABEL ARGS...
        local label=$1; shift
        local bytes=0 f
        for f in "$@"; do [ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f"))); done
        local start=$EPOCHREALTIME status=0
        timeout "$MEM_TIMEOUT" /usr/bin/time -v -o "$tmp/time.txt" \
            "$BIN" check -q --color never "$@" >"$tmp/out.txt" 2>&1 || status=$?
        local end=$EPOCHREALTIME
        local wall rss result
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
        rss=$(awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tmp/time.txt")
        if [ "$status" -eq 124 ]; then
            result="TIMEOUT after ${MEM_TIMEOUT}s"
        elif [ $# -eq 1 ]; then
            result=$(grep -F -m1 "$1: " "$tmp/out.txt" | sed "s|^.*: ||") || true
        else
            result=$(grep -m1 '^Checked' "$tmp/out.txt") || true
        fi
        echo "| $label | $bytes | $wall | $rss | $status | ${result:-$(head -c 200 "$tmp/out.txt" | head -n1)} |" |
            tee -a "$table"
    }
    measure "one real manifest (largest in corpus: $(basename "$largest"))" "$largest"
    measure "whole corpus, ${#corpus_files[@]} files, $(nproc) threads" "${corpus_files[@]}"
    measure "whole corpus, ${#corpus_files[@]} files, --jobs 1" --jobs 1 "${corpus_files[@]}"
    measure "valid 9 MB manifest (187,497 egress entries)" "$tmp/valid-9mb.yml"
    measure "billion laughs (9 anchors x 9 aliases)" "$tmp/billion-laughs.yml"
    measure "100,000-deep flow \`[[[...]]]\`" "$tmp/flow-deep-100k.yml"
    measure "10,000-deep block nesting \`- - - ... x\`" "$tmp/block-deep-10k.yml"
    measure "1 MiB of random bytes (seed 42)" "$tmp/random-1mib.yml"
    measure "real manifest with invalid UTF-8" "$tmp/invalid-utf8.yml"
    measure "11 MB file (over the 10 MiB limit)" "$tmp/over-limit-11mb.yml"
    measure "alias amplification to 1.9 M nodes (19,000 x 99)" "$tmp/alias-amplified-1.9m-nodes.yml"
    measure "block sequence of 2.6 M scalars (10 MiB)" "$tmp/block-seq-10mib.yml"
    measure "top-level flow sequence of 5.2 M scalars (10 MiB)" "$tmp/flow-seq-10mib.yml"
    measure "flow sequence on its key's line \`a: [...]\` (10 MiB)" "$tmp/flow-value-10mib.yml"
    measure "two top-level flow sequences, --jobs 2" --jobs 2 "$tmp/flow-seq-10mib.yml" "$tmp/flow-seq-10mib.yml"
    echo "memory table: $table"
fi

if want summary; then
    echo "== Summary"
    python3 - "$OUT" <<'EOF' | tee "$OUT/summary.txt"
import json, os, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None
rust, warm, parse = load("rust.json"), load("node-warm.json"), load("node-warm-parse-only.json")
cn, ca = load("cold-node.json"), load("cold-apptrust.json")
if not (rust and warm and cn and ca):
    sys.exit("summary needs the rust, node and cold sections' results in " + out)
files, mb = rust["files"], rust["bytes"] / 1e6
r = {(x["workload"], x["threads"]): x for x in rust["results"]}
par = rust["threads"]
def row(name, seconds, note=""):
    print(f"{name:<58} {seconds * 1e3:>10.1f} ms {files / seconds:>10.0f} files/s {mb / seconds:>8.2f} MB/s  {note}")
print(f"{files} files, {rust['bytes']} bytes; in-memory rows: best pass")
row("(a) loader alone, 1 thread", r[("load", 1)]["best_seconds"])
row(f"(a) loader alone, {par} threads", r[("load", par)]["best_seconds"])
row("(b) full check, 1 thread", r[("check", 1)]["best_seconds"])
row(f"(b) full check, {par} threads", r[("check", par)]["best_seconds"])
row("(c) Node yaml.parse alone, warm", parse["best_seconds"]) if parse else None
row("(c) Node parse + @forge/manifest, warm", warm["best_seconds"])
node_cold = cn["results"][0]["mean"]
row("(c) Node parse + @forge/manifest, cold process (mean)", node_cold)
ours_cold = {res["command"]: res["mean"] for res in ca["results"]}
cold_par = next(v for k, v in ours_cold.items() if "--jobs 1" not in k)
cold_one = next(v for k, v in ours_cold.items() if "--jobs 1" in k)
row(f"(b) apptrust check, cold process, {par} threads (mean)", cold_par)
row("(b) apptrust check, cold process, --jobs 1 (mean)", cold_one)
print()
def target(label, ratio, goal):
    print(f"{label:<72} {ratio:>8.1f}x  (target {goal}: {'met' if ratio >= goal else 'NOT met'})")
print("Target: full check >= 100x faster than Node cold")
target("  cold process vs cold process, --jobs 1 vs Node", node_cold / cold_one, 100)
target(f"  cold process vs cold process, {par} threads vs Node", node_cold / cold_par, 100)
target("  in-memory (b) 1 thread vs Node cold process", node_cold / r[("check", 1)]["best_seconds"], 100)
print("Target: full check >= 30x faster than Node warm")
target("  (b) 1 thread vs Node warm (best passes)", warm["best_seconds"] / r[("check", 1)]["best_seconds"], 30)
target(f"  (b) {par} threads vs Node warm (best passes)", warm["best_seconds"] / r[("check", par)]["best_seconds"], 30)
print("Target: (b) takes at most 2x the time of (a)")
for t in (1, par):
    q = r[("check", t)]["best_seconds"] / r[("load", t)]["best_seconds"]
    print(f"  {t} thread(s): (b)/(a) = {q:.2f}x  ({'met' if q <= 2 else 'NOT met'})")
EOF
fi
