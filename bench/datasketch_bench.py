#!/usr/bin/env python3
"""datasketch MinHashLSH doing candidate retrieval on the documents copy-bench wrote.

Reads DIR/docs/*.txt and DIR/sample.txt (written by `copy-bench --write-corpus DIR`),
builds a MinHashLSH (128 permutations, threshold 0.5) over 5-character shingles of each
text with whitespace removed, then queries it with every sampled document. Prints one
JSON object. Only candidate retrieval is measured, as datasketch does nothing more: no
alignment of copied spans, no ratios.

The build time covers MinHash and LSH insert only; reading the files is not timed,
as copy-bench does not time generating its corpus. All MinHash objects share one set
of permutations (datasketch's documented speed-up), and shingles go in through
update_batch, so datasketch is measured at its fastest ordinary use.
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import datasketch
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
THRESHOLD = 0.5
SHINGLE = 5


def percentile(sorted_ms, p):
    """Nearest rank, as copy-bench computes it."""
    if not sorted_ms:
        return 0.0
    k = min(max(math.ceil(p * len(sorted_ms)), 1), len(sorted_ms))
    return sorted_ms[k - 1]


def latency(seconds):
    ms = sorted(s * 1e3 for s in seconds)
    return {
        "count": len(ms),
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "mean_ms": sum(ms) / len(ms) if ms else 0.0,
        "max_ms": ms[-1] if ms else 0.0,
    }


def shingles(text):
    compact = "".join(text.split())
    return {compact[i : i + SHINGLE].encode("utf-8") for i in range(len(compact) - SHINGLE + 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="the folder copy-bench --write-corpus wrote")
    parser.add_argument(
        "--limit",
        type=int,
        default=0,
        help="index only the sampled documents and this many others (0: all); for sizes "
        "where the full build would take too long. The output says so.",
    )
    args = parser.parse_args()

    with open(os.path.join(args.dir, "sample.txt"), encoding="utf-8") as f:
        sample = [line.strip() for line in f if line.strip()]
    folder = os.path.join(args.dir, "docs")
    names = sorted(n[:-4] for n in os.listdir(folder) if n.endswith(".txt"))
    if args.limit:
        wanted = set(sample)
        names = sample + [n for n in names if n not in wanted][: args.limit]
    texts = {}
    for name in names:
        with open(os.path.join(folder, name + ".txt"), encoding="utf-8") as f:
            texts[name] = f.read()
    corpus_bytes = sum(len(t.encode("utf-8")) for t in texts.values())

    permutations = MinHash(num_perm=NUM_PERM).permutations

    def minhash(text):
        m = MinHash(num_perm=NUM_PERM, permutations=permutations, scheme="affine32")
        m.update_batch(shingles(text))
        return m

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    started = time.perf_counter()
    for name, text in texts.items():
        lsh.insert(name, minhash(text))
    build_seconds = time.perf_counter() - started

    times = []
    candidates = 0
    for name in sample:
        text = texts.get(name)
        if text is None:
            print(f"datasketch_bench: sampled document {name} is missing", file=sys.stderr)
            return 1
        started = time.perf_counter()
        found = lsh.query(minhash(text))
        times.append(time.perf_counter() - started)
        candidates += sum(1 for other in found if other != name)

    json.dump(
        {
            "datasketch_version": getattr(datasketch, "__version__", "unknown"),
            "num_perm": NUM_PERM,
            "threshold": THRESHOLD,
            "shingle_chars": SHINGLE,
            "documents": len(texts),
            "subset": bool(args.limit),
            "corpus_bytes": corpus_bytes,
            "build_seconds": build_seconds,
            "mb_per_s": corpus_bytes / 1e6 / build_seconds if build_seconds > 0 else 0.0,
            "query": latency(times),
            "mean_candidates": candidates / len(times) if times else 0.0,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
