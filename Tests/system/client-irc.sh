#!/usr/bin/env bash
# End-to-end: real IRC clients chat with a tutorial-protocol client through chatd (issues 11, 12).
#
#   Tests/system/client-irc.sh CHATD      (or: BIN_DIR, or $CHATD_BIN)
#
# irssi runs under a private tmux server and ii (suckless) in the background; both join
# #lobby: irssi over chatd's ircs:// listener (TLS, the certificate verified against a CA this
# test makes with `openssl req`, so a listener that is not TLS or serves another certificate
# fails the connect), ii (which has no TLS) over irc://. A framed client (irc_framed_peer.py) says a line and a
# /me: irssi's pane must show both (the /me as an action), ii's channel log too. Then irssi
# and ii each say a line, which the framed client must receive as the tutorial's two-frame
# messages. Every wait is bounded; only processes started here are stopped.
# CAPTURE=FILE saves irssi's final screen.
set -euo pipefail

if [[ $# -ge 1 && -d $1 ]]; then CHATD=$1/chatd; else CHATD=${1:-${CHATD_BIN:?usage: $0 CHATD}}; fi
[[ -x $CHATD ]] || { echo "not executable: $CHATD" >&2; exit 2; }
for tool in tmux irssi ii python3 openssl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/setup.sh installs it)" >&2; exit 2; }
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/chatd-client-irc.XXXXXX)
SOCK="chatd-irc-test-$$"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
PIDS=()
cleanup() {
  local p
  T kill-server 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 || ${FAILED:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
screen() { T capture-pane -p -t irc 2>/dev/null || true; }
fail() { FAILED=1; echo "FAIL: $*" >&2; echo "--- irssi screen"; screen; echo "--- chatd log"; tail -20 "$WORK/chatd.log"; exit 1; }
pass() { echo "ok - $*"; }
wait_screen() {
  local deadline=$((SECONDS + ${2:-10}))
  until screen | grep -qF -- "$1"; do
    ((SECONDS < deadline)) || fail "timed out waiting for '$1' on irssi's screen"
    sleep 0.1
  done
}
wait_file() { # FILE FIXED-STRING [SECONDS]
  local deadline=$((SECONDS + ${3:-10}))
  until grep -qF -- "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "timed out waiting for '$2' in $1"
    sleep 0.1
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A CA and a server certificate it signed for localhost (irssi matches the name it dialled
# against the DNS names of subjectAltName only, so irssi dials localhost, not 127.0.0.1).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=chatd test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>>"$WORK/openssl.log" || fail "openssl: CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>>"$WORK/openssl.log" || fail "openssl: CSR"
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$WORK/san.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
  -extfile "$WORK/san.ext" -out "$WORK/server.pem" 2>>"$WORK/openssl.log" || fail "openssl: signing"

PORT=$(free_port) IRCPORT=$(free_port) IRCSPORT=$(free_port)
"$CHATD" --listen "127.0.0.1:$PORT" --listen "irc://127.0.0.1:$IRCPORT" --listen "ircs://127.0.0.1:$IRCSPORT" \
  --tls-cert "$WORK/server.pem" --tls-key "$WORK/server.key" --server-name irc.test \
  --threads 2 --history 0 --shutdown-timeout 1 >>"$WORK/chatd.log" 2>&1 &
PIDS+=($!)
for p in "$IRCPORT" "$IRCSPORT"; do
  for i in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done

# The framed participant runs for the whole exchange and reports what it received.
python3 "$HERE/irc_framed_peer.py" "$PORT" alice irssiuser,iiuser 40 >"$WORK/framed.out" 2>"$WORK/framed.err" &
FRAMED=$!; PIDS+=($FRAMED)

mkdir -p "$WORK/irssi"
T new-session -d -s irc -x 120 -y 30 \
  "env TERM=xterm-256color irssi --home='$WORK/irssi' -n irssiuser; sleep 30"
wait_screen "Irssi v"
# irssi(1) /CONNECT: -tls_verify checks the chain against -tls_cafile and the name localhost.
T send-keys -t irc "/connect -4 -tls -tls_verify -tls_cafile $WORK/ca.pem localhost $IRCSPORT" Enter
wait_screen "Welcome to the chatd Network"
pass "irssi registered over ircs:// (certificate verified)"
T send-keys -t irc "/join #lobby" Enter
wait_screen "#lobby"

ii -s 127.0.0.1 -p "$IRCPORT" -n iiuser -i "$WORK/ii" >>"$WORK/ii.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do [[ -p $WORK/ii/127.0.0.1/in ]] && break; sleep 0.1; done
[[ -p $WORK/ii/127.0.0.1/in ]] || fail "ii did not connect"
echo "/j #lobby" >"$WORK/ii/127.0.0.1/in"
for i in $(seq 100); do [[ -p "$WORK/ii/127.0.0.1/#lobby/in" ]] && break; sleep 0.1; done
[[ -p "$WORK/ii/127.0.0.1/#lobby/in" ]] || fail "ii did not join #lobby"
pass "ii joined #lobby"

wait_screen "hello from framed" 20
wait_screen "alice waves from framed"
pass "irssi shows the framed user's message and /me"
wait_file "$WORK/ii/127.0.0.1/#lobby/out" "<alice> hello from framed"
wait_file "$WORK/ii/127.0.0.1/#lobby/out" "waves from framed"
pass "ii shows the framed user's message and /me"

T send-keys -t irc "hi from irssi" Enter
echo "hi from ii" >"$WORK/ii/127.0.0.1/#lobby/in"
wait "$FRAMED" || fail "framed client: $(cat "$WORK/framed.err")"
grep -qxF "irssiuser: hi from irssi" "$WORK/framed.out" || fail "framed client did not get irssi's line: $(cat "$WORK/framed.out")"
grep -qxF "iiuser: hi from ii" "$WORK/framed.out" || fail "framed client did not get ii's line: $(cat "$WORK/framed.out")"
pass "the framed client got both IRC users' lines as two-frame messages"
wait_screen "hi from ii"
pass "irssi shows ii's line"
if [[ -n ${CAPTURE:-} ]]; then screen >"$CAPTURE"; fi
T send-keys -t irc "/quit bye" Enter
echo "all IRC client checks passed"
