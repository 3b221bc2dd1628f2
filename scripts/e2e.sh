#!/usr/bin/env bash
# End-to-end tests of the console in real headless Chromium (playwright-core driving
# Debian's /usr/bin/chromium): starts `tessera serve` (headless build, console embedded)
# with a fresh data dir on a free port (on PostgreSQL when TESSERA_TEST_DATABASE_URL names a
# cluster: scripts/test-postgres.sh scripts/e2e.sh), creates a super-admin with the CLI, then runs
# every tests/e2e/*.test.mjs (node's test runner) against http://127.0.0.1:PORT/console/.
# Screenshots and the server log land in target/e2e/.
#
#   scripts/e2e.sh [BINARY] [-- TEST FILES...]    default target/debug/tessera, all tests
#   SCREENSHOTS=docs/screenshots scripts/e2e.sh   also writes the README screenshots
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib-smoke.sh

binary=target/debug/tessera
if [[ $# -gt 0 && $1 != -- ]]; then binary=$1; shift; fi
[[ ${1:-} == -- ]] && shift
tests=("$@")
if ((${#tests[@]} == 0)); then tests=(tests/e2e/*.test.mjs); fi

[[ -x $binary ]] || { echo "no binary at $binary (cargo build --no-default-features first)" >&2; exit 1; }
# invitation.test.mjs runs the example product (examples/orders) for real: build it (a
# no-op when it is up to date).
export ORDERS_BINARY=$PWD/target/debug/tessera-example-orders
cargo build -q -p tessera-example-orders
command -v chromium >/dev/null || { echo "missing chromium: run scripts/setup.sh" >&2; exit 1; }
[[ -f tests/e2e/node_modules/playwright-core/package.json ]] ||
    { echo "missing tests/e2e/node_modules: run scripts/setup.sh" >&2; exit 1; }

out=$PWD/target/e2e
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d /tmp/tessera-e2e.XXXXXX)
port=$(free_port)
# Under scripts/test-postgres.sh: the server and the CLI on a new PostgreSQL database.
unset TESSERA_DATABASE_URL
if [[ -n ${TESSERA_TEST_DATABASE_URL:-} ]]; then
    psql "$TESSERA_TEST_DATABASE_URL/postgres" -qAtc "CREATE DATABASE e2e_$port"
    export TESSERA_DATABASE_URL=$TESSERA_TEST_DATABASE_URL/e2e_$port
    echo "e2e on PostgreSQL: $TESSERA_DATABASE_URL"
fi
"$binary" serve --data-dir "$work/data" --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 </dev/null &
server=$!
cleanup() { stop_process "$server" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

wait_for_health "$port" "$server" 120 || { tail -n 40 "$out/server.log" >&2; exit 1; }

admin_email=admin@e2e.example
admin_password=$(python3 -c 'import secrets; print("E2e-" + secrets.token_urlsafe(18))')
printf '%s\n' "$admin_password" |
    "$binary" superadmin create --data-dir "$work/data" --email "$admin_email" --password-stdin >/dev/null

export TESSERA_URL="http://127.0.0.1:$port"
export TESSERA_BINARY=$(realpath "$binary")
export TESSERA_DATA_DIR=$work/data
export E2E_ADMIN_EMAIL=$admin_email
export E2E_ADMIN_PASSWORD=$admin_password
export E2E_OUT=$out
[[ -z ${SCREENSHOTS:-} ]] || export SCREENSHOTS=$(realpath -m "$SCREENSHOTS")
status=0
node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}" || status=$?
if ((status != 0)); then
    echo "--- server log (last 30 lines) ---" >&2
    tail -n 30 "$out/server.log" >&2
fi
exit "$status"
