#!/usr/bin/env bash
# Tracing speed on the ten-million-transaction simulated chain: a forward trace of
# 10 hops from the theft's stolen outputs under each policy, visits per second on one
# core and memory held, against a plain walk of the same transactions.
#   bench/trace.sh [INDEX_DIR] [GROUND_TRUTH]
# Without arguments, uses (and if needed builds) the chain and index of bench/ingest.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
trace_setup "$@"
CHAINSLEUTH_BENCH_INDEX=$index_dir CHAINSLEUTH_BENCH_FROM=$from cargo bench -q -p chainsleuth-trace --bench trace 2>/dev/null
