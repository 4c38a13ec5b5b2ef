#!/usr/bin/env bash
# Compares mingjing's copy detection with datasketch's MinHashLSH and an exact-clause-
# hash baseline on the same synthetic corpora, and prints one table.
#
#   bench/compare.sh [--no-datasketch] [--queries Q] [--seed S] [--datasketch-limit N]
#                    [--force] [--save FILE] [SIZES...]   (default sizes: 1000 10000 100000)
#
# --save FILE keeps every figure behind the table as JSON lines, one object per size:
# {"size", "ours", "datasketch"} with copy-bench's and datasketch_bench.py's output.
#
# Each size: copy-bench generates the corpus, builds and queries our index and the
# baseline (and writes the documents for Python), then bench/datasketch_bench.py builds
# and queries MinHashLSH on the same files. Temporary files are removed on exit.
#
# Memory: our side holds the texts, the caller's MemoryTexts (normalized chars, origin
# map and skeleton of every document, ~20 B per char) and the index: about 10.5× the
# corpus's UTF-8 size. Measured peak 11.8 GB at 100k members (1.12 GB of text), so 1M
# members need ~115 GiB and do not fit in this machine's 24 GiB. A size whose estimate
# (120 KiB per member) exceeds MemAvailable is skipped with a message; --force tries it.
# Disk: ~1.2 GB of written text per 100k members, in $TMPDIR.
#
# datasketch comes from PyPI: if `python3 -c 'import datasketch'` fails, a venv is made
# in ${XDG_CACHE_HOME:-~/.cache}/mingjing-bench/venv (or pip install --user if venv is
# unavailable). --datasketch-limit N indexes only the sample and N other documents on
# the datasketch side, for sizes where its build takes too long; the table says SUBSET.
set -euo pipefail

datasketch=1
queries=1000
seed=42
limit=0
force=0
save=""
sizes=()
while (($#)); do
    case "$1" in
        --no-datasketch) datasketch=0 ;;
        --queries) queries="$2"; shift ;;
        --seed) seed="$2"; shift ;;
        --datasketch-limit) limit="$2"; shift ;;
        --force) force=1 ;;
        --save) save="$(realpath -m "$2")"; shift ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
        *) sizes+=("$1") ;;
    esac
    shift
done
((${#sizes[@]})) || sizes=(1000 10000 100000)
cd "$(dirname "$0")/.."

echo "== building copy-bench (release)" >&2
cargo build --release -p mingjing-bench --bin copy-bench >&2
bench="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/copy-bench"

python=python3
if ((datasketch)); then
    if ! python3 -c 'import datasketch, numpy' 2>/dev/null; then
        venv="${XDG_CACHE_HOME:-$HOME/.cache}/mingjing-bench/venv"
        if ! "$venv/bin/python" -c 'import datasketch, numpy' 2>/dev/null; then
            echo "== installing datasketch and numpy from PyPI into $venv" >&2
            if python3 -m venv "$venv" >&2; then
                "$venv/bin/pip" install --quiet datasketch numpy >&2
            else
                python3 -m pip install --user --quiet datasketch numpy >&2
                venv=""
            fi
        fi
        [[ -n "$venv" ]] && python="$venv/bin/python"
    fi
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/mingjing-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/results"

available_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0; }

load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
for n in "${sizes[@]}"; do
    # Peak resident memory per member document, measured at 100k (see the header).
    need_kib=$((n * 120))
    have_kib="$(available_kib)"
    if ((!force && have_kib > 0 && need_kib > have_kib)); then
        echo "== skipping $n: needs ~$((need_kib / 1024 / 1024)) GiB, $((have_kib / 1024 / 1024)) GiB available (--force to try)" >&2
        echo "$n: skipped, needs ~$((need_kib / 1024 / 1024)) GiB of memory, $((have_kib / 1024 / 1024)) GiB available" >>"$tmp/skipped"
        continue
    fi
    corpus="$tmp/corpus-$n"
    write=()
    ((datasketch)) && write=(--write-corpus "$corpus")
    echo "== $n: copy-bench" >&2
    "$bench" --n "$n" --seed "$seed" --queries "$queries" --threads 1,2 --json "${write[@]}" >"$tmp/results/ours-$n.json"
    if ((datasketch)); then
        echo "== $n: datasketch" >&2
        ds_args=("$corpus")
        ((limit > 0)) && ds_args+=(--limit "$limit")
        "$python" bench/datasketch_bench.py "${ds_args[@]}" >"$tmp/results/datasketch-$n.json"
        rm -rf "$corpus"
    fi
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

echo "Copy detection: mingjing vs datasketch MinHashLSH (128 perm, 5-char shingles, threshold 0.5) vs exact clause hashes"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD -- crates Cargo.toml 2>/dev/null || commit="$commit, crates/ differ from it"
echo "commit $commit; $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); seed $seed; $queries reviews per size on one thread; load average $load_start at start, $load_end at end"
echo "ours: index build = decode + significant chars + winnow + Index::build, from texts in memory (the build that also"
echo "      keeps every normalized text for the reviews is the line below it); index = write_index bytes;"
echo "      texts for verification live in the caller's MemoryTexts, outside the index; review = review_against (parse,"
echo "      all checks, copy detection) with the material itself in the index and excluded; copy-only = copy::check."
echo "      candidate retrieval = decode + significant chars + winnow + look up + rank, from the raw text."
echo "datasketch: candidate retrieval only (MinHash + insert; MinHash + query). baseline: one thread, normalization included."
echo
if compgen -G "$tmp/results/ours-*.json" >/dev/null; then
    python3 bench/table.py "$tmp/results" "${sizes[@]}"
else
    echo "no size was run"
fi
if [[ -n "$save" ]]; then
    python3 - "$tmp/results" "$save" "${sizes[@]}" <<'PY'
import json, os, sys
results, out, sizes = sys.argv[1], sys.argv[2], sys.argv[3:]
def load(name):
    path = os.path.join(results, name)
    return json.load(open(path, encoding="utf-8")) if os.path.exists(path) else None
with open(out, "w", encoding="utf-8") as f:
    for n in sizes:
        ours = load(f"ours-{n}.json")
        if ours is not None:
            f.write(json.dumps({"size": int(n), "ours": ours, "datasketch": load(f"datasketch-{n}.json")}) + "\n")
PY
fi
[[ -f "$tmp/skipped" ]] && { echo; cat "$tmp/skipped"; }
exit 0
