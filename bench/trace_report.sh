#!/usr/bin/env bash
# A 10-hop haircut trace from the theft as a whole command on the ten-million-
# transaction chain, with its report written as JSON: the bounded defaults (shares
# under 546 sats dropped, at most 100,000 transactions split, 10,000 report rows)
# and the dust threshold alone, against the unbounded trace of before (--min-value
# 1, no node limit, every row), in the same run: transactions gone through, wall
# time, peak RSS (the index's mapped pages included), JSON bytes, and the ratios.
#   bench/trace_report.sh [INDEX_DIR] [GROUND_TRUTH]
# Without arguments, uses (and if needed builds) the chain and index of bench/ingest.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
trace_setup "$@"
read -r -a from <<< "$from"
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
unbounded=$(run unbounded --min-value 1 --max-nodes 1000000000 --max-rows 0)
dust=$(run dust_only --max-nodes 1000000000 --max-rows 0)
bounded=$(run defaults)
python3 - "$unbounded" "$dust" "$bounded" <<'PY'
import sys
rows = [l.split() for l in sys.argv[1:]]
base = rows[0]
for name, s, kb, size, txs in rows:
    print(f"{name:<10} {int(txs):>9,} transactions  {float(s):7.2f} s  peak RSS {int(kb)/1024:8,.0f} MiB  JSON {int(size)/2**20:9,.1f} MiB")
for name, s, kb, size, txs in rows[1:]:
    print(f"{name} / unbounded: transactions {int(txs)/int(base[4]):.3f}, time {float(s)/float(base[1]):.3f}, "
          f"peak RSS {int(kb)/int(base[2]):.3f}, JSON {int(size)/int(base[3]):.4f}")
PY
