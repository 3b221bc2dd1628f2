#!/usr/bin/env bash
# Runs a command (default: the headless test suite) against a throwaway PostgreSQL
# cluster started for it (scripts/pg.sh) and stopped after it, whatever happens.
#
#   scripts/test-postgres.sh                      cargo test --no-default-features
#   scripts/test-postgres.sh cargo test --no-default-features --test refresh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cluster=$(mktemp -d /tmp/tessera-pg.XXXXXX)
trap 'scripts/pg.sh stop "$cluster/data"; rm -rf "$cluster"' EXIT
chmod 755 "$cluster"
eval "$(scripts/pg.sh start "$cluster/data")" || exit 1
echo "PostgreSQL test cluster: $TESSERA_TEST_DATABASE_URL"
if [[ $# -eq 0 ]]; then
    set -- cargo test --no-default-features
fi
"$@"
