# Sourced by the bench scripts: one release `tessera serve` on a free loopback port over
# "$WORK/data", started without the caller's TESSERA_* settings. The caller sets WORK and
# BIN; start_server sets SERVER_PID and BASE (http://127.0.0.1:PORT).

SERVER_PID=""
BASE=""

# start_server [extra serve flags...]
start_server() {
    : >"$WORK/stdout"
    env -u TESSERA_ISSUER -u TESSERA_LISTEN -u TESSERA_DATA_DIR -u TESSERA_DATABASE_URL \
        -u TESSERA_TRUSTED_PROXIES -u TESSERA_HASH_CONCURRENCY -u TESSERA_INSECURE_HTTP \
        TESSERA_LOG_FORMAT=json RUST_LOG=warn \
        "$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" "$@" \
        >"$WORK/stdout" 2>>"$WORK/stderr" &
    SERVER_PID=$!
    BASE=""
    for _ in $(seq 1 300); do
        BASE="$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/stdout" | head -n1)"
        [[ -n "$BASE" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start; stderr:" >&2
    cat "$WORK/stderr" >&2
    exit 1
}

# SIGTERM, up to 15 s for a clean stop, then SIGKILL.
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks (fields 14
# and 15 of /proc/PID/stat, counted after the ")" that ends the command name).
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# metric NAME LABELS: the value of the sample NAME{LABELS} on $BASE/metrics (0 if absent).
metric() {
    curl -sf "$BASE/metrics" | awk -v want="$1{$2}" '$1 == want { print $2; found = 1 } END { if (!found) print 0 }'
}

# json EXPR: reads JSON on stdin and prints the Python subscript EXPR of it.
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
