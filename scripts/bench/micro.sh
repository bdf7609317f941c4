#!/usr/bin/env bash
# `make bench-micro`: the ordo-one/benchmark micro-benchmarks in Benchmarks/Package.swift.
# BENCH_SHORT=1 (the default here, for CI) runs a few iterations; nothing fails on timing.
# The output is kept in $BENCH_WORK/micro.log, which `make bench` quotes in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../../Benchmarks"
WORK=${BENCH_WORK:-/tmp/chatd-bench-work}
mkdir -p "$WORK"
export BENCH_SHORT=${BENCH_SHORT:-1}
[[ $BENCH_SHORT == 0 ]] && unset BENCH_SHORT
swift package --disable-sandbox benchmark --no-progress 2>&1 | tee "$WORK/micro.log"
