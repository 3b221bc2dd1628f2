#!/usr/bin/env bash
# Benchmark: client_credentials tokens/s of the release headless build on loopback, compared
# with this machine's own RSA-2048 signing limit (`openssl speed rsa2048`, all cores).
# Every token is one RS256 signature, so the ratio says how close the server gets to the limit.
# Also the CPU per token: the server's CPU time (/proc/PID/stat) over the load divided by the
# tokens it issued (its /metrics counter), against the time of one signature (`openssl speed
# rsa2048`, one thread) in the same run: the share of the server's work that is the signature.
#
# Usage: bench/token.sh            (env: DURATION=10s CONNECTIONS=16 SPEED_SECONDS=10;
#                                  TESSERA_BIN=path: measure that binary, no build)
set -euo pipefail

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
SPEED_SECONDS="${SPEED_SECONDS:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/tessera-bench.XXXXXX)"
source "$ROOT/bench/lib.sh"

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk; then
    echo "== installing wrk (apt)"
    apt-get install -y wrk >/dev/null
fi
for tool in curl python3 openssl; do
    need "$tool" || { echo "missing $tool" >&2; exit 1; }
done

if [[ -n "${TESSERA_BIN:-}" ]]; then
    BIN="$TESSERA_BIN"
else
    echo "== building release headless binary"
    (cd "$ROOT" && cargo build --release --no-default-features --quiet)
    BIN="$ROOT/target/release/tessera"
fi

echo "== starting tessera serve on a free loopback port"
mkdir -p "$WORK/data"
start_server
echo "   $BASE"


ADMIN_JSON="$("$BIN" admin-client create --name bench --data-dir "$WORK/data")"
ADMIN_ID="$(json '["client_id"]' <<<"$ADMIN_JSON")"
ADMIN_SECRET="$(json '["client_secret"]' <<<"$ADMIN_JSON")"
ADMIN_TOKEN="$(curl -sf -u "$ADMIN_ID:$ADMIN_SECRET" \
    -d grant_type=client_credentials -d scope=admin "$BASE/oauth/token" | json '["access_token"]')"
PRODUCT="$(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Bench","redirect_uris":["https://bench.example/cb"],"post_logout_redirect_uris":[],"scopes":["orders:read"],"server_client":true}' \
    "$BASE/v1/products")"
CLIENT_ID="$(json '["server_client"]["client_id"]' <<<"$PRODUCT")"
CLIENT_SECRET="$(json '["server_client"]["client_secret"]' <<<"$PRODUCT")"
BASIC="$(python3 -c 'import base64,sys,urllib.parse as u; print(base64.b64encode((u.quote(sys.argv[1],safe="")+":"+u.quote(sys.argv[2],safe="")).encode()).decode())' "$CLIENT_ID" "$CLIENT_SECRET")"

# One request by hand first: the benchmark is meaningless if it only measures errors.
STATUS="$(curl -s -o "$WORK/one.json" -w '%{http_code}' -H "Authorization: Basic $BASIC" \
    -d grant_type=client_credentials "$BASE/oauth/token")"
if [[ "$STATUS" != 200 ]]; then
    echo "token request failed ($STATUS): $(cat "$WORK/one.json")" >&2
    exit 1
fi

cat >"$WORK/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA

THREADS="$(nproc)"
(( THREADS > CONNECTIONS )) && THREADS="$CONNECTIONS"
ISSUED='tessera_tokens_issued_total'
GRANT='grant_type="client_credentials"'
TICKS_BEFORE="$(cpu_ticks "$SERVER_PID")"
ISSUED_BEFORE="$(metric "$ISSUED" "$GRANT")"
echo "== wrk: $CONNECTIONS connections, $THREADS threads, $DURATION"
timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -s "$WORK/token.lua" "$BASE/oauth/token" | tee "$WORK/wrk.txt"
TICKS_AFTER="$(cpu_ticks "$SERVER_PID")"
ISSUED_AFTER="$(metric "$ISSUED" "$GRANT")"
TOKENS="$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")"
NON2XX="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$WORK/wrk.txt")"
P50="$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")"
P99="$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")"

# Stop the server before measuring the CPU's own limit so the two do not compete.
stop_server

echo "== openssl speed -seconds $SPEED_SECONDS -multi $(nproc) rsa2048"
timeout 300 openssl speed -seconds "$SPEED_SECONDS" -multi "$(nproc)" rsa2048 \
    >"$WORK/speed.txt" 2>&1
SIGNS="$(awk '/^rsa +2048 bits/ { for (i = 4; i <= NF; i++) if ($i !~ /s$/) { print $i; exit } }' "$WORK/speed.txt")"
if [[ -z "$SIGNS" ]]; then
    cat "$WORK/speed.txt" >&2
    echo "could not parse openssl speed output" >&2
    exit 1
fi

echo "== openssl speed -seconds 3 rsa2048 (one thread)"
timeout 120 openssl speed -seconds 3 rsa2048 >"$WORK/speed1.txt" 2>&1
SIGNS_ONE="$(awk '/^rsa +2048 bits/ { for (i = 4; i <= NF; i++) if ($i !~ /s$/) { print $i; exit } }' "$WORK/speed1.txt")"
read -r CPU_US SIGN_US CPU_RATIO < <(python3 -c '
import sys
ticks, before, after, hz, signs = (float(a) for a in sys.argv[1:])
if after <= before:
    sys.exit("no tokens were issued during the load")
cpu_us = ticks / hz / (after - before) * 1e6
sign_us = 1e6 / signs
print(f"{cpu_us:.0f} {sign_us:.0f} {100 * sign_us / cpu_us:.0f}")
' "$((TICKS_AFTER - TICKS_BEFORE))" "$ISSUED_BEFORE" "$ISSUED_AFTER" "$(getconf CLK_TCK)" "$SIGNS_ONE")
[[ -n "${CPU_RATIO:-}" ]] || { echo "could not work out the CPU per token" >&2; exit 1; }

RATIO="$(python3 -c 'import sys; print(f"{100 * float(sys.argv[1]) / float(sys.argv[2]):.1f}")' "$TOKENS" "$SIGNS")"
echo
echo "| measure (loopback, $(nproc) cores)             | value |"
echo "|---|---|"
printf '| client_credentials tokens/s (wrk -c%s, %s) | %s |\n' "$CONNECTIONS" "$DURATION" "$TOKENS"
printf '| latency p50 / p99                            | %s / %s |\n' "${P50:-?}" "${P99:-?}"
printf '| non-2xx responses                            | %s |\n' "${NON2XX:-0}"
printf '| openssl rsa2048 sign/s (all cores)           | %s |\n' "$SIGNS"
printf '| tokens/s as %% of openssl sign/s              | %s %% |\n' "$RATIO"
printf '| server CPU per token / one RS256 sign        | %s µs / %s µs |\n' "$CPU_US" "$SIGN_US"
echo
echo "CPU per token $CPU_US µs, RS256 sign $SIGN_US µs, ratio Y/X = $CPU_RATIO%"
if [[ -n "$NON2XX" && "$NON2XX" != 0 ]]; then
    echo "warning: $NON2XX responses were not 2xx; tokens/s overstates real issuance" >&2
    exit 2
fi
