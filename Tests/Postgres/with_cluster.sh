#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL 15 cluster, then removes the cluster whatever the
# command's outcome, and exits with the command's status.
#
#   Tests/Postgres/with_cluster.sh COMMAND [ARGS…]
#
# The command sees IDCA_TEST_POSTGRES_URL (a superuser URL on a loopback port),
# IDCA_TEST_POSTGRES_BIN (the server's bin directory, for pgbench) and IDCA_TEST_POSTGRES_DATA (the
# data directory, for pg_ctl). The cluster lives in a new
# temporary directory and listens on a free port of 127.0.0.1 and on a Unix socket inside that
# directory; nothing outside it is touched. PostgreSQL refuses to run as root, so as root the
# server runs as the unprivileged `postgres` account (created by Debian's package).
set -euo pipefail

find_bin() {
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

bin="$(find_bin || true)"
if [ -z "$bin" ]; then
    echo "with_cluster: PostgreSQL is not installed; installing Debian's postgresql package" >&2
    apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
    bin="$(find_bin)"
fi

root="$(mktemp -d /tmp/idca-pg.XXXXXX)"
run_as=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    chown postgres: "$root"
    run_as=(runuser -u postgres --)
fi
chmod 700 "$root"

cleanup() {
    status=$?
    "${run_as[@]}" "$bin/pg_ctl" -D "$root/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$root"
    exit "$status"
}
trap cleanup EXIT INT TERM

# A free loopback port: bind to port 0 and read back what the kernel chose.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

"${run_as[@]}" "$bin/initdb" -D "$root/data" -U idca --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 \
    || { cat "$root/initdb.log" >&2; exit 1; }
# Durability as in production (fsync and synchronous_commit stay on: the tests check durability);
# enough connections for two servers' pools, the test suite and pgbench.
cat >>"$root/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
logging_collector = off
EOF
"${run_as[@]}" "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 start >/dev/null \
    || { cat "$root/server.log" >&2; exit 1; }

export IDCA_TEST_POSTGRES_URL="postgres://idca@127.0.0.1:$port/postgres"
export IDCA_TEST_POSTGRES_BIN="$bin"
# For tests that stop and start the cluster (Tests/Reliability/database_outage_test.py): pg_ctl -D this,
# as the `postgres` account when run as root.
export IDCA_TEST_POSTGRES_DATA="$root/data"
echo "with_cluster: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $root, removed afterwards)" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
