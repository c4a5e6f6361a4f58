#!/usr/bin/env bash
# Zcash scan throughput (MB/s) on a simulated zcashd chain of at least 1 GB,
# against the Bitcoin scan of a simulated Bitcoin Core chain of about the same
# size, in the same run.
#   bash bench/zcash_scan.sh [BLOCKS]   (default 90000 Zcash blocks, about 1.06 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
BLOCKS=${1:-90000}
WORK=${TMPDIR:-/tmp}/chainsleuth-zcash-bench
cargo build --release -q -p chainsleuth
BIN=target/release/chainsleuth
rm -rf "$WORK" && mkdir -p "$WORK"
echo "== simulate $BLOCKS Zcash blocks"
$BIN simulate --chain zcash --out "$WORK/zcash" --blocks "$BLOCKS" --seed 1
ZBYTES=$(du -sb "$WORK/zcash/blocks" | cut -f1)
echo "== simulate a Bitcoin chain of about the same size"
# The large profile writes about 380 bytes per transaction.
TXS=$((ZBYTES / 380))
$BIN simulate --out "$WORK/bitcoin" --profile large --txs "$TXS" --seed 1 >/dev/null
echo "== scan both (each twice; the second, warm, run counts)"
for chain in zcash bitcoin; do
  if [ $chain = zcash ]; then net=(--network zcash-regtest); else net=(--network regtest); fi
  $BIN scan --blocks-dir "$WORK/$chain/blocks" "${net[@]}" --json > /dev/null
  $BIN scan --blocks-dir "$WORK/$chain/blocks" "${net[@]}" --json > "$WORK/$chain.json"
done
python3 - "$WORK/zcash.json" "$WORK/bitcoin.json" <<'PY'
import json, sys
z, b = (json.load(open(p)) for p in sys.argv[1:3])
zm, bm = z["bytes"] / 1e6 / z["elapsed_secs"], b["bytes"] / 1e6 / b["elapsed_secs"]
print(f"zcash:   {z['bytes']/1e9:.2f} GB, {z['transactions']} txs in {z['elapsed_secs']:.2f} s = {zm:.0f} MB/s")
print(f"bitcoin: {b['bytes']/1e9:.2f} GB, {b['transactions']} txs in {b['elapsed_secs']:.2f} s = {bm:.0f} MB/s")
print(f"zcash scan MB/s = {zm/bm:.2f}x the bitcoin scan's")
PY
