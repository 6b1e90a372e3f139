#!/bin/sh
# A throwaway PostgreSQL cluster for the test suite, from Debian's `postgresql` package.
#
#   cluster.sh DIR
#
# Creates a cluster in DIR (which must not exist), starts it listening only on a Unix socket
# in DIR, prints `ready DIR` once it accepts connections, and stops it and removes DIR when its
# standard input closes, so a test process that dies takes its database with it. Connect as
# user `postgres` without a password: postgres://postgres@localhost/postgres?host=DIR
set -eu
dir=$1
bin=${LATCHKEY_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$bin/initdb" ]; then
    echo "no PostgreSQL server found (install Debian's postgresql package or set LATCHKEY_POSTGRES_BIN)" >&2
    exit 1
fi
mkdir -p "$dir"
# PostgreSQL refuses to run as root; Debian's package makes the `postgres` user.
if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    # setpriv execs the program, so the pid of the server started below is the server's own.
    as_owner="setpriv --reuid=postgres --regid=postgres --clear-groups --"
else
    as_owner=
fi
$as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
# Tests do not test durability, and fsync makes creating each test's database slow; the
# benchmark sets LATCHKEY_POSTGRES_DURABLE=1 to measure a server that syncs as in production.
if [ "${LATCHKEY_POSTGRES_DURABLE:-}" = 1 ]; then
    durability=
else
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
# shellcheck disable=SC2086
$as_owner "$bin/postgres" -D "$dir/data" -k "$dir" -c listen_addresses= $durability \
    -c max_connections=400 -c shared_buffers=64MB >"$dir/postgres.log" 2>&1 &
pid=$!
stop() {
    # SIGQUIT: immediate shutdown, nothing here needs to survive.
    kill -QUIT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap stop EXIT INT TERM
tries=0
until "$bin/pg_isready" -q -h "$dir" -U postgres; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
        cat "$dir/postgres.log" >&2
        exit 1
    fi
    sleep 0.1
done
echo "ready $dir"
cat >/dev/null
