#!/usr/bin/env bash
# The deadline rush (截止前高峰), a long suite and not part of scripts/test.sh (its smoke size is: the
# rush_smoke test of crates/bench). Builds release binaries, then on SQLite and on PostgreSQL: seeds a county of
# 20 branches × 100 members into a fresh database, starts `mingjing serve` on it, runs `load-bench rush` (every
# member signs in, saves a draft and submits, each submission reviewed; 20 secretaries approve or return; branch 1
# holds a ballot round on phones and with codes) and checks every acknowledged write in the database. Prints the
# figures; fails on any error or lost write. docs/performance.md keeps the latest results.
#
#   scripts/rush.sh                        # both backends, 20 × 100
#   scripts/rush.sh sqlite                 # one backend (sqlite or postgres)
#   RUSH_BRANCHES=5 RUSH_MEMBERS=20 scripts/rush.sh
#   RUSH_ARGS="--arrivals-per-second 20 --max-in-flight 48" scripts/rush.sh
#
# PostgreSQL: a fresh database on 127.0.0.1:5432 (trust authentication), dropped afterwards.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
branches="${RUSH_BRANCHES:-20}"
members="${RUSH_MEMBERS:-100}"
port="${RUSH_PORT:-18090}"
read -r -a extra <<< "${RUSH_ARGS:-}"
backends=("$@")
if [ ${#backends[@]} -eq 0 ]; then
    backends=(sqlite postgres)
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
echo "== building release binaries"
cargo build --release --locked -p mingjing -p mingjing-bench
bin="$CARGO_TARGET_DIR/release"

work="$(mktemp -d /tmp/mingjing-rush.XXXXXX)"
server=""
pg_name=""
keep=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ -n "$pg_name" ]; then
        psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pg_name WITH (FORCE)" || true
    fi
    if [ -z "$keep" ]; then
        rm -rf "$work"
    fi
}
trap cleanup EXIT

run_backend() {
    local backend=$1 url=$2
    echo "== $backend: seeding $branches × $members"
    "$bin/load-bench" rush-seed --db "$url" --branches "$branches" --members "$members"
    "$bin/mingjing" serve --db "$url" --bind "127.0.0.1:$port" 2>"$work/$backend-server.log" &
    server=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.2
    done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/$backend-server.log"; exit 1; }
    echo "== $backend: rush (machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    local status=0
    "$bin/load-bench" rush --base "http://127.0.0.1:$port" --db "$url" "${extra[@]}" || status=$?
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=""
    if [ "$status" -ne 0 ]; then
        echo "== $backend: FAILED (the server's log: $work/$backend-server.log, kept)"
        tail -n 20 "$work/$backend-server.log"
        keep=1
        return "$status"
    fi
}

for backend in "${backends[@]}"; do
    case "$backend" in
        sqlite)
            run_backend sqlite "sqlite://$work/rush.db"
            ;;
        postgres)
            source scripts/lib/postgres.sh
            ensure_postgres >/dev/null
            pg_name="mingjing_rush_$$"
            psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $pg_name"
            run_backend postgres "postgres://postgres@127.0.0.1:5432/$pg_name"
            psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $pg_name WITH (FORCE)"
            pg_name=""
            ;;
        *)
            echo "unknown backend $backend (sqlite or postgres)" >&2
            exit 2
            ;;
    esac
done
