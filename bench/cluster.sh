#!/usr/bin/env bash
# Clustering against ingest on the same chain, as whole processes: a full ingest,
# then a full clustering (multi-input and one-time change by default), then an
# incremental one with nothing new; wall time, peak RSS, and their ratio.
#   bench/cluster.sh [BLOCKS_DIR] [NETWORK] [HEURISTICS]
# Without BLOCKS_DIR, simulates ten million transactions first (about 3 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
network=${2:-regtest}
heuristics=${3:-multi-input,change:one-time}
source bench/common.sh
dir=$(blocks_dir "$dir")
data=$work/index-bench
cat "$dir"/blk*.dat > /dev/null   # warm the page cache

runs=${RUNS:-3}
read -r ingest_s _ ingest_kb < <(median_of "$runs" "$bin" ingest --blocks-dir "$dir" --network "$network" --data-dir "$data" --rebuild)
read -r cluster_s _ cluster_kb < <(median_of "$runs" sh -c "rm -rf '$data/analysis' && '$bin' cluster --network '$network' --data-dir '$data' --heuristics '$heuristics'")
read -r again_s again_kb < <(timed "$bin" cluster --network "$network" --data-dir "$data" --heuristics "$heuristics")
report=$("$bin" cluster --network "$network" --data-dir "$data" --heuristics "$heuristics" --json)
python3 - "$ingest_s" "$ingest_kb" "$cluster_s" "$cluster_kb" "$again_s" "$report" "$runs" <<'PY'
import json, sys
ingest, ingest_kb, cluster, cluster_kb, again = map(float, sys.argv[1:6])
r = json.loads(sys.argv[6])
print(f"chain: {r['addresses']:,} addresses, {r['entities']:,} entities, {r['change_links']:,} change links ({r['heuristics']})")
print(f"medians of {sys.argv[7]} runs each")
print(f"{'chainsleuth ingest (full index)':<40} {ingest:8.2f} s  peak RSS {ingest_kb/1024:,.0f} MiB")
print(f"{'chainsleuth cluster (full)':<40} {cluster:8.2f} s  peak RSS {cluster_kb/1024:,.0f} MiB")
print(f"{'chainsleuth cluster (nothing new)':<40} {again:8.2f} s")
print(f"cluster / ingest = {cluster/ingest:.1%} (goal < 20%)")
print("union-find: 8 bytes per address (u32 parent + u32 size) = "
      f"{8*r['addresses']/2**20:,.0f} MiB of the {cluster_kb/1024:,.0f} MiB peak")
PY
