# Sourced by the client tests: a chatd of their own on a free loopback port.
# Needs CHATD, WORK, PIDS (the caller's cleanup kills what is in PIDS) and fail().

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# Starts chatd on $PORT and waits (bounded) until it accepts connections.
start_chatd() {
  "$CHATD" --listen "127.0.0.1:$PORT" --threads 1 --shutdown-timeout 1 >>"$WORK/chatd.log" 2>&1 &
  CHATD_PID=$!; PIDS+=("$CHATD_PID")
  local i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "chatd did not listen on $PORT"
}

# SIGTERM, up to 3 s for a graceful exit, then SIGKILL — only the PID start_chatd started.
stop_chatd() {
  kill "$CHATD_PID" 2>/dev/null || true
  local i
  for i in $(seq 60); do kill -0 "$CHATD_PID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$CHATD_PID" 2>/dev/null || true
  wait "$CHATD_PID" 2>/dev/null || true
}
