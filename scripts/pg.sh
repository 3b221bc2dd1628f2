#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: no system service, a temp dir,
# a free loopback port, trust auth for the local superuser `tessera`.
#
#   eval "$(scripts/pg.sh start DIR)"   initdb into DIR (if empty) and start it; prints
#                                       export TESSERA_TEST_DATABASE_URL=postgres://…
#   scripts/pg.sh stop DIR              fast shutdown
#
# initdb refuses to run as root: as root the cluster runs as the `postgres` user that
# Debian's package creates (DIR is handed to it).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $bin/initdb ]] || { echo "pg.sh: PostgreSQL server binaries not found (scripts/setup.sh installs them)" >&2; exit 1; }

as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || { sed -n '2,10p' "$0" >&2; exit 2; }

case $cmd in
start)
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    if [[ ! -f $dir/PG_VERSION ]]; then
        as_owner "$bin/initdb" -D "$dir" -U tessera --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
            || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # Durability off: a test cluster is thrown away (never do this for real data).
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start -o \
        "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=400 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB" >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export TESSERA_TEST_DATABASE_URL=postgres://tessera@127.0.0.1:$port"
    ;;
stop)
    [[ -f $dir/postmaster.pid ]] && as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
*)
    echo "pg.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
