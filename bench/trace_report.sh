#!/usr/bin/env bash
# A 10-hop haircut trace from the theft as a whole command on the ten-million-
# transaction chain, with its report written as JSON: the bounded defaults (shares
# under 546 sats dropped, at most 100,000 transactions split, 10,000 report rows)
# against the unbounded trace of before (--min-value 1, no node limit, every row),
# in the same run: transactions gone through, JSON bytes, wall time, peak RSS, and
# the ratios.
#   bench/trace_report.sh [INDEX_DIR] [GROUND_TRUTH]
# Without arguments, uses (and if needed builds) the chain and index of bench/ingest.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
index_dir=${1:-$work/index-bench}
truth=${2:-$work/sim10m/ground_truth.json}
bench_index "$index_dir"
read -r -a from < <(theft_starts "$truth")
run() { # NAME FLAGS...: prints "NAME seconds rss_kb bytes transactions"
  local name=$1; shift
  local out=$work/trace-$name.json
  read -r seconds kb < <(timed "$bin" trace --from "${from[@]}" --max-hops 10 --policy haircut --json \
    --network regtest --data-dir "$index_dir" -o "$out" "$@")
  local txs
  txs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["transactions"])' "$out")
  echo "$name $seconds $kb $(stat -c %s "$out") $txs"
}
cat "$index_dir"/*.col > /dev/null 2>&1 || true   # warm the page cache
bounded=$(run bounded)
unbounded=$(run unbounded --min-value 1 --max-nodes 1000000000 --max-rows 0)
python3 - "$bounded" "$unbounded" <<'PY'
import sys
rows = [l.split() for l in sys.argv[1:]]
for name, s, kb, size, txs in rows:
    print(f"{name:<10} {int(txs):>9,} transactions  {float(s):7.2f} s  peak RSS {int(kb)/1024:8,.0f} MiB  JSON {int(size)/2**20:9,.1f} MiB")
(_, s1, kb1, b1, t1), (_, s2, kb2, b2, t2) = rows
print(f"bounded / unbounded: transactions {int(t1)/int(t2):.3f}, time {float(s1)/float(s2):.3f}, "
      f"peak RSS {int(kb1)/int(kb2):.3f}, JSON {int(b1)/int(b2):.4f}")
PY
