#!/usr/bin/env bash
# Three chatd nodes and one redis-server on loopback (--cluster): cross-node chat (framed and
# IRC), one order per room under concurrent senders on every node, history replay from the
# room's stream, subscriber kills recovered from the stream, Redis restart (refused sends
# told, nothing accepted lost), nickname leases, private messages, chatd-client failing over
# to another node when its node is killed, cluster-wide presence (/who, NAMES, WHO, /rooms, a
# killed node's members gone within the lease), hostile payloads on a channel, joins while Redis
# is down. See Tests/system/cluster_check.py. Bounded to 150 s.
#   Tests/system/test-cluster.sh BIN_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: test-cluster.sh BIN_DIR}
if [[ ! -x $bin/chatd ]]; then echo "FAIL cluster: no chatd in $bin"; exit 1; fi
for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "FAIL cluster: $tool is not installed (make setup)"; exit 1; }
done
exec timeout --kill-after=10 150 /usr/bin/python3 "$here/cluster_check.py" "$bin/chatd"
