#!/usr/bin/env bash
# Whole-process comparison of `chainsleuth scan` with blocks_iterator_cli 3.0 on the
# same blocks directory, as the issue asks:
#   blocks_iterator_cli -b DIR -n regtest --skip-prevout > /dev/null
# Usage: bench/scan_vs_blocks_iterator.sh [BLOCKS_DIR] [NETWORK] [RUNS]
# Without BLOCKS_DIR, simulates a chain of about a million transactions first.
# Prints wall times (best of RUNS, page cache warm), MB/s, tx/s and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-}
network=${2:-regtest}
runs=${3:-3}
cargo build --release -q -p chainsleuth
bin=target/release/chainsleuth
if [ -z "$dir" ]; then
  out=${BENCH_OUT:-/tmp/chainsleuth-bench/sim1m}
  if [ ! -f "$out/ground_truth.json" ]; then
    "$bin" simulate --out "$out" --profile default --txs 1000000 --seed 1 >/dev/null
  fi
  dir=$out/blocks
fi
command -v blocks_iterator_cli >/dev/null || cargo install blocks_iterator_cli --version '^3' --locked

best() { # best wall time in seconds of a command, over $runs runs
  local best=""
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    local t; t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}

cat "$dir"/blk*.dat > /dev/null   # warm the page cache for both
report=$("$bin" scan --blocks-dir "$dir" --network "$network" --json)
bytes=$(echo "$report" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')
txs=$(echo "$report" | python3 -c 'import json,sys; print(json.load(sys.stdin)["transactions_decoded"])')
tip=$(echo "$report" | python3 -c 'import json,sys; t=json.load(sys.stdin)["tip"]; print(t["height"], t["hash"])')

ours=$(best "$bin" scan --blocks-dir "$dir" --network "$network")
theirs=$(best blocks_iterator_cli -b "$dir" -n "$network" --skip-prevout)

printf 'blocks dir: %s (%s MB of block records, %s transactions)\n' "$dir" "$(echo "$bytes / 1000000" | bc)" "$txs"
printf 'chainsleuth scan tip: %s\n' "$tip"
printf '%-44s %8.3f s %8.0f MB/s %10.0f tx/s\n' "chainsleuth scan" "$ours" "$(echo "$bytes / 1000000 / $ours" | bc -l)" "$(echo "$txs / $ours" | bc -l)"
printf '%-44s %8.3f s %8.0f MB/s %10.0f tx/s\n' "blocks_iterator_cli --skip-prevout" "$theirs" "$(echo "$bytes / 1000000 / $theirs" | bc -l)" "$(echo "$txs / $theirs" | bc -l)"
printf 'chainsleuth takes %.2fx the wall time of blocks_iterator_cli (goal: <= 0.5x)\n' "$(echo "$ours / $theirs" | bc -l)"
