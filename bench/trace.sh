#!/usr/bin/env bash
# Tracing speed on the ten-million-transaction simulated chain: a forward trace of
# 10 hops from the theft's stolen outputs under each policy, visits per second on one
# core and memory held, against a plain walk of the same transactions.
#   bench/trace.sh [INDEX_DIR] [GROUND_TRUTH]
# Without arguments, uses (and if needed builds) the chain and index of bench/ingest.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
index_dir=${1:-$work/index-bench}
truth=${2:-$work/sim10m/ground_truth.json}
if [ ! -f "$index_dir/manifest.json" ]; then
  "$bin" ingest --blocks-dir "$(blocks_dir "")" --network regtest --data-dir "$index_dir" > /dev/null
fi
# The truth file is gigabytes: take the first theft's stolen outputs with grep,
# once (reading it again would push the index out of the page cache).
starts=$work/theft_outpoints.txt
[ -s "$starts" ] || grep -o -m1 '"stolen_outputs": *\[[^]]*\]' "$truth" | python3 -c '
import json, sys
text = sys.stdin.read()
outputs = json.loads(text[text.index("["):])
print(" ".join("%s:%d" % (o["txid"], o["vout"]) for o in outputs))' > "$starts"
from=$(cat "$starts")
CHAINSLEUTH_BENCH_INDEX=$index_dir CHAINSLEUTH_BENCH_FROM=$from cargo bench -q -p chainsleuth-trace --bench trace 2>/dev/null
