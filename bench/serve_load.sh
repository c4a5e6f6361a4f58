#!/usr/bin/env bash
# Screening over HTTP under load: `chainsleuth serve` on loopback over the
# ten-million-transaction index (21 M addresses) with 10,000 labels, hit by a bounded
# open-loop client at a fixed rate; /health through the same client and server is
# the baseline. Goal: p99 under 5 ms for direct screening at 2,000 requests/s.
#   bench/serve_load.sh [INDEX_DIR] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
index_dir=${1:-$work/index-bench}
rate=${2:-2000}
seconds=${3:-20}
[ -f "$index_dir/manifest.json" ] || "$bin" ingest --blocks-dir "$(blocks_dir "")" --network regtest --data-dir "$index_dir" > /dev/null
cargo bench -q -p chainsleuth-server --bench load --no-run 2>/dev/null
load=$(ls -t target/release/deps/load-* | grep -v '\.d$' | head -1)
"$load" prepare "$index_dir" "$work/load" 10000 20000
d=(--network regtest --data-dir "$index_dir")
"$bin" tags import "$work/load/labels.csv" --source load-bench "${d[@]}" | head -1
key=$("$bin" apikey create --name load-bench --json "${d[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
"$bin" serve --bind 127.0.0.1:0 "${d[@]}" > "$work/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$work/serve.out" && break; sleep 0.2; done
addr=$(sed -n 's#^listening on http://##p' "$work/serve.out")
echo "warm-up (the index's pages into the page cache; not counted):"
"$load" run "$addr" "$key" "/v1/screen/{}?hops=3" "$work/load/subjects.txt" "$rate" "$seconds" 16
echo "measured:"
"$load" run "$addr" "$key" /health - "$rate" "$seconds" 16
"$load" run "$addr" "$key" "/v1/screen/{}?hops=1" "$work/load/subjects.txt" "$rate" "$seconds" 16
"$load" run "$addr" "$key" "/v1/screen/{}?hops=3" "$work/load/subjects.txt" "$rate" "$seconds" 16
