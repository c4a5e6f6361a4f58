#!/usr/bin/env bash
# Simulator throughput and memory: writes a chain of N transactions (default ten
# million, profile large) and reports transactions per second and peak RSS, with a
# plain `dd` of the same number of bytes to the same disk as the I/O baseline.
# Usage: bench/simulate.sh [TXS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
txs=${1:-10000000}
out=${2:-/tmp/chainsleuth-bench/sim-$txs}
cargo build --release -q -p chainsleuth
rm -rf "$out"
/usr/bin/time -f '%e %M' -o /tmp/chainsleuth-sim-time target/release/chainsleuth simulate --out "$out" --profile large --txs "$txs" --seed 1 --json > /tmp/chainsleuth-sim.json
read -r wall rss < /tmp/chainsleuth-sim-time
python3 - "$wall" "$rss" <<'PY'
import json, sys
s = json.load(open('/tmp/chainsleuth-sim.json'))
wall, rss = float(sys.argv[1]), int(sys.argv[2])
print(f"simulated {s['transactions']:,} transactions, {s['blocks_written']} blocks, {s['bytes']/1e9:.2f} GB of blocks")
print(f"wall {wall:.1f} s, {s['transactions']/wall:,.0f} tx/s, peak RSS {rss/1024:.0f} MiB")
PY
bytes=$(du -sb "$out" | cut -f1)
t0=$(date +%s.%N)
dd if=/dev/zero of="$out/dd.tmp" bs=16M count=$((bytes / 16777216)) conv=fsync status=none
t1=$(date +%s.%N)
rm -f "$out/dd.tmp"
printf 'baseline: writing the same %.1f GB with dd takes %.1f s\n' "$(echo "$bytes / 1000000000" | bc -l)" "$(echo "$t1 - $t0" | bc -l)"
