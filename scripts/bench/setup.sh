#!/usr/bin/env bash
# Installs what `make bench` compares chatd against, when missing: redis-server (Debian's
# package; started by run.sh on loopback only) and python3 for the seed server.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package starts a system redis on 6379; the benchmark runs its own on another port
# and never touches that one.
echo "bench setup: $(redis-server --version | cut -d' ' -f1-3), $(python3 --version)"
