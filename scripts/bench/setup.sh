#!/usr/bin/env bash
# Installs what `make bench` compares chatd against, when missing: redis-server and ngircd
# (Debian's packages; run.sh starts its own instance of each on loopback only, with a generated
# configuration), python3 for the seed server, and node-ws + nodejs for the WebSocket peer
# (scripts/bench/ws-peer.js, a broadcast server on the `ws` library that run.sh starts).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[[ -x /usr/sbin/ngircd ]] || need+=(ngircd)
command -v node >/dev/null 2>&1 || need+=(nodejs)
[[ -f /usr/share/nodejs/ws/package.json ]] || need+=(node-ws)
# The plots of BENCHMARKS.md (scripts/bench/plots.py, run with /usr/bin/python3).
/usr/bin/python3 -c "import matplotlib" 2>/dev/null || need+=(python3-matplotlib)
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's packages may start a system redis on 6379 and a system ngircd on 6667; the benchmark
# runs its own on other ports and never touches those.
echo "bench setup: $(redis-server --version | cut -d' ' -f1-3), $(python3 --version), $(/usr/sbin/ngircd --version | head -1), node $(node --version), ws $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' /usr/share/nodejs/ws/package.json)"
