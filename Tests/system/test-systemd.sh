#!/usr/bin/env bash
# test-systemd.sh — chatd under a real systemd and a real journald, end to end.
#
#   bash Tests/system/test-systemd.sh [--show-status] CHATD_BINARY|BIN_DIR   (as root, no terminal needed)
#
# Builds nothing: CHATD_BINARY is the chatd executable to test (e.g. .build/release/chatd), or
# the directory holding it (scripts/test.sh passes `swift build --show-bin-path`). A debug build
# works too: its Swift libraries in /opt/swift stay visible inside the sandbox.
# Boots a private systemd with Tests/system/sandbox.sh, installs packaging/chatd.{service,socket}
# unchanged plus drop-ins that only point ExecStart= at the bound binary (/srv/chatd/bin/chatd:
# not under /tmp, which PrivateTmp= would hide) and move the ports off 7575 so a chatd running
# on the host does not collide, and checks:
#   static:    systemd-analyze verify is silent; systemd-analyze security --offline ≤ 1.2
#   service:   start → active; StatusText counts clients as they connect; messages relay
#   metrics:   the packaged config's metrics:// listener (moved off 9775) answers /metrics with
#              the process metrics readable under the unit's /proc restrictions, also when
#              socket-activated (chatd binds it itself)
#   journal:   native entries with CHAT_* fields, CODE_FILE, SYSLOG_IDENTIFIER=chatd; PRIORITY= filters
#   reload:    a changed limit is logged after `systemctl reload`, same PID, clients stay connected
#   stop:      a connected client gets "*" / "server shutting down"; clean stop within the deadline
#   watchdog:  SIGSTOP of the main process → systemd restarts it (NRestarts increments; WatchdogSec=2s)
#   socket:    only chatd.socket started; the first connection starts chatd.service and is served
#              on the socket's port, and chatd does not bind its own "listen" address
#   deb:       packaging/deb/{postinst,prerm,postrm}: install enables and starts both units (the
#              service with the socket's fd), upgrade restarts chatd, remove stops, purge disables
# One line per check, "PASS name" or "FAIL name: why", then "N passed, N failed"; exit status
# non-zero on any failure. The sandbox and every client process it started are always torn down.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
SHOW_STATUS=0
[[ ${1:-} == --show-status ]] && { SHOW_STATUS=1; shift; }
(($# == 1)) || { echo "usage: $0 [--show-status] CHATD_BINARY|BIN_DIR" >&2; exit 64; }
BINARY=$1
[[ -d $BINARY ]] && BINARY=$BINARY/chatd
BINARY=$(realpath -e "$BINARY") || { echo "no such binary: $1" >&2; exit 64; }
[[ -x $BINARY ]] || { echo "not executable: $BINARY" >&2; exit 64; }
[[ $EUID == 0 ]] || { echo "test-systemd: must run as root (boots a private systemd)" >&2; exit 1; }

export CHATD_SANDBOX_NAME=systest.$$
export CHATD_SANDBOX_STATE=/run/chatd-sandbox.$CHATD_SANDBOX_NAME
SB=(bash "$here/sandbox.sh")
CLIENT=(python3 "$here/chatclient.py")
WORK=$(mktemp -d /tmp/chatd-systest.XXXXXX)
CLIENT_PIDS=()
passed=0 failed=0
TAB=$'\t'   # chatclient.py writes "SENDER<TAB>TEXT" lines
T0=$(date +%s%3N)

teardown() {
  local pid
  for pid in "${CLIENT_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  "${SB[@]}" down >/dev/null 2>&1
  for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK" "$CHATD_SANDBOX_STATE"
}
trap teardown EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds or the time is up.
wait_until() {
  local deadline=$(( $(date +%s%3N) + $1 * 1000 )); shift
  until "$@"; do (( $(date +%s%3N) < deadline )) || return 1; sleep 0.1; done
}
in_sb() { "${SB[@]}" run "$@"; }
prop() { in_sb systemctl show -p "$2" --value "$1" 2>/dev/null; }
is_state() { [[ $(prop "$1" ActiveState) == "$2" ]]; }
free_port() {
  python3 - "$@" <<'PY'
import random, socket, sys
avoid = set(int(a) for a in sys.argv[1:])
for _ in range(200):
    port = random.randint(20000, 29999)
    if port in avoid:
        continue
    try:
        for family, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            s.close()
    except OSError:
        continue
    print(port)
    break
PY
}
hold() {   # hold PORT NAME → starts a held client; its output file is $WORK/NAME.out
  "${CLIENT[@]}" hold 127.0.0.1 "$1" "$2" "$WORK/$2.out" </dev/null >/dev/null 2>&1 &
  CLIENT_PIDS+=($!)
}
has_line() { grep -qxF -- "$2" "$WORK/$1.out" 2>/dev/null; }
# relayed PORT SENDER TEXT RECEIVER...: SENDER logs in and sends TEXT until every RECEIVER got it
# (at most 5 s). Repeating covers the race between a receiver's login and the message: the
# server only relays to clients whose username frame it has already processed.
relayed() {
  local port=$1 sender=$2 text=$3 r deadline=$(( $(date +%s%3N) + 5000 )); shift 3
  while (( $(date +%s%3N) < deadline )); do
    "${CLIENT[@]}" send 127.0.0.1 "$port" "$sender" "$text" >/dev/null 2>&1
    for r in "$@"; do has_line "$r" "$sender${TAB}$text" || continue 2; done
    return 0
  done
  return 1
}
status_has() { [[ $(prop chatd.service StatusText) == *"$1"* ]]; }
journal() { in_sb journalctl --no-pager -q "$@" 2>/dev/null; }

# --- static checks (host, no sandbox) -------------------------------------------------------
mkdir -p "$WORK/verify"
sed "s|^ExecStart=/usr/bin/chatd|ExecStart=$BINARY|" "$repo/packaging/chatd.service" > "$WORK/verify/chatd.service"
cp "$repo/packaging/chatd.socket" "$WORK/verify/chatd.socket"
verify_err=$("${SB[@]}" analyze verify "$WORK/verify/chatd.socket" "$WORK/verify/chatd.service" 2>&1 >/dev/null)
if [[ -z $verify_err ]]; then pass "systemd-analyze verify chatd.service chatd.socket"
else fail "systemd-analyze verify chatd.service chatd.socket" "$(echo "$verify_err" | tr '\n' ' ')"; fi
score=$("${SB[@]}" analyze security --offline=true "$repo/packaging/chatd.service" 2>/dev/null \
        | sed -n 's/.*Overall exposure level for chatd.service: \([0-9.]*\).*/\1/p')
if [[ -n $score ]] && awk -v s="$score" 'BEGIN{exit !(s <= 1.2)}'; then pass "systemd-analyze security exposure $score <= 1.2"
else fail "systemd-analyze security exposure <= 1.2" "got '${score:-nothing}'"; fi

# --- sandbox with chatd's units ---------------------------------------------------------------
PORT=$(free_port)
SOCKPORT=$(free_port "$PORT")
METRICSPORT=$(free_port "$PORT" "$SOCKPORT")
[[ -n $PORT && -n $SOCKPORT && -n $METRICSPORT ]] || { fail "pick free ports"; exit 1; }
mkdir -p "$WORK/units/chatd.service.d" "$WORK/units/chatd.socket.d" "$WORK/etc"
cp "$repo/packaging/chatd.service" "$repo/packaging/chatd.socket" "$WORK/units/"
printf '[Service]\nExecStart=\nExecStart=/srv/chatd/bin/chatd --config /etc/chatd/chatd.json\n' \
  > "$WORK/units/chatd.service.d/10-test-binary.conf"
printf '[Socket]\nListenStream=\nListenStream=%s\n' "$SOCKPORT" > "$WORK/units/chatd.socket.d/10-test-port.conf"
set_config() {   # set_config KEY JSON_VALUE: edit the config file the daemon reads
  python3 - "$WORK/etc/chatd.json" "$1" "$2" <<'PY'
import json, sys
path, key, value = sys.argv[1:]
with open(path) as f:
    config = json.load(f)
config[key] = json.loads(value)
with open(path + ".new", "w") as f:
    json.dump(config, f, indent=2)
import os
os.chmod(path + ".new", 0o644)
os.replace(path + ".new", path)
PY
}
cp "$repo/packaging/chatd.json" "$WORK/etc/chatd.json"
# The packaged config's metrics listener, moved off 9775 like the chat port.
set_config listen "[\"[::]:$PORT\", \"metrics://127.0.0.1:$METRICSPORT\"]"
chmod 0755 "$WORK" "$WORK/etc"   # DynamicUser= runs chatd as an unprivileged transient user

if ! "${SB[@]}" up --units "$WORK/units" --bind "$BINARY:/srv/chatd/bin/chatd" --bind "$WORK/etc:/etc/chatd" \
     --bind "$repo/packaging/deb:/srv/chatd/deb" >/dev/null; then
  fail "boot systemd sandbox"
  echo "$passed passed, $failed failed"
  exit 1
fi
pass "boot systemd sandbox"

# --- standalone service -----------------------------------------------------------------------
in_sb systemctl start chatd.service >/dev/null 2>&1
check "systemctl start chatd → active" is_state chatd.service active
MAINPID=$(prop chatd.service MainPID)
check "StatusText before clients: 0 clients" wait_until 5 status_has "0 clients"

hold "$PORT" alice
hold "$PORT" bob
check "clients connect (IPv4 to the [::] listener)" wait_until 5 eval 'has_line alice CONNECTED && has_line bob CONNECTED'
check "StatusText follows: 2 clients" wait_until 6 status_has "2 clients"
check "message relayed to the other clients" relayed "$PORT" carol "hello from carol" alice bob
ctl() { in_sb /srv/chatd/bin/chatd ctl "$@" 2>&1; }
check "chatd ctl as root (/run/chatd/control): who lobby lists alice and bob" eval '[[ $(ctl who lobby) == *"  alice"*"  bob"* ]]'
check "chatd ctl as nobody: refused" eval \
  '! in_sb setpriv --reuid nobody --regid nogroup --clear-groups /srv/chatd/bin/chatd ctl status >/dev/null 2>&1'
if ((SHOW_STATUS)); then in_sb systemctl status --no-pager -n 5 chatd.service | sed 's/^/  | /' >&2; fi
# /metrics from the hardened unit: the process metrics read procfs under ProtectProc=invisible
# and ProcSubset=pid (docs/METRICS.md), so they must be there and non-zero.
metrics_served() {
  python3 - "$METRICSPORT" 2>/dev/null <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
values = dict(l.rsplit(" ", 1) for l in body.splitlines() if l and not l.startswith("#"))
need = ["process_resident_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"]
built = [v for k, v in values.items() if k.startswith("chatd_build_info{")]
sys.exit(0 if built == ["1"] and all(float(values.get(n, 0)) > 0 for n in need) else 1)
PY
}
check "metrics: /metrics served by the hardened unit, process metrics readable" wait_until 5 metrics_served

# --- journal ------------------------------------------------------------------------------------
chat_fields() { journal -u chatd.service -o verbose | grep -qE '^ +CHAT_(USER|ROOM|PEER)[A-Z_]*='; }
check "journal: native entries with CHAT_* fields" wait_until 5 chat_fields
verbose=$(journal -u chatd.service -o verbose)
check "journal: CODE_FILE / CODE_LINE / CODE_FUNC" grep -qE '^ +CODE_FILE=.*\.swift$' <<<"$verbose"
check "journal: SYSLOG_IDENTIFIER=chatd" grep -qE '^ +SYSLOG_IDENTIFIER=chatd$' <<<"$verbose"
# The start line names the build (a debug build here: "commit unknown"; the .deb's names one).
check "journal: start line names version and commit" grep -qE '^ +MESSAGE=chatd [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-z-]+\) started$' <<<"$verbose"
prio_filter() {
  local out; out=$(journal -u chatd.service PRIORITY=6 -o verbose)
  [[ -n $out ]] && ! grep -E '^ +PRIORITY=' <<<"$out" | grep -vqE '^ +PRIORITY=6$'
}
check "journal: PRIORITY=6 filter returns only info entries" prio_filter
check "journal: CHAT_USER=alice filter" eval '[[ -n $(journal -u chatd.service CHAT_USER=alice -o cat) ]]'

# --- reload -------------------------------------------------------------------------------------
before_reload=$(journal -u chatd.service -o verbose | grep -c 4321)
set_config max-message-bytes 4321
in_sb systemctl reload chatd.service >/dev/null 2>&1
reload_logged() { (( $(journal -u chatd.service -o verbose | grep -c 4321) > before_reload )); }
check "reload: new limit (max-message-bytes 4321) logged" wait_until 5 reload_logged
check "reload: same main PID, still active" eval '[[ $(prop chatd.service MainPID) == "$MAINPID" ]] && is_state chatd.service active'
check "reload: connected clients kept (still receive messages)" eval \
  'relayed "$PORT" dave "after reload" alice bob && ! has_line alice EOF && ! has_line bob EOF'

# --- stop with clients connected ----------------------------------------------------------------
t_stop=$(date +%s%3N)
in_sb systemctl stop chatd.service >/dev/null 2>&1
stop_ms=$(( $(date +%s%3N) - t_stop ))
check "stop: client receives '*' / 'server shutting down'" wait_until 3 has_line alice "*${TAB}server shutting down"
check "stop: client sees the connection closed" wait_until 3 has_line alice EOF
check "stop: unit inactive, result success, in ${stop_ms} ms (< 10 s)" eval \
  '[[ $(prop chatd.service ActiveState) == inactive && $(prop chatd.service Result) == success ]] && ((stop_ms < 10000))'

# --- watchdog -------------------------------------------------------------------------------------
in_sb sh -c 'mkdir -p /etc/systemd/system/chatd.service.d &&
  printf "[Service]\nWatchdogSec=2s\nTimeoutAbortSec=2s\nRestartSec=100ms\n" > /etc/systemd/system/chatd.service.d/20-test-watchdog.conf &&
  systemctl daemon-reload && systemctl start chatd.service' >/dev/null 2>&1
wd_pid=$(prop chatd.service MainPID)
wd_restarts=$(prop chatd.service NRestarts)
if [[ $(prop chatd.service ActiveState) == active && $wd_pid != 0 ]]; then
  sleep 2.5   # a healthy daemon keeps pinging: no restart while it runs normally
  if [[ $(prop chatd.service MainPID) == "$wd_pid" ]]; then pass "watchdog: healthy daemon keeps pinging (no restart in 2.5 s)"
  else fail "watchdog: healthy daemon keeps pinging" "restarted without a fault"; fi
  in_sb kill -STOP "$wd_pid"
  restarted() { (( $(prop chatd.service NRestarts) > wd_restarts )) && is_state chatd.service active && [[ $(prop chatd.service MainPID) != "$wd_pid" ]]; }
  check "watchdog: SIGSTOPped chatd is restarted (NRestarts $wd_restarts → more)" wait_until 10 restarted
  check "watchdog: systemd logged the watchdog timeout" eval 'journal -u chatd.service | grep -qi "watchdog timeout"'
else
  fail "watchdog: chatd with WatchdogSec=2s did not start"
fi
in_sb sh -c 'rm -f /etc/systemd/system/chatd.service.d/20-test-watchdog.conf && systemctl daemon-reload && systemctl stop chatd.service' >/dev/null 2>&1

# --- socket activation --------------------------------------------------------------------------
in_sb systemctl start chatd.socket >/dev/null 2>&1
check "socket: chatd.socket listening, chatd.service inactive" eval 'is_state chatd.socket active && is_state chatd.service inactive'
hold "$SOCKPORT" erin
check "socket: first connection starts chatd.service" wait_until 5 is_state chatd.service active
hold "$SOCKPORT" frank
check "socket: clients on the socket's port are served" relayed "$SOCKPORT" gina "hello via socket" erin frank
not_listening_own() { ! ss -Htln "sport = :$PORT" | grep -q .; }
check "socket: chatd uses the passed socket, not its own listen address" not_listening_own
check "socket: chatd binds its metrics:// listener itself (the socket unit has none)" wait_until 5 metrics_served
in_sb systemctl stop chatd.socket chatd.service >/dev/null 2>&1

# --- Debian maintainer scripts ------------------------------------------------------------------
# The .deb itself cannot be installed here (/usr is the host's), but its postinst/prerm/postrm
# run against the sandbox's systemd: /etc and /var (deb-systemd-helper's state) are overlays.
# They get dpkg's environment (deb-systemd-helper refuses to run without it), and a host
# /usr/sbin/policy-rc.d (container images ship one that forbids starting services: exit 101) is
# hidden inside the sandbox's mount namespace only, as on a normal Debian system.
# The scripts are bound at /srv/chatd/deb: the checkout may live under /tmp, which is a fresh
# tmpfs inside the sandbox.
DEB=/srv/chatd/deb
maint() {   # maint SCRIPT ARG...: run a maintainer script as dpkg would
  local script=$1; shift
  in_sb env DPKG_MAINTSCRIPT_PACKAGE=chatd DPKG_MAINTSCRIPT_NAME="$script" DPKG_MAINTSCRIPT_ARCH=amd64 \
    sh "$DEB/$script" "$@" >>"$WORK/maint.log" 2>&1
}
enabled() { [[ $(in_sb systemctl is-enabled "$1" 2>/dev/null) == "$2" ]]; }
in_sb sh -c '[ ! -e /usr/sbin/policy-rc.d ] || mount --bind /bin/true /usr/sbin/policy-rc.d' >/dev/null 2>&1
# The tests above started chatd.service often enough to reach StartLimitBurst= (5 in 10 s).
in_sb systemctl reset-failed chatd.service chatd.socket >/dev/null 2>&1
maint postinst configure
check "deb postinst configure: chatd.service and chatd.socket enabled and active" eval \
  'enabled chatd.service enabled && enabled chatd.socket enabled && wait_until 5 is_state chatd.service active && is_state chatd.socket active'
hold "$SOCKPORT" hank
check "deb postinst configure: service started with the socket's fd serves clients" wait_until 5 has_line hank CONNECTED
old_pid=$(prop chatd.service MainPID)
maint postinst configure 0.1.0-1   # as on an upgrade from 0.1.0-1
upgraded() { is_state chatd.service active && [[ $(prop chatd.service MainPID) != "$old_pid" ]] && is_state chatd.socket active; }
check "deb postinst upgrade: chatd restarted, socket kept listening" wait_until 5 upgraded
maint prerm remove
check "deb prerm remove: both units stopped" eval 'is_state chatd.service inactive && is_state chatd.socket inactive'
maint postrm remove
maint postrm purge
check "deb postrm purge: enablement removed" eval '! enabled chatd.service enabled && ! enabled chatd.socket enabled'

echo "# systemd system test took $(( $(date +%s%3N) - T0 )) ms"
echo "$passed passed, $failed failed"
((failed == 0))
