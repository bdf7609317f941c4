#!/usr/bin/env bash
# Metrics suite (issue 16) against the real chatd binary over loopback: /metrics parsed by the
# Prometheus Python client's own text parser (every metric of docs/METRICS.md present with its
# type, moving as scripted chat says it must), a real Prometheus server scraping chatd every
# second (up == 1, the delivery counter equal to the deliveries the test made, the packaged
# alerting rules loaded, every Grafana dashboard query accepted), and promtool on the rules.
#   Tests/system/test-metrics.sh BIN_DIR
# Needs Debian's prometheus and python3-prometheus-client (scripts/setup.sh). Bounded: the
# whole suite is killed after METRICS_TIMEOUT seconds (default 120).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: test-metrics.sh BIN_DIR}
if [[ ! -x $bin/chatd ]]; then echo "FAIL metrics: no chatd in $bin"; exit 1; fi
for tool in prometheus promtool; do
  command -v "$tool" >/dev/null || { echo "FAIL metrics: $tool is not installed (scripts/setup.sh)"; exit 1; }
done
# Debian's python3 has Debian's prometheus_client (a pyenv python3 first in PATH may not).
exec timeout --kill-after=10 "${METRICS_TIMEOUT:-120}" /usr/bin/python3 "$here/metrics_check.py" "$bin"
