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
