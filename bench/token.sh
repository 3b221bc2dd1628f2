#!/usr/bin/env bash
# Benchmark: client_credentials tokens/s of the release headless build on loopback, compared
# with this machine's own RSA-2048 signing limit (`openssl speed rsa2048`, all cores).
# Every token is one RS256 signature, so the ratio says how close the server gets to the limit.
# Also the CPU per token: the server's CPU time (/proc/PID/stat) over the load divided by the
# tokens it issued (its /metrics counter), against the time of one signature (`openssl speed
# rsa2048`, one thread) in the same run: the share of the server's work that is the signature.
#
# GRANT=token-exchange measures RFC 8693 token exchange instead: an agent of the product
# trades a user's access token (from /v1/auth/login) for one acting for the user; each is
# one RS256 verification, the subject token's revocation lookup, the user's row, one
# signature and the row and audit event written.
#
# DB=postgres runs the server on a throwaway PostgreSQL cluster (scripts/pg.sh) on this
# machine, and NODES=2 runs two servers on that database (the second with the first's
# master.key and issuer), each loaded by its own wrk with half the connections; the
# database's CPU per token is shown too (its processes share the cores with the servers).
#
# Usage: bench/token.sh            (env: DURATION=10s CONNECTIONS=16 SPEED_SECONDS=10;
#                                  TESSERA_BIN=path: measure that binary, no build;
#                                  DB=sqlite|postgres NODES=1|2
#                                  GRANT=client_credentials|token-exchange)
set -euo pipefail

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
SPEED_SECONDS="${SPEED_SECONDS:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/tessera-bench.XXXXXX)"
source "$ROOT/bench/lib.sh"

DB="${DB:-sqlite}"
GRANT_NAME="${GRANT:-client_credentials}"
case $GRANT_NAME in
    client_credentials) GRANT_TYPE=client_credentials ;;
    token-exchange) GRANT_TYPE=urn:ietf:params:oauth:grant-type:token-exchange ;;
    *) echo "GRANT=$GRANT_NAME: client_credentials or token-exchange" >&2; exit 2 ;;
esac
NODES="${NODES:-1}"
DB_FLAGS=()
NODE2_PID=""
cleanup() {
    stop_server
    [[ -n "$NODE2_PID" ]] && kill "$NODE2_PID" 2>/dev/null
    [[ $DB == postgres ]] && "$ROOT/scripts/pg.sh" stop "$WORK/pg"
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

if [[ $DB == postgres ]]; then
    chmod 755 "$WORK"
    eval "$("$ROOT/scripts/pg.sh" start "$WORK/pg")"
    psql "$TESSERA_TEST_DATABASE_URL/postgres" -qAtc "CREATE DATABASE bench"
    DB_FLAGS=(--database-url "$TESSERA_TEST_DATABASE_URL/bench")
elif [[ $NODES != 1 ]]; then
    echo "NODES=$NODES needs DB=postgres" >&2
    exit 2
fi

echo "== starting tessera serve on a free loopback port ($DB)"
mkdir -p "$WORK/data"
start_server "${DB_FLAGS[@]}"
echo "   $BASE"
BASES=("$BASE")
PIDS=("$SERVER_PID")
if [[ $NODES == 2 ]]; then
    # The second node: its own data dir with the first's key, the first's issuer.
    NODE1_PID=$SERVER_PID NODE1_BASE=$BASE MAIN_WORK=$WORK
    WORK=$MAIN_WORK/node2
    mkdir -p "$WORK/data"
    cp "$MAIN_WORK/data/master.key" "$WORK/data/"
    start_server "${DB_FLAGS[@]}" --issuer "$NODE1_BASE"
    NODE2_PID=$SERVER_PID
    BASES+=("$BASE")
    PIDS+=("$SERVER_PID")
    echo "   $BASE (second node)"
    WORK=$MAIN_WORK SERVER_PID=$NODE1_PID BASE=$NODE1_BASE
fi


ADMIN_JSON="$("$BIN" admin-client create --name bench --data-dir "$WORK/data" "${DB_FLAGS[@]}")"
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

FORM="grant_type=client_credentials"
if [[ $GRANT_NAME == token-exchange ]]; then
    # A user signs in to the product's web client through the auth API; the product's
    # agent exchanges that user's access token.
    PRODUCT_ID="$(json '["id"]' <<<"$PRODUCT")"
    WEB_ID="$(json '["web_client"]["client_id"]' <<<"$PRODUCT")"
    PASSWORD="Bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
    curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"email\":\"ann@bench.example\",\"password\":\"$PASSWORD\",\"name\":\"Ann\"}" \
        "$BASE/v1/users" >/dev/null
    USER_TOKEN="$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"client_id\":\"$WEB_ID\",\"email\":\"ann@bench.example\",\"password\":\"$PASSWORD\",\"scope\":\"openid\"}" \
        "$BASE/v1/auth/login" | json '["access_token"]')"
    AGENT="$(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d '{"name":"Bench agent","scopes":["orders:read"]}' "$BASE/v1/products/$PRODUCT_ID/agents")"
    CLIENT_ID="$(json '["client_id"]' <<<"$AGENT")"
    CLIENT_SECRET="$(json '["client_secret"]' <<<"$AGENT")"
    BASIC="$(python3 -c 'import base64,sys,urllib.parse as u; print(base64.b64encode((u.quote(sys.argv[1],safe="")+":"+u.quote(sys.argv[2],safe="")).encode()).decode())' "$CLIENT_ID" "$CLIENT_SECRET")"
    FORM="$(python3 -c 'import sys, urllib.parse as u; print(u.urlencode({"grant_type": sys.argv[1],
        "subject_token": sys.argv[2], "scope": "openid",
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}))' "$GRANT_TYPE" "$USER_TOKEN")"
fi

# One request by hand first: the benchmark is meaningless if it only measures errors.
STATUS="$(curl -s -o "$WORK/one.json" -w '%{http_code}' -H "Authorization: Basic $BASIC" \
    --data "$FORM" "$BASE/oauth/token")"
if [[ "$STATUS" != 200 ]]; then
    echo "token request failed ($STATUS): $(cat "$WORK/one.json")" >&2
    exit 1
fi

cat >"$WORK/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "$FORM"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
LUA

THREADS="$(nproc)"
(( THREADS > CONNECTIONS )) && THREADS="$CONNECTIONS"
ISSUED='tessera_tokens_issued_total'
GRANT="grant_type=\"$GRANT_TYPE\""
# Sums over the nodes: CPU ticks, tokens issued (their /metrics counters).
ticks_all() { local t=0 p; for p in "${PIDS[@]}"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
issued_all() {
    local b n=0 keep=$BASE
    for b in "${BASES[@]}"; do BASE=$b; n=$(python3 -c 'import sys; print(int(float(sys.argv[1]) + float(sys.argv[2])))' "$n" "$(metric "$ISSUED" "$GRANT")"); done
    BASE=$keep
    echo "$n"
}
# The database's processes (postmaster and its backends), PostgreSQL only.
db_ticks() {
    [[ $DB == postgres ]] || { echo 0; return; }
    local master t=0 p
    master=$(head -1 "$WORK/pg/postmaster.pid")
    for p in "$master" $(pgrep -P "$master"); do t=$((t + $(cpu_ticks "$p" 2>/dev/null || echo 0))); done
    echo "$t"
}
TICKS_BEFORE="$(ticks_all)"
DB_TICKS_BEFORE="$(db_ticks)"
ISSUED_BEFORE="$(issued_all)"
echo "== wrk: $CONNECTIONS connections over $NODES node(s), $THREADS threads, $DURATION"
if [[ $NODES == 2 ]]; then
    half=$((CONNECTIONS / 2))
    timeout 120 wrk -t1 -c"$half" -d"$DURATION" --latency -s "$WORK/token.lua" \
        "${BASES[1]}/oauth/token" >"$WORK/wrk2.txt" &
    WRK2=$!
    timeout 120 wrk -t1 -c"$half" -d"$DURATION" --latency -s "$WORK/token.lua" \
        "${BASES[0]}/oauth/token" | tee "$WORK/wrk.txt"
    wait "$WRK2"
    cat "$WORK/wrk2.txt"
else
    timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s "$WORK/token.lua" "$BASE/oauth/token" | tee "$WORK/wrk.txt"
fi
TICKS_AFTER="$(ticks_all)"
DB_TICKS_AFTER="$(db_ticks)"
ISSUED_AFTER="$(issued_all)"
TOKENS="$(cat "$WORK"/wrk*.txt | awk '/^Requests\/sec:/ {s += $2} END {printf "%.2f", s}')"
NON2XX="$(cat "$WORK"/wrk*.txt | awk '/Non-2xx or 3xx responses:/ {s += $NF} END {print s + 0}')"
P50="$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")"
P99="$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")"

[[ -n "$NODE2_PID" ]] && { kill "$NODE2_PID"; wait "$NODE2_PID" 2>/dev/null || true; NODE2_PID=""; }
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
DB_US="$(python3 -c 'import sys; t, b, a, hz = (float(x) for x in sys.argv[1:]); print(f"{t / hz / (a - b) * 1e6:.0f}")' \
    "$((DB_TICKS_AFTER - DB_TICKS_BEFORE))" "$ISSUED_BEFORE" "$ISSUED_AFTER" "$(getconf CLK_TCK)")"
[[ -n "${CPU_RATIO:-}" ]] || { echo "could not work out the CPU per token" >&2; exit 1; }

RATIO="$(python3 -c 'import sys; print(f"{100 * float(sys.argv[1]) / float(sys.argv[2]):.1f}")' "$TOKENS" "$SIGNS")"
echo
echo "| measure (loopback, $(nproc) cores, $DB, $NODES node(s)) | value |"
echo "|---|---|"
printf '| %s tokens/s (wrk -c%s, %s) | %s |\n' "$GRANT_NAME" "$CONNECTIONS" "$DURATION" "$TOKENS"
printf '| latency p50 / p99                            | %s / %s |\n' "${P50:-?}" "${P99:-?}"
printf '| non-2xx responses                            | %s |\n' "${NON2XX:-0}"
printf '| openssl rsa2048 sign/s (all cores)           | %s |\n' "$SIGNS"
printf '| tokens/s as %% of openssl sign/s              | %s %% |\n' "$RATIO"
printf '| server CPU per token / one RS256 sign        | %s µs / %s µs |\n' "$CPU_US" "$SIGN_US"
[[ $DB == postgres ]] && printf '| database CPU per token                       | %s µs |\n' "$DB_US"
echo
echo "CPU per token $CPU_US µs, RS256 sign $SIGN_US µs, ratio Y/X = $CPU_RATIO%"
if [[ -n "$NON2XX" && "$NON2XX" != 0 ]]; then
    echo "warning: $NON2XX responses were not 2xx; tokens/s overstates real issuance" >&2
    exit 2
fi
