#!/usr/bin/env bash
# What each ground-truth level costs: simulates the same chain of N transactions
# (default one million, default profile) with --truth full, compact and none, and
# prints wall time, peak RSS and truth bytes per transaction, each as a ratio
# against full in the same run.
# Usage: bench/truth.sh [TXS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
txs=${1:-1000000}
out=${2:-/tmp/chainsleuth-bench/truth-$txs}
cargo build --release -q -p chainsleuth
rm -rf "$out"
mkdir -p "$out"
for level in full compact none; do
  /usr/bin/time -f '%e %M' -o "$out/$level.time" target/release/chainsleuth simulate --out "$out/$level" --txs "$txs" --seed 1 --truth "$level" --json > "$out/$level.json"
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
rows = {}
for level in ["full", "compact", "none"]:
    wall, rss = open(f"{out}/{level}.time").read().split()
    s = json.load(open(f"{out}/{level}.json"))
    truth = os.path.getsize(s["ground_truth"]) if s["ground_truth"] else 0
    rows[level] = (float(wall), int(rss) / 1024, truth, s["transactions"])
full = rows["full"]
print(f"{full[3]:,} transactions per run")
for level, (wall, rss, truth, txs) in rows.items():
    print(f"{level:8} wall {wall:6.1f} s ({wall / full[0]:.2f}x full)  peak RSS {rss:5.0f} MiB  "
          f"truth {truth / txs:6.1f} B/tx ({truth / full[2]:.3f}x full)")
PY
rm -rf "$out"
