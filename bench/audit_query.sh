#!/usr/bin/env bash
# Benchmark: /v1/audit-events query time with 1,000,000 events in SQLite, or in PostgreSQL
# with DB=postgres (release build, loopback). Fills a fresh database with realistic events
# (one INSERT ... WITH RECURSIVE through python3's sqlite3; generate_series through psql in
# a throwaway cluster from scripts/pg.sh), then times filtered queries over HTTP with curl.
# Target (issue 3): filter by subject, and by type + time range, under 50 ms.
#
# Usage: bench/audit_query.sh     (env: EVENTS=1000000 RUNS=20 SKIP_BUILD=1 to reuse the binary,
#                                  DB=postgres)
set -euo pipefail

EVENTS="${EVENTS:-1000000}"
RUNS="${RUNS:-20}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/tessera-audit-bench.XXXXXX)"
source "$ROOT/bench/lib.sh"

DB="${DB:-sqlite}"
DB_FLAGS=()
cleanup() {
    stop_server
    [[ $DB == postgres ]] && "$ROOT/scripts/pg.sh" stop "$WORK/pg"
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }
done

if [[ -z "${SKIP_BUILD:-}" ]]; then
    echo "== building release headless binary"
    (cd "$ROOT" && cargo build --release --no-default-features --quiet)
fi
BIN="$ROOT/target/release/tessera"
mkdir -p "$WORK/data"

if [[ $DB == postgres ]]; then
    chmod 755 "$WORK"
    eval "$("$ROOT/scripts/pg.sh" start "$WORK/pg")"
    psql "$TESSERA_TEST_DATABASE_URL/postgres" -qAtc "CREATE DATABASE bench"
    DB_FLAGS=(--database-url "$TESSERA_TEST_DATABASE_URL/bench")
fi

echo "== creating the schema (first start, $DB)"
start_server "${DB_FLAGS[@]}"
stop_server

echo "== inserting $EVENTS audit events"
NOW_MS=$(python3 -c 'import time; print(int(time.time()*1000))')
# Spread over the last 89 days (inside the default 90-day retention), ids in time order;
# 10,000 users, 50 clients, 20 businesses x 5 branches; type mix of a busy IdP.
FILL_START=$(date +%s)
if [[ $DB == postgres ]]; then
    span=$((89 * 86400000))
    psql "$TESSERA_TEST_DATABASE_URL/bench" -qAt -v ON_ERROR_STOP=1 \
        -v n="$EVENTS" -v start=$((NOW_MS - span)) -v step=$((span / EVENTS)) <<'SQL'
INSERT INTO audit_events (at, type, outcome, actor, subject, client_id, org, branch, jti,
                          ip, user_agent, detail)
SELECT :start + i * :step,
       CASE WHEN i % 20 < 10 THEN 'token.issued' WHEN i % 20 < 14 THEN 'token.refreshed'
            WHEN i % 20 < 16 THEN 'login.succeeded' WHEN i % 20 = 16 THEN 'login.failed'
            WHEN i % 20 = 17 THEN 'token.refused' WHEN i % 20 = 18 THEN 'token.revoked'
            ELSE 'logout' END,
       CASE WHEN i % 20 IN (16, 17) THEN 'failure' ELSE 'success' END,
       'user-' || (i * 7919 % 10000),
       'user-' || (i * 7919 % 10000),
       'client-' || (i % 50),
       'org-' || (i % 20),
       'branch-' || (i % 100),
       md5(random()::text),
       '10.0.' || (i % 256) || '.' || (i % 200),
       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0',
       json_build_object('scope', 'openid profile email orders:read', 'aud', 'client-' || (i % 50),
                         'exp', (:start + i * :step) / 1000 + 600, 'org', 'org-' || (i % 20),
                         'branch', 'branch-' || (i % 100))::text
FROM generate_series(1::bigint, :n) AS i;
VACUUM ANALYZE audit_events;
SQL
    echo "   filled in $(( $(date +%s) - FILL_START )) s; rows $(psql "$TESSERA_TEST_DATABASE_URL/bench" -qAtc 'SELECT count(*) FROM audit_events')"
else
python3 - "$WORK/data/tessera.db" "$EVENTS" "$NOW_MS" <<'PY'
import sqlite3, sys
db, n, now_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
span = 89 * 86_400_000
start, step = now_ms - span, span // n
c = sqlite3.connect(db)
c.execute("PRAGMA synchronous=OFF")
c.execute("""
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
INSERT INTO audit_events (at, type, outcome, actor, subject, client_id, org, branch, jti,
                          ip, user_agent, detail)
SELECT ? + i * ?,
       CASE WHEN i % 20 < 10 THEN 'token.issued' WHEN i % 20 < 14 THEN 'token.refreshed'
            WHEN i % 20 < 16 THEN 'login.succeeded' WHEN i % 20 = 16 THEN 'login.failed'
            WHEN i % 20 = 17 THEN 'token.refused' WHEN i % 20 = 18 THEN 'token.revoked'
            ELSE 'logout' END,
       CASE WHEN i % 20 IN (16, 17) THEN 'failure' ELSE 'success' END,
       'user-' || (i * 7919 % 10000),
       'user-' || (i * 7919 % 10000),
       'client-' || (i % 50),
       'org-' || (i % 20),
       'branch-' || (i % 100),
       lower(hex(randomblob(16))),
       '10.0.' || (i % 256) || '.' || (i % 200),
       'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0',
       json_object('scope', 'openid profile email orders:read', 'aud', 'client-' || (i % 50),
                   'exp', (? + i * ?) / 1000 + 600, 'org', 'org-' || (i % 20),
                   'branch', 'branch-' || (i % 100))
FROM seq
""", (n, start, step, start, step))
c.commit()
c.execute("ANALYZE")
c.commit()
print("   rows:", c.execute("SELECT count(*) FROM audit_events").fetchone()[0])
PY
echo "   filled in $(( $(date +%s) - FILL_START )) s; db size $(du -h "$WORK/data/tessera.db" | cut -f1)"
fi

echo "== starting the release server"
start_server "${DB_FLAGS[@]}"
echo "   $BASE"
CREDS="$("$BIN" admin-client create --name bench --data-dir "$WORK/data" "${DB_FLAGS[@]}")"
ID="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$CREDS")"
SECRET="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$CREDS")"
TOKEN="$(curl -s -u "$ID:$SECRET" -d grant_type=client_credentials -d scope=admin \
    "$BASE/oauth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

iso() { python3 -c 'import sys,datetime; print(datetime.datetime.fromtimestamp(int(sys.argv[1])/1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }
DAY=86400000
SINCE="$(iso $((NOW_MS - 40 * DAY)))"
UNTIL="$(iso $((NOW_MS - 39 * DAY)))"
WEEK_SINCE="$(iso $((NOW_MS - 60 * DAY)))"
WEEK_UNTIL="$(iso $((NOW_MS - 53 * DAY)))"

# Prints "median p95 max count" in ms for RUNS timed requests (after 2 warm-ups).
time_query() {
    local q="$1" times=() count
    count="$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/v1/audit-events?$q" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')"
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/v1/audit-events?$q"
    for _ in $(seq 1 "$RUNS"); do
        times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
            "$BASE/v1/audit-events?$q")")
    done
    printf '%s\n' "${times[@]}" | python3 -c '
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin.read().split())
p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
print(f"median {statistics.median(t):7.2f} ms   p95 {p95:7.2f} ms   max {t[-1]:7.2f} ms", end="")'
    echo "   ($count events returned)"
}

echo "== $RUNS runs each, limit=50, curl time_total (includes HTTP + JSON)"
printf '%-34s ' "subject=user-4242";                  time_query "subject=user-4242&limit=50"
printf '%-34s ' "type=token.issued + 1-day range";    time_query "type=token.issued&since=$SINCE&until=$UNTIL&limit=50"
printf '%-34s ' "type=login.failed + 7-day range";    time_query "type=login.failed&since=$WEEK_SINCE&until=$WEEK_UNTIL&limit=50"
printf '%-34s ' "client_id=client-7";                  time_query "client_id=client-7&limit=50"
printf '%-34s ' "outcome=failure";                     time_query "outcome=failure&limit=50"
printf '%-34s ' "no filter (newest 50)";               time_query "limit=50"
printf '%-34s ' "no filter, limit=200";                time_query "limit=200"
