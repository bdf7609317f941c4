#!/usr/bin/env bash
# Runs every test suite of chatd and ends with one line: "N passed, N failed".
# Each suite is a command; a suite passes when it exits 0. Swift Testing's own per-test
# summary is printed above by `swift test`.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
passed=0 failed=0 failures=()

suite() {
  local name=$1; shift
  echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "=== $name: PASS ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAIL ($((SECONDS - t0)) s)"
  fi
}

suite build "$SWIFT" build --build-tests
if [[ $failed -gt 0 ]]; then echo "0 passed, 1 failed (build)"; exit 1; fi
BIN=$("$SWIFT" build --show-bin-path)
export CHATD_BIN=$BIN/chatd CHATD_CLIENT_BIN=$BIN/chatd-client
# Suites that start chatd expect a daemon with no past: history in memory unless a test asks for
# SQLite with its own --state-dir (E2EHistoryStoreTests); a shared ~/.local/state would leak
# one suite's history into the next.
export CHATD_HISTORY_STORE=memory

suite swift-tests "$SWIFT" test --skip-build
# The docs render as written: fences closed and labelled, relative links resolve.
suite markdown /usr/bin/python3 scripts/check-markdown.py
suite unit-check bash Tests/system/unit-check.sh "$BIN"
for t in Tests/system/test-*.sh Tests/system/client-*.sh; do
  [[ -e $t ]] || continue
  suite "$(basename "$t" .sh)" bash "$t" "$BIN" </dev/null
done

# Robustness (issue 7): a bounded libFuzzer run per target (15 s each: seven targets now; long
# runs are `make fuzz`), the multi-loop end-to-end suites
# under ThreadSanitizer, the TLS suites under AddressSanitizer, and a short soak against a release build.
suite fuzz ./scripts/fuzz/run.sh "${FUZZ_SECONDS:-15}"
suite tsan ./scripts/sanitizers/run.sh tsan E2E
# Issue 12: the TLS suites (unit and end-to-end) under AddressSanitizer: OpenSSL's buffers cross
# into Swift's on every record.
suite asan-tls ./scripts/sanitizers/run.sh asan TLS
suite soak env -u CHATD_BIN ./scripts/soak/run.sh "${SOAK_SECONDS:-60}"

# Micro-benchmarks in short mode: they must build and run; they never fail on timing.
suite bench-micro ./scripts/bench/micro.sh

# The Debian package: release build with the Swift runtime linked statically, then lintian.
suite deb-check make --no-print-directory deb-check

echo
if ((failed)); then echo "failed suites: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
((failed == 0))
