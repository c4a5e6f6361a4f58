#!/usr/bin/env bash
# Monero throughput: decode and ingest from blobs (tx/s), and ring analysis per
# million inputs on a simulated modern chain (ring size 16), each beside a plain
# pass over the same data in the same run.
#   bash bench/xmr.sh [INPUTS]   (default 1000000; the chain is written to $TMPDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
INPUTS=${1:-1000000}
WORK=${TMPDIR:-/tmp}/chainsleuth-xmr-bench
cargo build --release -q -p chainsleuth
BIN=target/release/chainsleuth
rm -rf "$WORK" && mkdir -p "$WORK"
echo "== simulate a modern chain of $INPUTS inputs"
/usr/bin/time -f "simulate: %e s, peak RSS %M KiB" $BIN xmr simulate --era modern --inputs "$INPUTS" --seed 1 --out "$WORK/chain"
echo "== baseline: a plain pass that reads every blob"
start=$(date +%s.%N)
find "$WORK/chain/blocks" "$WORK/chain/txs" -name "*.hex" -exec cat {} + | wc -c >/dev/null
end=$(date +%s.%N)
plain=$(echo "$end - $start" | bc)
echo "plain read of all blobs: ${plain} s"
echo "== ingest from blobs"
/usr/bin/time -f "ingest: %e s, peak RSS %M KiB" $BIN xmr ingest --blobs "$WORK/chain" --data-dir "$WORK/index" --json > "$WORK/ingest.json"
python3 - "$WORK/ingest.json" "$plain" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); plain = float(sys.argv[2])
print(f"ingest {r['txs']} txs in {r['elapsed']:.2f} s = {r['txs']/r['elapsed']:.0f} tx/s; {r['elapsed']/plain:.2f}x the plain read")
PY
echo "== ring analysis (every rule) with evaluation against the truth"
start=$(date +%s.%N)
$BIN xmr eval --ground-truth "$WORK/chain/ground_truth.json" --data-dir "$WORK/index" --json > "$WORK/eval.json"
end=$(date +%s.%N)
python3 - "$WORK/eval.json" "$(echo "$end - $start" | bc)" "$plain" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = float(sys.argv[2]); plain = float(sys.argv[3])
print(f"eval of {r['inputs']} inputs: {t:.1f} s = {t / r['inputs'] * 1e6:.1f} s per million inputs ({t/plain:.1f}x the plain read); top-1 {r['top1_accuracy']:.4f}, newest {r['guess_newest_accuracy']:.4f}, oracle {r['oracle_top1']:.4f}, ECE {r['ece']:.4f}")
PY
