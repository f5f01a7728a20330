# Sourced by scripts/app-run.sh, app-e2e.sh and share-e2e.sh (and by with-test-services.sh for
# free_port), after scripts/app-build.sh has built coffer-server with the rest of the
# workspace: starts it on a free loopback port, exports its address as COFFER_SERVER_URL (the
# sign-in form's default), COFFER_SERVER_BIN, COFFER_SERVER_DATA and COFFER_LOCAL_SERVER_PID.
# The caller stops it with stop_local_server (e.g. from an EXIT trap).
#   start_local_server DATA_DIR
start_local_server() {
  local data="$1"
  local bin="${CARGO_TARGET_DIR:?}/debug/coffer-server"
  if [ ! -x "$bin" ]; then
    echo "coffer: $bin is missing; build it with scripts/app-build.sh" >&2
    return 1
  fi
  # coffer-testkit's launcher reads the server's ready line (ARCHITECTURE.md) and prints
  # "URL PID"; the server keeps running after it exits.
  local started
  if ! started="$("${CARGO_TARGET_DIR:?}/debug/coffer-local-server" "$bin" "$data")"; then
    echo "coffer: the local server did not start; see $data/serve.log" >&2
    return 1
  fi
  local url="${started% *}"
  COFFER_LOCAL_SERVER_PID="${started##* }"
  export COFFER_LOCAL_SERVER_PID
  export COFFER_SERVER_URL="$url"
  # For support commands on it (`coffer-server admin ... --data DIR`), as the e2e suite runs.
  export COFFER_SERVER_BIN="$bin" COFFER_SERVER_DATA="$data"
  echo "coffer: local server at $COFFER_SERVER_URL (data in $data)" >&2
}

# A free loopback port, from the kernel.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_local_server() {
  if [ -n "${COFFER_LOCAL_SERVER_PID:-}" ]; then
    kill "$COFFER_LOCAL_SERVER_PID" 2>/dev/null || true
    # Not this shell's child (the launcher started it), so wait by polling, for at most 5 s.
    for _ in $(seq 1 50); do
      kill -0 "$COFFER_LOCAL_SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    COFFER_LOCAL_SERVER_PID=""
  fi
}
