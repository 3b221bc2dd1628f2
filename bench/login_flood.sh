#!/usr/bin/env bash
# Load script (not a test): a wrong-password login flood against the release headless
# build on loopback, with a legitimate user signing in during it (issue 9, "Sign-in
# protection"). 81 users are created (80 victims + 1 legitimate); 300 wrong-password
# logins (at most 4 per account) from 127.0.0.2-127.0.0.11 start at once, attackers retry
# 503s for up to 30 s; the legitimate user signs in 20 times, one after the other, from
# 127.0.0.20 (GET /oauth/authorize -> GET /login -> POST /login). Reports the server's peak
# RSS (VmHWM), the legitimate sign-ins' p50/p99, and the attack's answers by status.
# Targets: peak RSS < 300 MB, legitimate p99 < 2 s, no 5xx other than 503.
#
# Usage: bench/login_flood.sh    (env: ATTACKS=300 LEGIT=20 VICTIMS=80 HASH_CONCURRENCY=
#                                 BIN=path/to/tessera to skip the release build)
set -euo pipefail

ATTACKS="${ATTACKS:-300}"
LEGIT="${LEGIT:-20}"
VICTIMS="${VICTIMS:-80}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/tessera-flood.XXXXXX)"
SAMPLER_PID=""
source "$ROOT/bench/lib.sh"

cleanup() {
    [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }
done

if [[ -z "${BIN:-}" ]]; then
    echo "== building release headless binary"
    (cd "$ROOT" && cargo build --release --no-default-features --quiet)
    BIN="$ROOT/target/release/tessera"
fi

echo "== starting tessera serve on a free loopback port (fresh data dir)"
EXTRA=()
[[ -n "${HASH_CONCURRENCY:-}" ]] && EXTRA=(--hash-concurrency "$HASH_CONCURRENCY")
mkdir -p "$WORK/data"
start_server "${EXTRA[@]}"
PORT="${BASE##*:}"
echo "   $BASE (pid $SERVER_PID)"


ADMIN_JSON="$("$BIN" admin-client create --name flood --data-dir "$WORK/data")"
ADMIN_ID="$(json '["client_id"]' <<<"$ADMIN_JSON")"
ADMIN_SECRET="$(json '["client_secret"]' <<<"$ADMIN_JSON")"
ADMIN_TOKEN="$(curl -sf -u "$ADMIN_ID:$ADMIN_SECRET" \
    -d grant_type=client_credentials -d scope=admin "$BASE/oauth/token" | json '["access_token"]')"
REDIRECT="https://flood.example/cb"
PRODUCT="$(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Flood\",\"redirect_uris\":[\"$REDIRECT\"],\"scopes\":[],\"server_client\":false}" \
    "$BASE/v1/products")"
CLIENT_ID="$(json '["web_client"]["client_id"]' <<<"$PRODUCT")"
HASHERS="$(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/v1/settings" \
    | json '["throttle"]["hash_concurrency"]')"

echo "== creating $VICTIMS victims and 1 legitimate user (admin API)"
LEGIT_PASSWORD="legitimate user's passphrase"
create_user() {
    curl -sf -o /dev/null -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$BASE/v1/users"
}
for i in $(seq 0 $((VICTIMS - 1))); do
    create_user "victim$i@bench.example" "victim $i secret passphrase"
done
create_user "legit@bench.example" "$LEGIT_PASSWORD"

# Peak RSS: the kernel's high-water mark (VmHWM) at the end; the sampler also keeps the
# largest VmRSS it saw, every 50 ms, as a cross-check.
( max=0; while kill -0 "$SERVER_PID" 2>/dev/null; do
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)"
    (( rss > max )) && { max=$rss; echo "$max" >"$WORK/rss_max"; }
    sleep 0.05
  done ) &
SAMPLER_PID=$!
HWM_BEFORE="$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")"

echo "== flood: $ATTACKS wrong-password logins from 127.0.0.2-11, $LEGIT legitimate from 127.0.0.20"
timeout 300 python3 "$ROOT/bench/login_flood.py" --port "$PORT" --client-id "$CLIENT_ID" \
    --redirect-uri "$REDIRECT" --victims "$VICTIMS" --attacks "$ATTACKS" --legit "$LEGIT" \
    --legit-email legit@bench.example --legit-password "$LEGIT_PASSWORD" >"$WORK/result.json"
HWM="$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")"
RSS_MAX="$(cat "$WORK/rss_max" 2>/dev/null || echo 0)"

python3 - "$WORK/result.json" "$HWM" "$HWM_BEFORE" "$RSS_MAX" "$(nproc)" "$HASHERS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hwm, before, rss_max = (int(x) / 1024 for x in sys.argv[2:5])
cores, hashers = sys.argv[5], sys.argv[6]
c = r["attack_status_counts"]
n429, n503 = c.get("429", 0), c.get("503", 0)
other = {k: v for k, v in c.items() if k not in ("401", "429", "503")}
five_xx = sum(v for k, v in c.items() if k.startswith("5") and k != "503")
legit_bad = {k: v for k, v in r["legit_results"].items() if k != "signed_in"}
p99 = r["legit_flow_ms"]["p99"]
print()
print(f"| measure (loopback, nproc {cores}, hash concurrency {hashers}) | value |")
print("|---|---|")
print(f"| server peak RSS (VmHWM) | {hwm * 1.048576:.1f} MB = {hwm:.1f} MiB (after setup: {before:.1f} MiB; max sampled VmRSS {rss_max:.1f} MiB) |")
print(f"| attack requests (incl. retries of 503) | {r['attack_requests']} in {r['attack_seconds']} s |")
print(f"| attack answers 401 / 429 / 503 | {c.get('401', 0)} / {n429} / {n503} |")
print(f"| attack answers other non-2xx-3xx | {other or 0} |")
print(f"| legitimate sign-ins | {r['legit_results']} in {r['legit_seconds']} s ({r['legit_started_during_attack']} started while the attack ran) |")
print(f"| legitimate full flow, no attack (5 before it) p50 / max | {r['baseline_flow_ms']['p50']} / {r['baseline_flow_ms']['max']} ms |")
print(f"| legitimate full flow p50 / p99 / max | {r['legit_flow_ms']['p50']} / {p99} / {r['legit_flow_ms']['max']} ms |")
print(f"| legitimate POST /login p50 / p99 | {r['legit_post_ms']['p50']} / {r['legit_post_ms']['p99']} ms |")
ok = hwm * 1.048576 < 300 and p99 is not None and p99 < 2000 and five_xx == 0 and not legit_bad
print()
print("targets (RSS < 300 MB, legitimate p99 < 2 s, no 5xx but 503, every legitimate sign-in ok):",
      "met" if ok else "MISSED")
sys.exit(0 if ok else 2)
PY
