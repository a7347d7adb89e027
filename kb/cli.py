"""The `kb` command: the operator's way in (init, import, export, stats, entries, serve)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb import config
from kb.errors import KbError
from kb.store import Store


class _Group(click.Group):
    """Turn every KbError into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            for error in getattr(exc, "errors", None) or [exc]:
                click.echo(f"error: {error.message}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.option("--db", envvar="KB_DB", help="SQLite database file [default: kb-data/kb.db].")
@click.version_option(package_name="kefu-kb")
@click.pass_context
def cli(ctx: click.Context, db: str | None):
    """kefu-kb: knowledge graph and semantic search for e-commerce customer service.

    \b
    Example:
        kb import corpus/ && kb stats
    """
    ctx.obj = config.load({"db": db})


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

    counts = import_corpus(_store(ctx), path, author)
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
    store = _store(ctx)
    report = {
        "totals": store.totals(),
        "topics": store.topic_counts(),
        "missing": store.entries_missing(),
        "last_import": store.last_import(),
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
        click.echo(f"\nentries with no {what}: {len(ids)}" + (f"  {', '.join(ids)}" if ids else ""))


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


@cli.command()
@click.option("--host", help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, help="Port [default: 8080].")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None):
    """Run the HTTP service (waitress). With no database yet, create it from the corpus.

    \b
    Example:
        kb serve --port 8080
    """
    import waitress

    from kb.api import create_app
    from kb.corpus import import_corpus

    settings = config.load({"db": ctx.obj["db"], "host": host, "port": port})
    if not Path(settings["db"]).exists():
        click.echo(f"no database at {settings['db']}: importing {settings['corpus']}")
        counts = import_corpus(Store(settings["db"]), settings["corpus"], "kb serve")
        click.echo(f"imported {counts['entries_new']} entries, {counts['cases']} cases")
    app = create_app(settings)
    base = f"http://{settings['host']}:{settings['port']}"
    click.echo(f"kefu-kb serving {settings['db']} at {base}  (health: {base}/api/v1/health)")
    waitress.serve(
        app,
        host=settings["host"],
        port=settings["port"],
        threads=settings["threads"],
        ident="kefu-kb",
    )


def main():
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
