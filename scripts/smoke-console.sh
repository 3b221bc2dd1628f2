#!/usr/bin/env bash
# Smoke test of the console as a browser sees it: starts `tessera serve` (headless build)
# with a fresh data dir on a free port, loads /console/ in headless Chromium and checks
# that the rendered sign-in landing page says "Server is up" with the right port and offers
# "Sign in to the console" (nobody is signed in; the console needs a super-admin). Screenshot:
# target/smoke/console.png.
#
#   scripts/smoke-console.sh [BINARY]     default target/debug/tessera
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib-smoke.sh

binary=${1:-target/debug/tessera}
[[ -x $binary ]] || { echo "no binary at $binary (cargo build first)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "missing chromium: run scripts/setup.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/tessera-smoke-console.XXXXXX)
port=$(free_port)
mkdir -p target/smoke
"$binary" serve --data-dir "$work/data" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 </dev/null &
server=$!
cleanup() { stop_process "$server" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

fail() {
    echo "console smoke test FAILED: $*" >&2
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$work/server.log" >&2 || true
    exit 1
}

wait_for_health "$port" "$server" 120 || fail "server never answered on port $port"
url="http://127.0.0.1:$port/console/"
browser=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/chromium"
    --window-size=1100,760 --virtual-time-budget=10000)
dom=$(timeout 120 "${browser[@]}" --dump-dom "$url" 2>/dev/null) || fail "chromium could not load $url"
timeout 120 "${browser[@]}" --screenshot="$PWD/target/smoke/console.png" "$url" >/dev/null 2>&1 || true

grep -q "Server is up" <<<"$dom" || fail "$url does not show 'Server is up'"
grep -q ">$port<" <<<"$dom" || fail "$url does not show port $port"
grep -q "http://127.0.0.1:$port" <<<"$dom" || fail "$url does not show the issuer"
grep -q "Sign in to the console" <<<"$dom" || fail "$url does not show the sign-in landing page"
how=$(stop_process "$server") || fail "the server $how"
echo "server $how"
echo "console smoke test passed ($url rendered 'Server is up', port $port; target/smoke/console.png)"
