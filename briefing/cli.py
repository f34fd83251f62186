"""The command line: parse, call the library, print. The only module that knows about the terminal."""

from __future__ import annotations

import datetime as dt
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text
from typer.exceptions import TyperException

from briefing import config
from briefing.errors import EXIT_FAILED, EXIT_USAGE, BriefingError, ConfigurationError
from briefing.pipeline import generate as generate_brief
from briefing.render import citation_table_rows, citations_csv, citations_markdown
from briefing.review import load_brief, recheck_citations, record_decision, review_status
from briefing.schedule import schedule_text
from briefing.weekly import generate_weekly

app = typer.Typer(
    name="briefing",
    help="Turn a folder of news articles into a dated situation brief with verbatim citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class ExtractionProgress:
    """A progress bar on stderr while articles are extracted: done, cached, re-asked, failed."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("extracting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.counts = {"extracted": 0, "cached": 0, "reasked": 0, "failed": 0}
        self.task = self.progress.add_task("extract", total=None, counts="")

    def __enter__(self) -> ExtractionProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, event: str, count: int) -> None:
        if event == "total":
            self.progress.update(self.task, total=count)
            return
        self.counts[event] = self.counts.get(event, 0) + count
        advance = count if event in ("extracted", "cached", "failed") else 0
        summary = ", ".join(f"{n} {name}" for name, n in self.counts.items() if n)
        self.progress.update(self.task, advance=advance, counts=summary)


def _date(option: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{option} takes a date as YYYY-MM-DD, not {value!r}") from None


@app.command()
def generate(
    since: Annotated[str, typer.Option(help="First publication date to include (YYYY-MM-DD).")],
    until: Annotated[
        str | None, typer.Option(help="Last publication date (default: the newest article's).")
    ] = None,
    corpus: Annotated[Path, typer.Option(help="Folder of articles.")] = config.DEFAULT_CORPUS,
    out: Annotated[Path, typer.Option(help="Folder the brief is written to.")] = config.DEFAULT_OUT,
    format: Annotated[str, typer.Option(help="Comma-separated: md, json, html.")] = "md,json",
    extractor: Annotated[
        str, typer.Option(help="auto (llm when an API is configured), llm or offline.")
    ] = "auto",
    model: Annotated[
        str | None, typer.Option(help="Model name (default: BRIEFING_MODEL or gpt-4o-mini).")
    ] = None,
    undated: Annotated[str, typer.Option(help="include or exclude undated articles.")] = "include",
    mode: Annotated[
        str | None,
        typer.Option(help="instructor mode: tools (OpenAI), json_schema, json or md_json."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="LLM calls in flight at once.")] = 8,
    max_calls: Annotated[
        int | None, typer.Option(help="Stop before making more than this many LLM calls.")
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop before the estimated cost passes this (USD).")
    ] = None,
) -> None:
    """Write the brief for a period and print the paths of the files written.

    Example:

        briefing generate --since 2025-02-01 --format md,json,html
    """
    since_date = _date("--since", since)
    assert since_date is not None
    settings = config.Settings(
        backend=extractor,  # type: ignore[arg-type]  # checked by Settings
        model=model,
        mode=mode,
        concurrency=concurrency,
        max_calls=max_calls,
        max_cost_usd=max_cost,
    )
    with ExtractionProgress(err) as progress:
        result = generate_brief(
            since_date,
            _date("--until", until),
            corpus=corpus,
            out=out,
            formats=config.parse_formats(format),
            settings=settings,
            undated=undated,
            progress=progress.update,
        )
    for problem in result.warnings:
        err.print(f"warning: {problem}", markup=False)
    for problem in result.skipped:
        err.print(f"skipped {problem}", markup=False)
    stats = result.stats
    err.print(
        f"{len(result.brief.sources)} articles in the period ({stats.extracted} extracted,"
        f" {stats.cached} from the store), {result.excluded} outside it,"
        f" {len(result.skipped)} file(s) skipped; {len(result.brief.citations)} citations,"
        f" {sum(not c.verified for c in result.brief.citations)} unverified",
        markup=False,
    )
    usage = stats.usage
    if usage.calls:
        err.print(
            f"LLM: {usage.calls} calls, {stats.reasks} re-asks, {usage.retries} retries,"
            f" {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens,"
            f" about ${usage.cost_usd:.4f}",
            markup=False,
        )
    for path in result.paths:
        typer.echo(str(path))


@app.command()
def citations(
    brief_file: Annotated[Path, typer.Argument(metavar="BRIEF.json", help="A brief's JSON file.")],
    format: Annotated[str, typer.Option(help="table, md or csv.")] = "table",
    unverified: Annotated[
        bool, typer.Option("--unverified", help="Only rows that fail the check.")
    ] = False,
    source: Annotated[int | None, typer.Option(help="Only rows citing source [N].")] = None,
    rejected: Annotated[bool, typer.Option("--rejected", help="Only rejected claims.")] = False,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only claims not yet reviewed.")
    ] = False,
) -> None:
    """Print a brief's citation table, each quote checked again against its source file.

    Example:

        briefing citations briefs/brief-2025-02-01_2025-05-28.json --format csv
    """
    if format not in ("table", "md", "csv"):
        raise ConfigurationError(f"--format must be table, md or csv, not {format!r}")
    brief = load_brief(brief_file)
    rows, checked = recheck_citations(brief)
    if not checked:
        err.print(
            f"warning: corpus {brief.corpus} not found; showing the verification recorded in the brief",
            markup=False,
        )
    status = review_status(brief)
    if unverified:
        rows = [row for row in rows if not row.verified]
    if source is not None:
        rows = [row for row in rows if row.source == source]
    if rejected:
        rows = [
            r for r in rows if r.claim_id in status and status[r.claim_id].decision == "rejected"
        ]
    if pending:
        rows = [row for row in rows if row.claim_id not in status]
    decisions = {cid: review.decision for cid, review in status.items()}
    if format == "csv":
        typer.echo(citations_csv(rows, decisions), nl=False)
    elif format == "md":
        typer.echo(citations_markdown(rows, decisions))
    else:
        headers, cells = citation_table_rows(rows, decisions)
        table = Table(*headers, show_lines=True)
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))  # quotes are data, not rich markup
        out = Console(highlight=False)
        if not out.is_terminal:
            out.width = 200  # piped to a file or a pager: do not squeeze quotes into 80 columns
        out.print(table)


@app.command()
def weekly(
    week: Annotated[
        str | None, typer.Option(help="ISO week YYYY-Www (default: the last complete week).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Backfill every week from this date that has articles.")
    ] = None,
    corpus: Annotated[Path, typer.Option(help="Folder of articles.")] = config.DEFAULT_CORPUS,
    out: Annotated[
        Path, typer.Option(help="Folder the briefs are written to.")
    ] = config.DEFAULT_OUT,
    format: Annotated[str, typer.Option(help="Comma-separated: md, json, html.")] = "md,json",
    extractor: Annotated[str, typer.Option(help="auto, llm or offline.")] = "auto",
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    log: Annotated[Path | None, typer.Option(help="Append what the run did to this file.")] = None,
) -> None:
    """Write one brief per ISO week (Monday to Sunday) as OUT/YYYY-Www.md and .json, each
    with what changed since the week before. Safe under cron: no prompts, a lock per store.

    Example:

        briefing weekly --since 2025-02-01
    """
    formats = config.parse_formats(format)

    def note(line: str) -> None:
        err.print(line, markup=False)
        if log is not None:
            stamp = dt.datetime.now().isoformat(timespec="seconds")
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"{stamp} {line}\n")

    try:
        outcomes = generate_weekly(
            corpus=corpus,
            out=out,
            formats=formats,
            settings=config.Settings(backend=extractor, model=model),  # type: ignore[arg-type]
            week=week,
            since=_date("--since", since),
            log=note,
        )
    except BriefingError as error:
        note(f"failed: {error}")
        raise
    for outcome in outcomes:
        for path in outcome.paths:
            typer.echo(str(path))


@app.command()
def schedule(
    day: Annotated[str, typer.Option(help="Day of the week: mon ... sun.")] = "mon",
    time: Annotated[str, typer.Option(help="Time of day, HH:MM.")] = "07:00",
    corpus: Annotated[Path, typer.Option(help="Folder of articles.")] = config.DEFAULT_CORPUS,
    out: Annotated[
        Path, typer.Option(help="Folder the briefs are written to.")
    ] = config.DEFAULT_OUT,
) -> None:
    """Print a crontab line and a systemd service and timer that run `briefing weekly`.

    Example:

        briefing schedule --day mon --time 07:00
    """
    typer.echo(schedule_text(day, time, corpus, out, Path.cwd()), nl=False)


@app.command()
def review(
    claim_id: Annotated[
        str, typer.Argument(metavar="CLAIM_ID", help="A claim id from the citation table.")
    ],
    accept: Annotated[bool, typer.Option("--accept", help="The claim is right as cited.")] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="Leave the claim out of every later brief.")
    ] = False,
    note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    corpus: Annotated[
        Path, typer.Option(help="Folder of articles (finds the store).")
    ] = config.DEFAULT_CORPUS,
) -> None:
    """Record an analyst's decision on a claim (who, when, note) in the store.

    Example:

        briefing review 4b578c-e118c8 --reject --note "misattributed quote"
    """
    if accept == reject:
        raise ConfigurationError("give exactly one of --accept or --reject")
    decision = record_decision(claim_id, "accepted" if accept else "rejected", note, corpus)
    typer.echo(f"{decision.claim_id}: {decision.decision} by {decision.reviewer} at {decision.at}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one place turns errors into messages and exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        err.print("briefing: interrupted; finished work is kept in the store", markup=False)
        return 130
    except TyperException as error:  # usage errors: unknown option, missing value
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        err.print(f"briefing: {message} (see briefing --help)", markup=False)
        return EXIT_USAGE
    except BriefingError as error:
        if config.debug_enabled():
            traceback.print_exc()
        err.print(f"briefing: {error}", markup=False)
        return error.exit_code
    except KeyboardInterrupt:
        err.print("briefing: interrupted; finished work is kept in the store", markup=False)
        return 130
    except Exception as error:  # a bug: say so in one line unless debugging
        if config.debug_enabled():
            raise
        err.print(
            f"briefing: unexpected error: {type(error).__name__}: {error}"
            " (set BRIEFING_DEBUG=1 to see the traceback)",
            markup=False,
        )
        return EXIT_FAILED
    return 0


def run() -> None:
    sys.exit(main())
