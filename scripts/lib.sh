# shellcheck shell=bash
# What the scripts share: a scratch folder, a throwaway PostgreSQL cluster through the service's own `db start`, a
# free port, and waiting for a server to be healthy. Source it: . "$(dirname "$0")/lib.sh"

# sv_scratch NAME: a new folder /tmp/NAME.XXXXXX that the postgres user may enter (the embedded cluster runs as that
# user when the script runs as root).
sv_scratch() {
    local dir
    dir=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$dir"
    echo "$dir"
}

# sv_cluster_start BIN DIR [MAX_CONNECTIONS]: starts the embedded cluster whose DATA_DIR is DIR and prints the
# connection string of its application database; with MAX_CONNECTIONS, sets that and restarts the cluster first.
sv_cluster_start() {
    local bin=$1 dir=$2 max=${3:-} conn
    conn=$(env -u DATABASE_URL DATA_DIR="$dir" LOG_LEVEL=warning "$bin" db start)
    if [ -n "$max" ]; then
        psql -qX "${conn/dbname=stakeholder_views/dbname=postgres}" -c "ALTER SYSTEM SET max_connections = $max" >/dev/null
        env -u DATABASE_URL DATA_DIR="$dir" LOG_LEVEL=warning "$bin" db stop >/dev/null
        env -u DATABASE_URL DATA_DIR="$dir" LOG_LEVEL=warning "$bin" db start >/dev/null
    fi
    echo "$conn"
}

# sv_cluster_stop BIN DIR: stops the cluster of DATA_DIR DIR if it runs (never fails: for clean-up traps).
sv_cluster_stop() {
    env -u DATABASE_URL DATA_DIR="$2" "$1" db stop >/dev/null 2>&1 || true
}

# sv_free_port: a TCP port on 127.0.0.1 that nothing listens on now.
sv_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# sv_wait_for_health URL: waits up to 30 s for URL/healthz to answer 200; says so and fails otherwise.
sv_wait_for_health() {
    for _ in $(seq 1 150); do curl -fs "$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "$(basename "$0"): the server at $1 did not become healthy" >&2
    return 1
}

# sv_database_roles BIN ADMIN_URL DB: creates database DB with its two roles (sv_DB_owner, which owns it and runs
# migrations, and sv_DB_service, which serve runs as) from the statements `migrate --print-roles` prints, as the README
# tells an operator to; then migrates as the owner, which grants the service role its privileges. ADMIN_URL is a
# superuser's connection string to the `postgres` database. Prints two lines: the owner's connection string, then the
# service role's.
sv_database_roles() {
    local bin=$1 admin=$2 db=$3 owner="sv_${3}_owner" service="sv_${3}_service" owner_url service_url
    "$bin" migrate --print-roles --owner-role "$owner" --service-role "$service" --database "$db" \
        | psql -qX -v ON_ERROR_STOP=1 "$admin" >/dev/null
    # In a libpq keyword string the last setting of a keyword wins.
    owner_url="${admin/dbname=postgres/dbname=$db} user=$owner"
    service_url="${admin/dbname=postgres/dbname=$db} user=$service"
    DATABASE_OWNER_URL="$owner_url" DATABASE_URL="$service_url" LOG_LEVEL=warning "$bin" migrate >/dev/null
    printf '%s\n%s\n' "$owner_url" "$service_url"
}
