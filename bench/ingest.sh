#!/usr/bin/env bash
# Ingest against scan and against blocks_iterator_cli with prevouts resolved in
# memory, as whole processes on the same blocks directory; then index size per
# input+output and lookup latency.
#   bench/ingest.sh [BLOCKS_DIR] [NETWORK]
# Without BLOCKS_DIR, simulates ten million transactions first (about 3 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
network=${2:-regtest}
source bench/common.sh
dir=$(blocks_dir "$dir")
command -v blocks_iterator_cli >/dev/null || cargo install blocks_iterator_cli --version '^3' --locked
data=$work/index-bench
runs=${RUNS:-3}
cat "$dir"/blk*.dat > /dev/null   # warm the page cache

read -r scan_s scan_best _ < <(median_of "$runs" "$bin" scan --blocks-dir "$dir" --network "$network")
read -r ingest_s ingest_best ingest_kb < <(median_of "$runs" "$bin" ingest --blocks-dir "$dir" --network "$network" --data-dir "$data" --rebuild)
read -r bi_s bi_best bi_kb < <(median_of "$runs" blocks_iterator_cli -b "$dir" -n "$network")
status=$("$bin" status --network "$network" --data-dir "$data" --json)
python3 - "$scan_s" "$ingest_s" "$ingest_kb" "$bi_s" "$bi_kb" "$status" "$scan_best" "$ingest_best" "$bi_best" "$runs" <<'PY'
import json, sys
scan, ingest, ingest_kb, bi, bi_kb = map(float, sys.argv[1:6])
s = json.loads(sys.argv[6])
scan_best, ingest_best, bi_best = map(float, sys.argv[7:10])
c, d = s["counts"], s["disk"]
print(f"chain: {c['txs']:,} txs, {c['inputs']:,} inputs, {c['outputs']:,} outputs, {c['addresses']:,} addresses")
print(f"median (best) of {sys.argv[10]} runs each:")
print(f"{'chainsleuth scan':<44} {scan:8.2f} s ({scan_best:.2f})")
print(f"{'chainsleuth ingest (full index)':<44} {ingest:8.2f} s ({ingest_best:.2f})  {c['txs']/ingest:,.0f} tx/s  peak RSS {ingest_kb/1024:,.0f} MiB")
print(f"{'blocks_iterator_cli (prevouts in memory)':<44} {bi:8.2f} s ({bi_best:.2f})  peak RSS {bi_kb/1024:,.0f} MiB")
print(f"ingest / scan = {ingest/scan:.1f}x (goal <= 2.5x); ingest / blocks_iterator_cli = {ingest/bi:.2f}x (goal <= 1x)")
print(f"index: {d['total_bytes']/1e9:.2f} GB; per input+output {d['bytes_per_io_core']:.1f} bytes without hash columns and tables (goal <= 48), {d['bytes_per_io_total']:.1f} in all")
PY
CHAINSLEUTH_BENCH_INDEX=$data cargo bench -q -p chainsleuth-index --bench lookup 2>/dev/null | tail -8
