#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/build.sh) and runs each for SECONDS (default 60).
#   scripts/fuzz/run.sh [SECONDS]        FUZZ_TARGETS="decoder command names http websocket irc moderation" to choose
# The committed seeds in Fuzz/corpus/<target>/ are copied into a working corpus under
# .build-fuzz/corpus/<target>/ (kept between runs, never committed). A crash leaves its
# input in .build-fuzz/artifacts/<target>/ and fails the run: turn it into a test in
# Tests/ChatProtocolTests/FuzzRegressionTests.swift (WebProtocolTests for http, websocket;
# Tests/IRCProtocolTests/IRCFuzzRegressionTests.swift for irc) and a seed in Fuzz/corpus/<target>/.
# Replay one input: .build-fuzz/fuzz-<target> FILE
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
out=.build-fuzz
targets=${FUZZ_TARGETS:-"decoder command names http websocket irc moderation"}
FUZZ_TARGETS=$targets Fuzz/build.sh "$out" || { echo "FAIL: fuzz build"; exit 1; }

status=0
summary=()
for target in $targets; do
    corpus=$out/corpus/$target
    artifacts=$out/artifacts/$target/
    mkdir -p "$corpus" "$artifacts"
    cp -n Fuzz/corpus/$target/* "$corpus"/ 2>/dev/null || true
    dict=()
    [[ -f Fuzz/dict/$target.dict ]] && dict=(-dict=Fuzz/dict/$target.dict)
    log=$out/fuzz-$target.log
    echo "== fuzz-$target for ${seconds}s"
    "$out/fuzz-$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$artifacts" \
        >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    units=$(ls "$corpus" | wc -l)
    if [[ $rc -eq 0 ]]; then
        line="PASS fuzz-$target: ${execs:-?} executions (${rate:-?}/s), $cov, corpus $units"
    else
        status=1
        line="FAIL fuzz-$target (exit $rc): crash input in $artifacts, log $log"
        grep -E 'ERROR|Fatal error|precondition|SUMMARY' "$log" | head -10
        ls "$artifacts"
    fi
    echo "$line"
    summary+=("$line")
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $status
