"""Synthetic knowledge bases for the benchmarks, recombined from the seed corpus."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from kb.corpus import read_corpus
from kb.model import Case, Entry, Process, Topic
from kb.store import Store

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = (
    "衣服 鞋子 手机 空调 冰箱 面霜 口红 奶粉 零食 水果 电视 耳机 电脑 羽绒服 行李箱 "
    "洗衣机 热水器 床垫 台灯 手表 相机 咖啡机 扫地机 吹风机 保温杯 背包 帽子 围巾 眼镜 玩具"
).split()


def synthetic_entries(seed: list[Entry], size: int, rng: random.Random) -> list[Entry]:
    """Each entry: a seed scenario's title, phrasings and lexicon, specialised to one product.

    Entries come in batches of one copy of every seed scenario; related entries
    point to the copies in the same batch, so the graph keeps the seed's shape.
    """
    position = {e.id: i for i, e in enumerate(seed)}
    out = []
    for n in range(size):
        base = seed[n % len(seed)]
        batch = n - n % len(seed)
        product = PRODUCTS[(n // len(seed)) % len(PRODUCTS)]
        tag = f"{product}{n // (len(seed) * len(PRODUCTS)) or ''}"
        picked = rng.sample(base.questions, min(3, len(base.questions)))
        related = [f"{r}-{batch + position[r]}" for r in base.related if batch + position[r] < size]
        out.append(replace(
            base,
            id=f"{base.id}-{n}",
            title=f"{base.title}（{tag}）",
            questions=[f"{product} {q}" for q in picked],
            keywords={**base.keywords, f"{product}{base.title[:2]}": [tag]},
            solution=f"{tag}：{base.solution}",
            related=related,
        ))  # fmt: skip
    return out


def write_db(path: Path, size: int, with_cases: bool = False) -> list[Entry]:
    """A database of `size` synthetic entries (and ~2.5 cases each with `with_cases`)."""
    corpus = read_corpus(ROOT / "corpus")
    rng = random.Random(size)
    entries = synthetic_entries(corpus.entries, size, rng)
    store = Store(path)
    with store.transaction():
        for topic in corpus.topics:
            store.upsert_topic(Topic(topic.id, topic.name, topic.parent))
        for process in corpus.processes:
            store.upsert_process(Process(process.id, process.name, process.steps))
        for entry in entries:
            store.save_entry(entry, "bench")
        if with_cases:
            seed_cases = {}
            for case in corpus.cases:
                seed_cases.setdefault(case.entries[0], []).append(case)
            for entry in entries:
                base_id = entry.id.rsplit("-", 1)[0]
                for case in seed_cases.get(base_id, []):  # told of this entry's product
                    customer = f"{entry.title} {case.customer}"
                    store.upsert_case(Case(f"{case.id}-{entry.id}", [entry.id], customer,
                                           case.action, case.outcome, case.date))  # fmt: skip
    store.close()
    return entries
