# Shared by the whole-process benchmarks: `source bench/common.sh` after `cd` to the
# repository root. Builds the binary and defines helpers.
cargo build --release -q -p chainsleuth
bin=target/release/chainsleuth
work=${BENCH_OUT:-/tmp/chainsleuth-bench}
mkdir -p "$work"

# blocks_dir [DIR]: DIR if given, else the blocks of a simulated ten-million-
# transaction chain (simulated once, about 3 minutes).
blocks_dir() {
  if [ -n "${1:-}" ]; then echo "$1"; return; fi
  if [ ! -f "$work/sim10m/ground_truth.json" ]; then
    "$bin" simulate --out "$work/sim10m" --profile large --txs 10000000 --seed 1 >/dev/null
  fi
  echo "$work/sim10m/blocks"
}

# timed CMD...: prints "wall_seconds max_rss_kb" of a command.
timed() {
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" > /dev/null 2>&1
  cat "$work/time.txt"
}

# median_of N CMD...: runs CMD N times, each after flushing earlier runs' dirty
# pages (an index is gigabytes: its writeback would slow the next run); prints
# "median_seconds best_seconds max_rss_kb".
median_of() {
  local n=$1; shift
  for _ in $(seq "$n"); do sync; sleep 2; timed "$@"; done | sort -n | python3 -c '
import sys
rows = [tuple(map(float, l.split())) for l in sys.stdin]
print(rows[len(rows) // 2][0], rows[0][0], int(max(r[1] for r in rows)))'
}

# bench_index INDEX_DIR: ingests the ten-million-transaction chain into INDEX_DIR
# unless it holds an index already.
bench_index() {
  if [ ! -f "$1/manifest.json" ]; then
    "$bin" ingest --blocks-dir "$(blocks_dir "")" --network regtest --data-dir "$1" > /dev/null
  fi
}

# theft_starts GROUND_TRUTH: the first theft's stolen outputs as `txid:vout ...`.
# The truth file is gigabytes: grep it once and keep the answer (reading it again
# would push the index out of the page cache).
theft_starts() {
  local starts=$work/theft_outpoints.txt
  [ -s "$starts" ] || grep -o -m1 '"stolen_outputs": *\[[^]]*\]' "$1" | python3 -c '
import json, sys
text = sys.stdin.read()
outputs = json.loads(text[text.index("["):])
print(" ".join("%s:%d" % (o["txid"], o["vout"]) for o in outputs))' > "$starts"
  cat "$starts"
}

# trace_setup [INDEX_DIR] [GROUND_TRUTH]: sets index_dir and truth (default: the
# ten-million-transaction chain's index and truth, built if missing) and from (the
# first theft's stolen outputs).
trace_setup() {
  index_dir=${1:-$work/index-bench}
  truth=${2:-$work/sim10m/ground_truth.json}
  bench_index "$index_dir"
  from=$(theft_starts "$truth")
}
