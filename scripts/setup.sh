#!/usr/bin/env bash
# Installs what building and testing chatd needs on a fresh Debian 12 machine that has only the
# Swift toolchain. Idempotent: installs only what is missing. Called by `make setup`.
set -euo pipefail
PKGS=(pkg-config libsystemd-dev libedit-dev libsqlite3-dev libssl-dev openssl tmux irssi ii python3 procps util-linux iproute2 lintian dpkg-dev fakeroot systemd)
# scripts/check-markdown.py parses with Debian's markdown-it-py (run by /usr/bin/python3);
# the .deb: patchelf points the programs at /usr/lib/chatd, man checks the generated pages.
PKGS+=(python3-markdown-it patchelf man-db)
# The browser tests (issue 13): an independent WebSocket client (the `websockets` library, Debian's
# build of the PyPI package) and a real headless Chromium driven by Selenium through chromedriver
# (a downloaded browser build cannot install here).
PKGS+=(python3-websockets python3-selenium chromium chromium-driver)
# Metrics (issue 16): Tests/system/test-metrics.sh parses /metrics with the Prometheus Python
# client's own text parser and scrapes chatd with a real Prometheus server (promtool checks the
# packaged alerting rules).
PKGS+=(prometheus python3-prometheus-client)
# --cluster: hiredis's RESP reader/formatter (Sources/CHiredis); the cluster tests start their own
# redis-server on loopback ports (Debian's, the engine issue 15 builds on).
PKGS+=(libhiredis-dev redis-server)
# Accounts (issue 18): Argon2id password hashes with the RFC 9106 reference library (Sources/CArgon2).
PKGS+=(libargon2-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=; [[ $EUID == 0 ]] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
