# Helpers shared by the smoke tests (sourced, not run).

# A TCP port that is free on 127.0.0.1 right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Body of GET http://127.0.0.1:PORT/health, or fails.
health() {
    curl -fsS --max-time 2 "http://127.0.0.1:$1/health"
}

# wait_for_health PORT PID SECONDS: until /health answers, the process dies, or time is up.
wait_for_health() {
    local port=$1 pid=$2 deadline=$((SECONDS + $3))
    while ((SECONDS < deadline)); do
        if health "$port" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "the process exited before /health answered" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "/health did not answer within $3 s" >&2
    return 1
}

# stop_process PID: SIGTERM, then SIGKILL after 15 s. Prints how it ended.
stop_process() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; echo "stopped cleanly"; return 0; }
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "did not stop on SIGTERM within 15 s: killed"
    return 1
}
