#!/usr/bin/env bash
# Builds chatd and its tests with a sanitizer and runs the end-to-end tests under it.
#   scripts/sanitizers/run.sh tsan|asan [FILTER]
# FILTER is a `swift test --filter` regex (default "E2E": the multi-loop end-to-end suites,
# Tests/ChatDaemonTests/E2E*.swift); "all" runs the whole test suite.
# Scratch paths: .build-tsan, .build-asan. Any sanitizer report fails the run:
#   TSan: halt_on_error=1 (the first data race aborts the test process, exit != 0)
#   ASan: detect_leaks=0 (XCTest's async support leaks; docs/ROBUSTNESS.md), halt on error is
#         ASan's default.
# With HOSTILE=1 the hostile-client suite (Tests/system/test-hostile.sh) also runs against
# the sanitized chatd binary (slower: TSan costs 5-15x CPU).
set -uo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
mode=${1:?usage: scripts/sanitizers/run.sh tsan|asan [FILTER|all]}
filter=${2:-E2E}
case $mode in
    tsan) sanitize=thread; scratch=.build-tsan
          # No suppressions: shared state is guarded by pthread mutexes (EventLoop's Locked),
          # which TSan intercepts; see tsan-mutex-repro.sh for why not Synchronization.Mutex.
          export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" ;;
    asan) sanitize=address; scratch=.build-asan
          export ASAN_OPTIONS="detect_leaks=0 halt_on_error=1 ${ASAN_OPTIONS:-}" ;;
    *) echo "usage: $0 tsan|asan [FILTER|all]" >&2; exit 2 ;;
esac
args=(--sanitize="$sanitize" --scratch-path "$scratch")
filter_args=()
[[ $filter != all ]] && filter_args=(--filter "$filter")
log=$scratch/sanitizer-test.log
mkdir -p "$scratch"

t0=$SECONDS
echo "== $mode: swift build --build-tests ${args[*]}"
if ! "$SWIFT" build --build-tests "${args[@]}"; then
    echo "FAIL $mode: build"; exit 1
fi
build_s=$((SECONDS - t0))

t1=$SECONDS
echo "== $mode: swift test --skip-build ${args[*]} ${filter_args[*]}"
"$SWIFT" test --skip-build "${args[@]}" "${filter_args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
test_s=$((SECONDS - t1))
reports=$(grep -cE '^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: AddressSanitizer|SUMMARY: (Thread|Address)Sanitizer)' "$log")
status=0
if [[ $rc -ne 0 || $reports -ne 0 ]]; then
    status=1
    echo "FAIL $mode: swift test exit $rc, $reports sanitizer report line(s) (log: $log)"
    grep -E -A20 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer' "$log" | head -60
fi

hostile_s=0
if [[ ${HOSTILE:-0} == 1 ]]; then
    t2=$SECONDS
    bin=$("$SWIFT" build "${args[@]}" --show-bin-path)
    if ! bash Tests/system/test-hostile.sh "$bin"; then status=1; echo "FAIL $mode: hostile suite"; fi
    hostile_s=$((SECONDS - t2))
fi
summary="$mode: build ${build_s}s, tests ${test_s}s (filter: $filter)"
[[ ${HOSTILE:-0} == 1 ]] && summary+=", hostile ${hostile_s}s"
if ((status == 0)); then echo "PASS $summary, 0 sanitizer reports"; else echo "FAIL $summary"; fi
exit $status
