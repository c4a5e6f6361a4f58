#!/usr/bin/env bash
# Ingest with this build against another chainsleuth binary (an earlier commit's)
# on the same simulated chain, runs alternated, each after a sync: prints best and
# median of each and the ratio, this build over the other.
#   bench/ingest_ab.sh OTHER_BINARY [TXS] [RUNS]
# Build the other binary from a worktree, e.g.
#   git worktree add /tmp/old REV && (cd /tmp/old && CARGO_TARGET_DIR=/tmp/old-target cargo build --release -p chainsleuth)
set -euo pipefail
cd "$(dirname "$0")/.."
other=${1:?usage: bench/ingest_ab.sh OTHER_BINARY [TXS] [RUNS]}
txs=${2:-1000000}
runs=${3:-5}
source bench/common.sh
sim=$work/ab-sim-$txs
[ -f "$sim/ground_truth.json" ] || "$bin" simulate --out "$sim" --profile large --txs "$txs" --seed 1 >/dev/null
cat "$sim"/blocks/blk*.dat > /dev/null   # warm the page cache
: > "$work/ab.txt"
for _ in $(seq "$runs"); do
  for b in "$other" "$bin"; do
    rm -rf "$work/ab-index"; sync; sleep 2
    /usr/bin/time -f "$b %e %M" -o "$work/ab-time.txt" "$b" ingest --blocks-dir "$sim/blocks" --network regtest --data-dir "$work/ab-index" >/dev/null 2>&1
    cat "$work/ab-time.txt" >> "$work/ab.txt"
  done
done
python3 - "$work/ab.txt" "$other" "$bin" "$txs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def times(b): return sorted(float(t) for n, t, _ in rows if n == b)
other, this = times(sys.argv[2]), times(sys.argv[3])
print(f"ingest of {int(sys.argv[4]):,} simulated transactions, {len(this)} runs each")
for name, t in (("other", other), ("this build", this)):
    print(f"{name:<12} best {t[0]:6.2f} s  median {statistics.median(t):6.2f} s")
print(f"this / other: best {this[0] / other[0]:.3f}x, median {statistics.median(this) / statistics.median(other):.3f}x")
PY
