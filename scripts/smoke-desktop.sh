#!/usr/bin/env bash
# Smoke test of the desktop app: starts the built binary under a virtual X server with a
# fresh data dir (temporary HOME/XDG dirs) and a free port (settings.json), waits for the
# server's /health, screenshots the screen until the console shows "Server is up" (its
# green badge), then stops the app with SIGTERM. Screenshot: target/smoke/desktop.png.
#
#   scripts/smoke-desktop.sh [BINARY]     default target/debug/tessera (a desktop build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib-smoke.sh

binary=${1:-target/debug/tessera}
[[ -x $binary ]] || { echo "no binary at $binary (cargo build first)" >&2; exit 1; }
for tool in xvfb-run import convert curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
done

# Inside the virtual display: this same script with --inside.
if [[ ${2:-} != --inside ]]; then
    work=$(mktemp -d /tmp/tessera-smoke-desktop.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    mkdir -p target/smoke
    port=$(free_port)
    mkdir -p "$work/home" "$work/data/tessera" "$work/config" "$work/cache"
    printf '{"listen": "127.0.0.1:%s"}\n' "$port" >"$work/data/tessera/settings.json"
    echo "fresh data dir $work/data/tessera, port $port"
    env HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
        XDG_CACHE_HOME="$work/cache" SMOKE_PORT="$port" SMOKE_WORK="$work" \
        xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" \
        "$0" "$binary" --inside </dev/null
    exit
fi

port=$SMOKE_PORT
shot=target/smoke/desktop.png
log=$SMOKE_WORK/app.log
"$binary" >"$log" 2>&1 &
app=$!
cleanup() { stop_process "$app" >/dev/null 2>&1 || true; }
trap cleanup EXIT

fail() {
    echo "desktop smoke test FAILED: $*" >&2
    echo "--- app log (last 40 lines) ---" >&2
    tail -n 40 "$log" >&2 || true
    exit 1
}

wait_for_health "$port" "$app" 120 || fail "server never answered on port $port"
echo "health: $(health "$port")"

# The badge of "Server is up": its light-theme background, or its dark-theme blend.
badge_share() {
    convert "$1" -alpha off -fuzz 4% -fill black +opaque '#dcfce7' -fill white -opaque '#dcfce7' \
        -format '%[fx:mean]' info: 2>/dev/null || echo 0
}
badge_share_dark() {
    convert "$1" -alpha off -fuzz 4% -fill black +opaque '#1c3832' -fill white -opaque '#1c3832' \
        -format '%[fx:mean]' info: 2>/dev/null || echo 0
}
# A window that draws nothing leaves the root almost uniform.
spread() { convert "$1" -colorspace Gray -format '%[fx:standard_deviation]' info:; }

deadline=$((SECONDS + 90))
found=false
while ((SECONDS < deadline)); do
    kill -0 "$app" 2>/dev/null || fail "the app exited"
    import -window root "$shot"
    share=$(badge_share "$shot")
    dark=$(badge_share_dark "$shot")
    if python3 -c "import sys; sys.exit(0 if max($share, $dark) > 0.0005 else 1)"; then
        found=true
        break
    fi
    sleep 2
done
sd=$(spread "$shot")
echo "screenshot $shot: stddev $sd, 'up' badge share light=$share dark=$dark"
python3 -c "import sys; sys.exit(0 if $sd > 0.02 else 1)" || fail "the screen is blank"
$found || fail "the console never showed 'Server is up' (see $shot)"

trap - EXIT
how=$(stop_process "$app") || fail "the app $how"
echo "app $how"
grep -qi "panicked" "$log" && fail "the app panicked"
echo "desktop smoke test passed"
