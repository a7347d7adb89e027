"""The `kb` command: the operator's way in. `kb --help` lists the commands, each with an example.

Every default shown in help is read from where it is defined (kb.config's SETTINGS, or the
owning module's constant), so help and behaviour cannot drift apart.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kb import config
from kb.authoring.gaps import MIN_COUNT
from kb.authoring.monitor import DAYS_MAX
from kb.errors import KbError, KeyExists, ValidationFailed
from kb.graph import DEPTH, DEPTH_MAX, LINT_CODES
from kb.keys import ROLES
from kb.search import TOP, TOP_MAX
from kb.search.fusion import FUSIONS
from kb.store import Store, is_url

DEFAULTS = config.DEFAULTS
LISTED_IDS = 10  # ids `kb stats` prints per list


class _Group(click.Group):
    """Turn every KbError into one line on stderr and a non-zero exit, never a traceback;
    take `--db FILE` after the command too (`kb import corpus --db x.db`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, db_first(args))

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            for error in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
                click.echo(f"error: {error.message}", err=True)
            sys.exit(1)


def db_first(args: list[str]) -> list[str]:
    """`--db FILE` or `--db=FILE` moved to the front, where the group reads it; arguments
    after `--` stay as they are.

    >>> db_first(["import", "corpus", "--db", "x.db"])
    ['--db', 'x.db', 'import', 'corpus']
    >>> db_first(["search", "--", "--db=1"])
    ['search', '--', '--db=1']
    """
    out, moved, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out += args[i:]
            break
        if arg == "--db" and i + 1 < len(args):
            moved += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--db="):
            moved.append(arg)
        else:
            out.append(arg)
        i += 1
    return moved + out


@click.group(cls=_Group)
@click.option("--db", envvar="KB_DB", help=f"SQLite database file [default: {DEFAULTS['db']}].")
@click.version_option(package_name="kefu-kb")
@click.pass_context
def cli(ctx: click.Context, db: str | None):
    """kefu-kb: knowledge graph and semantic search for e-commerce customer service.

    \b
    Example:
        kb import corpus/ && kb stats
    """
    ctx.obj = config.load(_overrides(ctx))


def _overrides(ctx: click.Context) -> dict:
    """The settings given as options. --db read from KB_DB is left to config's environment
    layer (same value), so that `kb config` names the variable it came from."""
    root = ctx.find_root()
    from_env = root.get_parameter_source("db") == click.core.ParameterSource.ENVIRONMENT
    return {"db": None if from_env else root.params["db"]}


def _store(ctx: click.Context) -> Store:
    return Store(ctx.obj["db"])


@cli.command()
@click.pass_context
def init(ctx: click.Context):
    """Create the database (or bring an old one up to the current schema).

    \b
    Example:
        kb --db /srv/kb/kb.db init
    """
    store = _store(ctx)
    click.echo(f"database {store.path} at schema version {store.schema_version}")


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: per setting, its "
              "value, source and help.")  # fmt: skip
@click.pass_context
def config_(ctx: click.Context, as_json: bool):
    """Every setting, its value and where the value came from.

    Settings resolve as defaults < kb.toml (or the file KB_CONFIG names) < KB_*
    environment variables < command-line options; the source column names the
    layer that won: default, file PATH, environment KB_NAME or command line.

    \b
    Example:
        kb --db /srv/kb/kb.db config --json
    """
    found = config.resolve(_overrides(ctx))
    if as_json:
        out = {s.name: {"value": found[s.name].value, "source": found[s.name].source,
                        "help": s.help} for s in config.SETTINGS}  # fmt: skip
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    rows = [(s.name, str(found[s.name].value), found[s.name].source) for s in config.SETTINGS]
    name_w, value_w = (max(len(r[i]) for r in [("setting", "value", ""), *rows]) for i in (0, 1))
    for name, value, source in [("setting", "value", "source"), *rows]:
        click.echo(f"{name:<{name_w}}  {value:<{value_w}}  {source}")


@cli.command("import")
@click.argument("path", type=click.Path())
@click.option("--author", default="import", show_default=True, help="Recorded as the editor.")
@click.pass_context
def import_(ctx: click.Context, path: str, author: str):
    """Import a corpus file or folder: an all-or-nothing, idempotent upsert.

    \b
    Example:
        kb import corpus/
    """
    from kb.corpus import import_corpus

    counts = import_corpus(_store(ctx), path, author, _phase)
    click.echo(
        f"imported {counts['topics']} topics, {counts['processes']} processes, "
        f"{counts['cases']} cases; entries: {counts['entries_new']} new, "
        f"{counts['entries_changed']} changed"
    )


@cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.pass_context
def export(ctx: click.Context, folder: str):
    """Write the database back as a corpus folder, in the import format.

    \b
    Example:
        kb export /tmp/corpus-backup
    """
    from kb.corpus import export_corpus

    files = export_corpus(_store(ctx), folder)
    click.echo(f"wrote {len(files)} files to {folder}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool):
    """Counts per topic, and the entries with no cases, no keywords or no process.

    \b
    Example:
        kb stats --json
    """
    from kb.search.calibrate import stored

    store = _store(ctx)
    fit = stored(store)
    report = {
        "totals": store.totals(),
        "topics": store.topic_counts(),
        "missing": store.entries_missing(),
        "last_import": store.last_import(),
        "calibration": fit.summary() if fit else None,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    totals = report["totals"]
    click.echo(
        f"{totals['topics']} topics, {totals['entries']} entries, "
        f"{totals['cases']} cases, {totals['processes']} processes"
    )
    click.echo(f"\n{'topic':<24} {'entries':>7} {'live':>5} {'cases':>6}  name")
    for t in report["topics"]:
        row = f"{t['topic']:<24} {t['entries']:>7} {t['live']:>5} {t['cases']:>6}"
        click.echo(f"{row}  {t['name']}")
    for what, ids in report["missing"].items():
        click.echo(f"\nentries with no {what}: {len(ids)}" + (f"  {_some(ids)}" if ids else ""))
    if fit is None:
        click.echo("\nsearch calibration: not fitted yet (the first search engine start fits it)")
    else:
        click.echo(f"\nsearch calibration ({fit.embedder}, {fit.entries} entries) at "
                   f"{fit.fitted_at}: {fit.note}; confidence line {fit.line:.3f} for "
                   f"precision {fit.target}")  # fmt: skip


def _some(ids: list[str]) -> str:
    """The first few ids of a list a terminal can hold (a 5k-entry import has 5k entries
    without cases); `--json` lists them all."""
    shown = ", ".join(ids[:LISTED_IDS])
    more = len(ids) - LISTED_IDS
    return f"{shown} … and {more} more (--json lists all)" if more > 0 else shown


@cli.group()
def entry():
    """Look at entries.

    \b
    Example:
        kb entry show return-7day-no-reason
    """


@entry.command("show")
@click.argument("entry_id")
@click.option("--json", "as_json", is_flag=True, help="Print the entry and its versions as JSON.")
@click.pass_context
def entry_show(ctx: click.Context, entry_id: str, as_json: bool):
    """Show an entry (its head version) and every saved version.

    \b
    Example:
        kb entry show return-7day-no-reason
    """
    store = _store(ctx)
    head = store.get_entry(entry_id)
    live = store.live_entry(entry_id)
    versions = store.versions(entry_id)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "entry": head.content() | {"version": head.version},
                    "live_version": live.version if live else None,
                    "versions": [
                        {k: v for k, v in vars(ver).items() if k != "content"} for ver in versions
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"{head.id}  {head.title}  [{head.topic}]  v{head.version} {head.status}")
    click.echo(f"live version: {live.version if live else 'none'}")
    click.echo(f"urgency {head.urgency}, handoff {head.handoff}")
    click.echo("questions:\n" + "\n".join(f"  - {q}" for q in head.questions))
    click.echo(
        "keywords:\n" + "\n".join(f"  {k}: {', '.join(s)}" for k, s in head.keywords.items())
    )
    click.echo("solution:\n" + "\n".join(f"  {line}" for line in head.solution.splitlines()))
    click.echo(f"processes: {', '.join(head.processes) or '-'}")
    click.echo(f"related: {', '.join(head.related) or '-'}")
    click.echo("versions:")
    for v in versions:
        click.echo(
            f"  v{v.version} {v.status:<9} {v.created_at} by {v.author}: "
            f"{', '.join(v.changed) or 'no change'}{' - ' + v.note if v.note else ''}"
        )


@cli.group()
def graph():
    """The scenario graph: neighbourhoods and the KB lint.

    \b
    Example:
        kb graph check
    """


@graph.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--code", type=click.Choice(LINT_CODES), help="Only the findings of this kind.")
@click.pass_context
def graph_check(ctx: click.Context, as_json: bool, code: str | None):
    """Lint the knowledge base; exit 1 if there are errors among the findings shown
    (warnings alone exit 0).

    Errors: dangling references, cases on retired entries, entries no root topic
    reaches. Warnings: keywords claimed by several scenarios, entries with no
    cases, keywords or process, orphan entries, unused processes. The last line
    counts them by kind.

    \b
    Example:
        kb graph check --code lexicon_conflict
    """
    from kb.graph.build import KnowledgeGraph
    from kb.graph.lint import check

    findings = check(KnowledgeGraph.from_store(_store(ctx)))
    findings = [f for f in findings if code in (None, f.code)]
    errors = [f for f in findings if f.level == "error"]
    if as_json:
        click.echo(json.dumps([vars(f) for f in findings], ensure_ascii=False, indent=2))
    else:
        for f in findings:
            click.echo(f"{f.level:<7} {f.code:<22} {f.message}")
        kinds = ", ".join(f"{c} {n}" for c, n in sorted(Counter(f.code for f in findings).items()))
        click.echo(f"\n{len(errors)} errors, {len(findings) - len(errors)} warnings"
                   + (f": {kinds}" if kinds else ""))  # fmt: skip
    sys.exit(1 if errors else 0)


@graph.command("show")
@click.argument("entry_id")
@click.option("--depth", default=DEPTH, show_default=True, type=click.IntRange(1, DEPTH_MAX))
@click.pass_context
def graph_show(ctx: click.Context, entry_id: str, depth: int):
    """Print an entry's neighbourhood: topic, keywords, processes, related entries, cases.

    \b
    Example:
        kb graph show return-quality-problem --depth 2
    """
    from kb.graph.build import KnowledgeGraph

    store = _store(ctx)
    store.get_entry(entry_id)
    sub = KnowledgeGraph.from_store(store).neighbourhood(entry_id, depth)
    me = f"entry:{entry_id}"
    click.echo(f"{me}  {sub.nodes[me]['label']}")
    for u, v, d in sorted(sub.edges(data=True), key=lambda e: (e[2]["rel"], e[0], e[1])):
        mark = "  " if me in (u, v) else "    "
        label = sub.nodes[v if u == me else u].get("label", "")
        click.echo(f"{mark}{u} -{d['rel']}-> {v}  {label[:40]}")


@cli.command()
@click.argument("query")
@click.option("--top", default=TOP, show_default=True, type=click.IntRange(1, TOP_MAX))
@click.option("--topic", help="Only this topic and its sub-topics.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@click.pass_context
def search(ctx: click.Context, query: str, top: int, topic: str | None, as_json: bool):
    """Search the live entries for a customer message, and say why each one matched.

    \b
    Example:
        kb search "買的鞋子不合適可以退貨嗎" --top 3
    """
    from kb.errors import InvalidParameter
    from kb.search import open_engine
    from kb.serialise import result_json

    if not query.strip():
        raise InvalidParameter("QUERY is empty: give the customer's message", "query")
    engine = open_engine(ctx.obj)
    topics = engine.store.topic_subtree(topic) if topic else None
    result = engine.search(query, top=top, topic=topics)
    if as_json:
        click.echo(json.dumps(result_json(result), ensure_ascii=False, indent=2))
        return
    verdict = "confident" if result.confident else "no confident answer"
    click.echo(f"query: {result.normalised!r}  ({verdict})")
    if result.ambiguous:
        click.echo(f"ambiguous with: {', '.join(result.ambiguous)}")
    for i, hit in enumerate(result.hits, start=1):
        ranks = " ".join(f"{k}#{v or '-'}" for k, v in hit.ranks.items())
        click.echo(f"\n{i}. {hit.entry.id}  {hit.entry.title}  [{hit.entry.topic}]  "
                   f"confidence {hit.confidence:.2f}  ({ranks})")  # fmt: skip
        if hit.keywords:
            click.echo(
                f"   keywords: {', '.join(hit.keywords)}  (query words: {', '.join(hit.terms)})"
            )
        click.echo(f"   closest phrasing: {hit.phrasing}")
        click.echo("   " + hit.entry.solution.strip().splitlines()[0])


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--ablate", is_flag=True, help="Also each retriever alone and each one left out.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--misses", is_flag=True, help="List the queries whose top hit is wrong.")
@click.option("--fusion", type=click.Choice(FUSIONS), default=FUSIONS[0], show_default=True,
              help="A weighted sum of scaled scores or reciprocal-rank fusion.")  # fmt: skip
@click.option("--cases", "cases_file", type=click.Path(exists=True, dir_okay=False),
              help="Also score similar cases: query<TAB>case ids joined by |.")  # fmt: skip
@click.pass_context
def eval_(ctx, file: str, ablate: bool, as_json: bool, misses: bool, fusion: str, cases_file):
    """Measure search quality on a labelled file: query<TAB>ids joined by | (or OUT).

    Prints n, hit@1, hit@3 and MRR@10 over in-scope lines; for the confident flag a
    chatbot acts on: coverage (in-scope lines answered confidently), answer precision
    (share of those right), OUT lines answered confidently (out_conf), and precision
    if the surest 50/70/90% were answered (p@c50, p@c70, p@c90).

    \b
    Example:
        kb eval tests/data/queries.tsv --ablate
    """
    from kb.search import open_engine
    from kb.search.engine import RESCORERS
    from kb.search.evaluate import evaluate, evaluate_cases, read_labelled

    engine = open_engine(ctx.obj, fusion)
    labelled = read_labelled(file, engine.store.ids("entries"))
    available = engine.retrievers()
    runs = {"+".join(available): available}
    if ablate:
        runs |= {f"{r} only": [r] for r in available if r not in RESCORERS}
        runs |= {f"without {r}": [x for x in available if x != r] for r in available}
    reports = {name: evaluate(engine, labelled, rs) for name, rs in runs.items()}
    main_report = next(iter(reports.values()))
    if cases_file:
        report = evaluate_cases(engine, read_labelled(cases_file, engine.store.ids("cases")))
        main_report |= {"cases_n": report.pop("n"), **report}
    wrong = main_report.pop("misses")
    for report in list(reports.values())[1:]:
        report.pop("misses")
    if as_json:
        out = main_report | ({"ablation": reports} if ablate else {})
        if ablate:
            out["ablation"] = {k: v for k, v in reports.items() if v is not main_report}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: embedder {ctx.obj['embedder']}, fusion {fusion}")
    click.echo(f"{'retrievers':<24} {'n':>5} {'hit@1':>6} {'hit@3':>6} {'mrr@10':>7} "
               f"{'out_n':>6} {'out_conf':>8} {'cover':>6} {'prec':>6} {'p@c50':>6} "
               f"{'p@c70':>6} {'p@c90':>6}")  # fmt: skip
    for name, r in reports.items():
        click.echo(f"{name:<24} {r['n']:>5} {r['hit@1']:>6.3f} {r['hit@3']:>6.3f} "
                   f"{r['mrr@10']:>7.3f} {r['out_n']:>6} {r['out_false_confident']:>8.3f} "
                   f"{r['coverage']:>6.3f} {r['answer_precision']:>6.3f} "
                   f"{r['precision@coverage50']:>6.3f} {r['precision@coverage70']:>6.3f} "
                   f"{r['precision@coverage90']:>6.3f}")  # fmt: skip
    if cases_file:
        click.echo(f"\nsimilar cases on {cases_file}: n {main_report['cases_n']}, "
                   f"precision@3 {main_report['case_precision@3']:.3f}, "
                   f"hit@3 {main_report['case_hit@3']:.3f}")  # fmt: skip
    if misses:
        for line, query, expected, got in wrong:
            click.echo(f"line {line}: {query}\n   expected {'|'.join(expected)}, got {got}")


@cli.command("eval-emotion")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--misses", is_flag=True, help="List the messages labelled wrong.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as one JSON object.")
@click.pass_context
def eval_emotion(ctx, file: str, misses: bool, as_json: bool):
    """Measure emotion detection on a labelled file: label<TAB>message (calm, anxious, angry).

    Prints accuracy, macro-F1, per-label precision, recall and F1, and the confusion
    table; also accuracy on odd and even lines separately (tune on one half, read the
    other). The learned model reads the configured embedder's vectors when it was
    trained on that embedder; otherwise the lexicon decides alone, as recommend does.

    \b
    Example:
        kb eval-emotion tests/data/emotion.tsv --json
    """
    from kb.recommend.emotion import LABELS
    from kb.recommend.emotion_model import model
    from kb.recommend.evaluate import evaluate_emotion, read_emotions, vectors_by
    from kb.search.embed import make_embedder

    labelled = read_emotions(file)
    embedder = make_embedder(ctx.obj["embedder"])
    learned = embedder is not None and model().reads(embedder.name)
    r = evaluate_emotion(labelled, vectors_by(embedder) if learned else None)
    r["detector"] = f"lexicon + model ({embedder.name})" if learned else "lexicon"
    if as_json:
        r["misses"] = [dict(zip(("line", "gold", "got", "message"), m, strict=True))
                       for m in r["misses"]]  # fmt: skip
        click.echo(json.dumps({"file": file, **r}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: {r['detector']}, n {r['n']}, accuracy {r['accuracy']:.3f} (odd lines "
               f"{r['accuracy_odd']:.3f}, even lines {r['accuracy_even']:.3f}), "
               f"macro-F1 {r['macro_f1']:.3f}")  # fmt: skip
    click.echo(f"{'label':<8} {'n':>4} {'precision':>9} {'recall':>7} {'f1':>6}   predicted: "
               + " ".join(f"{x:>7}" for x in LABELS))  # fmt: skip
    for label in LABELS:
        row = r["labels"][label]
        counts = " ".join(f"{r['confusion'][label][x]:>7}" for x in LABELS)
        click.echo(f"{label:<8} {row['n']:>4} {row['precision']:>9.3f} {row['recall']:>7.3f} "
                   f"{row['f1']:>6.3f}              {counts}")  # fmt: skip
    if misses:
        for line, gold, got, message in r["misses"]:
            click.echo(f"line {line}: {gold} -> {got}: {message}")


@cli.command("eval-facts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--misses", is_flag=True, help="List the messages where a fact came out wrong.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as one JSON object.")
def eval_facts(file: str, misses: bool, as_json: bool):
    """Measure facts extraction on a labelled file: message<TAB>fact=value ... (or -).

    Prints, per fact (order_id, tracking_no, photos, product, problem, phone, amount,
    address, date), how many values the file holds and the extractor found, with
    precision and recall; the problem is judged present or not. The product words are
    the shipped vocabulary (kb/recommend/products.yaml).

    \b
    Example:
        kb eval-facts tests/data/facts.tsv
    """
    from kb.recommend.evaluate import evaluate_facts, read_facts

    r = evaluate_facts(read_facts(file))
    if as_json:
        r["misses"] = [dict(zip(("line", "fact", "gold", "got", "message"), m, strict=True))
                       for m in r["misses"]]  # fmt: skip
        click.echo(json.dumps({"file": file, **r}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: {r['n']} messages")
    click.echo(f"{'fact':<12} {'labelled':>8} {'found':>6} {'right':>6} {'precision':>9} "
               f"{'recall':>7}")  # fmt: skip
    for fact, c in r["facts"].items():
        shown = [f"{x:.3f}" if x is not None else "-" for x in (c["precision"], c["recall"])]
        click.echo(f"{fact:<12} {c['gold']:>8} {c['found']:>6} {c['right']:>6} {shown[0]:>9} "
                   f"{shown[1]:>7}")  # fmt: skip
    if misses:
        for line, fact, gold, got, message in r["misses"]:
            click.echo(f"line {line}: {fact}: {gold} -> {got}: {message}")


def _rules(ctx, days, threshold, min_sample):
    from kb.authoring.monitor import Rules

    rules = Rules.from_settings(ctx.obj)
    rules.days = days or rules.days
    rules.threshold = rules.threshold if threshold is None else threshold
    rules.min_sample = rules.min_sample if min_sample is None else min_sample
    return rules


_window = [
    click.option("--days", type=click.IntRange(1, DAYS_MAX),
                 help=f"Window in days [default: {DEFAULTS['monitor_days']}]."),
    click.option("--threshold", type=click.FloatRange(0, 1), help="Flag above this takeover rate "
                 f"[default: {DEFAULTS['takeover_threshold']}]."),
    click.option("--min-sample", type=click.IntRange(1), help="Served recommendations a version "
                 f"needs before it is judged [default: {DEFAULTS['min_sample']}]."),
]  # fmt: skip


def _with_window(fn):
    for option in reversed(_window):
        fn = option(fn)
    return fn


@cli.command()
@_with_window
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of entry versions.")
@click.option("--all", "show_all", is_flag=True, help="Also versions under the minimum sample.")
@click.pass_context
def monitor(ctx, days, threshold, min_sample, as_json: bool, show_all: bool):
    """Takeover rate per entry version over the window; flag the ones over the threshold.

    Flagged versions first, then the worst rates. A flag stays open until a newer
    version of the entry is published; that version is then measured from zero.

    \b
    Example:
        kb simulate --days 14 --conversations 5000 && kb monitor
    """
    from kb.authoring import monitor as m

    rules = _rules(ctx, days, threshold, min_sample)
    rows = [r for r in m.monitor(_store(ctx), rules) if show_all or r.judged or r.flag]
    if as_json:
        out = [
            {"entry_id": r.stats.entry_id, "version": r.stats.version, "live": r.live,
             "served": r.stats.served, "takeovers": r.stats.takeovers,
             "rate": round(r.stats.rate, 4) if r.stats.rate is not None else None,
             "ci95": [round(x, 4) for x in m.wilson(r.stats.takeovers, r.stats.served)],
             "flagged": r.flagged, "flag_status": r.flag.status if r.flag else None}
            for r in rows
        ]  # fmt: skip
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"takeover rate over {rules.days} days since {rules.since()}: flag above "
               f"{rules.threshold:.0%} once a version served {rules.min_sample}")  # fmt: skip
    click.echo(f"{'entry':<34} {'ver':>3} {'served':>6} {'takeover':>8} {'rate':>6} "
               f"{'95% CI':>13}  flag")  # fmt: skip
    for r in rows:
        low, high = m.wilson(r.stats.takeovers, r.stats.served)
        mark = {"open": "FLAGGED", "rewritten": "rewritten"}.get(r.flag and r.flag.status, "")
        mark += "" if r.live else " (old version)"
        click.echo(f"{r.stats.entry_id:<34} {r.stats.version:>3} {r.stats.served:>6} "
                   f"{r.stats.takeovers:>8} {r.stats.rate or 0:>6.1%} "
                   f"{low:>6.1%}-{high:<6.1%}  {mark}")  # fmt: skip
    flagged = [r.stats.entry_id for r in rows if r.flagged]
    click.echo(f"\n{len(flagged)} flagged for rewrite" + (f": {', '.join(flagged)}" if flagged
                                                           else ""))  # fmt: skip


@cli.command()
@_with_window
@click.option("--min-count", default=MIN_COUNT, show_default=True, type=click.IntRange(1),
              help="Smallest group shown.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@click.pass_context
def gaps(ctx, days, threshold, min_sample, min_count: int, as_json: bool):
    """Content gaps: messages with no confident answer (or taken over with no entry), by need.

    \b
    Example:
        kb gaps --days 7
    """
    from kb.authoring.gaps import find_gaps
    from kb.search import open_engine

    rules = _rules(ctx, days, threshold, min_sample)
    found = find_gaps(_store(ctx), open_engine(ctx.obj), rules.since(), min_count)
    if as_json:
        click.echo(json.dumps([vars(g) for g in found], ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(found)} groups of unanswered messages since {rules.since()}")
    for g in found:
        near = f"nearest entry {g.nearest[0]} ({g.nearest[1]:.2f})" if g.nearest else ""
        click.echo(f"\n{g.count:>5}  {g.label}   {near}")
        for example in g.examples:
            click.echo(f"       - {example}")


@cli.command()
@click.option("--entry", "entry_id", default=None, help="Only this entry's suggestions.")
@click.option("--keywords", is_flag=True, help="Suggested keywords instead of phrasings.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
@click.pass_context
def suggestions(ctx, entry_id: str | None, keywords: bool, as_json: bool):
    """Phrasings customers used that their entry lacks, learnt from outcomes (pending ones);
    with --keywords, the words those phrasings share that the entry's lexicon lacks.

    \b
    Example:
        kb suggestions --entry return-shipping-fee
    """
    from kb.authoring.suggestions import pending
    from kb.search import open_engine
    from kb.serialise import ranked_json

    store = _store(ctx)
    if entry_id is not None:
        store.get_entry(entry_id)
    if keywords:
        _keyword_suggestions(store, open_engine(ctx.obj), entry_id, as_json)
        return
    ranked = pending(store, open_engine(ctx.obj), entry_id)
    if as_json:
        click.echo(json.dumps([ranked_json(r) for r in ranked], ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(ranked)} suggested phrasings" + (f" for {entry_id}" if entry_id else ""))
    for r in ranked:
        s = r.suggestion
        rank = f"rank {r.rank}" if r.rank else "not in the top 10"
        click.echo(f"{s.id:>6}  {s.entry_id:<28} strong {s.strong:>3}  weak {s.weak:>3}  "
                   f"{rank:<18} {s.text}")


def _keyword_suggestions(store, engine, entry_id: str | None, as_json: bool) -> None:
    from kb.authoring.keywords import suggested_keywords

    found = {i: [vars(k) for k in words] for i, words in
             suggested_keywords(store, engine, entry_id and [entry_id]).items()
             if words or i == entry_id}  # fmt: skip
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    click.echo(f"{sum(map(len, found.values()))} suggested keywords" +
               (f" for {entry_id}" if entry_id else f" for {len(found)} entries"))  # fmt: skip
    for i, words in found.items():
        for k in words:
            near = f"   (synonym of {k['synonym_of']}?)" if k["synonym_of"] else ""
            click.echo(f"{i:<28} {k['word']:<10} in {k['messages']:>3} of its learnt "
                       f"phrasings, {k['elsewhere']:>3} of others'   e.g. {k['examples'][0]}"
                       + near)  # fmt: skip


@cli.command()
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, DAYS_MAX))
@click.option("--conversations", default=5000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--bad", default=3, show_default=True, type=click.IntRange(0),
              help="Entries made deliberately bad.")  # fmt: skip
@click.pass_context
def simulate(ctx, days: int, conversations: int, seed: int, bad: int):
    """Replay realistic chatbot traffic through recommend and feedback, for a demo or a test.

    Queries are the corpus phrasings perturbed as customers type them; a few needs
    are missing from the corpus (gaps); a few entries are made bad until an editor
    publishes a new version of them.

    \b
    Example:
        kb simulate --days 14 --conversations 5000 --seed 7
    """
    from kb.demo.simulate import simulate as run
    from kb.search import open_engine

    store = _store(ctx)
    engine = open_engine(ctx.obj)
    with _progress(conversations, "conversations") as step:
        summary = run(engine, store, _rules(ctx, None, None, None), days, conversations, seed,
                      bad, progress=step)  # fmt: skip
    click.echo(f"{summary.recommendations} recommendations in {summary.conversations} "
               f"conversations over {days} days")  # fmt: skip
    click.echo("decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.decisions.items())))
    click.echo("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())))
    bad_list = ", ".join(f"{k} v{v}" for k, v in sorted(summary.bad.items())) or "none"
    click.echo(f"made bad: {bad_list}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def backup(ctx, file: str):
    """Copy the database to FILE while the server keeps running (SQLite online backup;
    for PostgreSQL it says what to run instead: pg_dump).

    \b
    Example:
        kb backup backups/kb-$(date +%F).db
    """
    store = _store(ctx)
    if Path(file).exists():
        raise click.UsageError(f"{file} exists; choose a new file")
    store.backup(file)
    totals = store.totals()
    click.echo(f"backed up {store.path} to {file}: {totals['entries']} entries, "
               f"{store.count_recommendations()} recommendations")  # fmt: skip


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def restore(ctx, file: str):
    """Replace the database with a backup made by `kb backup`, checked whole first.

    The backup is copied and migrated beside the database, then renamed over it; the
    replaced file is kept beside it until that succeeded. Refused while `kb serve` holds
    the database (its searches would keep serving the old index): stop the server first.
    For PostgreSQL it says what to run instead (pg_restore).

    \b
    Example:
        kb restore backups/kb-2026-11-23.db
    """
    store = _store(ctx)
    store.restore(file)
    click.echo(f"restored {store.path} from {file}: {store.totals()['entries']} entries")


@cli.command("migrate-store")
@click.option("--from", "source", required=True, help="The store to copy: a SQLite file or a "
              "postgresql:// URL.")  # fmt: skip
@click.option("--to", "target", required=True, help="An empty store to copy into: a "
              "postgresql:// URL (or a new SQLite file).")  # fmt: skip
def migrate_store(source: str, target: str):
    """Copy everything from one store into an empty one: entries with all their versions,
    cases, recommendations and outcomes, rollups, flags, tickets, suggestions, API keys,
    the imports log and settings. The counts are compared table by table; a target that
    holds anything is refused, and a failed copy leaves the target empty.

    \b
    Example:
        kb migrate-store --from kb-data/kb.db --to postgresql://kb@db.internal/kb
    """
    from kb.store.copy_store import copy_store

    if not is_url(source) and not Path(source).is_file():
        raise click.UsageError(f"--from {source}: no such file")
    origin, destination = Store(source), Store(target)
    copied = copy_store(origin, destination, lambda table: _phase(f"copying {table}"))
    click.echo(f"copied {origin.path} to {destination.path}, counts verified: "
               + ", ".join(f"{table} {n}" for table, n in sorted(copied.items()) if n))


@cli.group()
def keys():
    """API keys: each has a name and a role (see `kb keys create --help`); stored hashed.

    \b
    Example:
        kb keys create --role editor --name editor-1
    """


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="Who or what uses the key (unique).")
@click.pass_context
def keys_create(ctx, role: str, name: str):
    """Create a key and print it: it is shown this once, only its hash is kept.

    \b
    Example:
        kb keys create --role bot --name shop-bot
    """
    from kb.keys import create

    click.echo(create(_store(ctx), name, role))


@keys.command("list")
@click.pass_context
def keys_list(ctx):
    """Every key: name, role, the first characters that identify it, created, revoked.

    \b
    Example:
        kb keys list
    """
    from kb.text import display_width, pad

    keys = _store(ctx).api_keys()
    width = max([24, *(display_width(k["name"]) for k in keys)])
    click.echo(f"{pad('name', width)} {'role':<7} {'key starts':<14} {'created':<26} revoked")
    for k in keys:
        click.echo(f"{pad(k['name'], width)} {k['role']:<7} kb_{k['prefix']:<11} "
                   f"{k['created_at']:<26} {k['revoked_at'] or ''}")  # fmt: skip


@keys.command("revoke")
@click.argument("name")
@click.pass_context
def keys_revoke(ctx, name: str):
    """Revoke a key by name: every request with it is refused from now on.

    \b
    Example:
        kb keys revoke editor-1
    """
    _store(ctx).revoke_key(name)
    click.echo(f"revoked {name}")


@cli.command()
@click.option("--host", help=f"Address to listen on [default: {DEFAULTS['host']}].")
@click.option("--port", type=int, help=f"Port [default: {DEFAULTS['port']}].")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None):
    """Run the HTTP service (waitress). With no database yet, create it from the corpus.

    \b
    Example:
        kb serve --port 8080
    """
    from kb.api import create_app
    from kb.corpus import import_corpus
    from kb.serve import make_server

    settings = config.load({"db": ctx.obj["db"], "host": host, "port": port})
    # (the engine is built below, before listening, so the first search is not slow)
    fresh = not is_url(settings["db"]) and not Path(settings["db"]).exists()
    store = Store(settings["db"])
    if fresh or (store.last_import() is None and not store.count_entries()):
        click.echo(f"no knowledge in {store.path}: importing {settings['corpus']}")
        counts = import_corpus(store, settings["corpus"], "kb serve", _phase)
        click.echo(f"imported {counts['entries_new']} entries, {counts['cases']} cases")
    store.check_writable()  # a server that cannot save edits or feedback refuses to start
    serving = store.hold_for_serving()  # until this process exits: no restore under us
    try:
        if not store.api_keys():
            from kb.keys import create

            try:
                key = create(store, "admin", "admin")
                click.echo(f"created an admin API key (shown once; `kb keys create` makes "
                           f"more):\n    {key}")  # fmt: skip
            except KeyExists:  # a replica starting at the same moment made it, and showed it
                pass
        store.close()
        app = create_app(settings)
        _check_port(settings["host"], settings["port"])  # before the index: one line, at once
        server = make_server(app, settings)
        from kb.search import shared_engine

        click.echo(f"opening the search index (embedder {settings['embedder']}) ...")
        started = time.perf_counter()
        engine = shared_engine(app)
        engine.follow_changes()  # edits saved by other processes (replicas) indexed at once
        click.echo(f"search index {engine.start} in {time.perf_counter() - started:.1f} s "
                   f"({len(engine.entries)} entries)")  # fmt: skip
        base = f"http://{settings['host']}:{settings['port']}"
        click.echo(f"kefu-kb serving {store.path} at {base}  (health: {base}/api/v1/health)")
        click.echo(f"    agent sidebar:  {base}/sidebar\n    authoring UI:   {base}/author")
        sys.stdout.flush()  # the key and addresses reach a log file before the first request
        server.run()
    finally:
        serving.close()


def _phase(step: str) -> None:
    """A long command's step, on stderr as it begins (stdout keeps the result)."""
    click.echo(f"{step} ...", err=True)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal; elsewhere (a log, CI) one line per tenth done, so a long run is
    never silent for minutes."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            yield bar.update
        return
    done = [0]

    def step(n: int) -> None:
        before, done[0] = done[0], done[0] + n
        if before * 10 // total != done[0] * 10 // total or done[0] == total:
            click.echo(f"{label}: {done[0]}/{total}", err=True)

    yield step


def _check_port(host: str, port: int) -> None:
    """Refuse a port another process listens on, as one line (waitress would raise later,
    after the index is built, with a traceback)."""
    import socket

    from kb.errors import ConfigError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
            probe.bind(address)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", "port") from exc


def main():
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
