#!/usr/bin/env bash
# The chat page in a real headless Chromium (Debian's chromium + chromium-driver, Selenium;
# scripts/setup.sh installs them) against the real chatd: two browser users and a tutorial
# client chat, history on join, XSS as text, reconnect after a daemon restart. Screenshots go
# to $BROWSER_ARTIFACTS (default .build/browser-artifacts). Bounded to 150 s.
#   Tests/system/test-browser.sh BIN_DIR [--readme-screenshot docs/browser.png]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: test-browser.sh BIN_DIR [--readme-screenshot PATH]}
shift
if [[ ! -x $bin/chatd ]]; then echo "FAIL browser: no chatd in $bin"; exit 1; fi
for need in /usr/bin/chromium /usr/bin/chromedriver; do
  [[ -x $need ]] || { echo "FAIL browser: $need is not installed (make setup)"; exit 1; }
done
if ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
  echo "FAIL browser: python3-selenium is not installed (make setup)"; exit 1
fi
artifacts=${BROWSER_ARTIFACTS:-$here/../../.build/browser-artifacts}
exec timeout --kill-after=10 150 /usr/bin/python3 "$here/browser_chat.py" "$bin/chatd" "$artifacts" "$@"
