"""The command line: parse, call the library, print. The only module that knows about the terminal.

Flags are named here: typer checks choices (enums) and ranges and names the flag in its
message, and the few checks typer cannot make (a comma list, a finite cost, a source
number) raise `typer.BadParameter` naming theirs. Library errors name settings fields.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text
from typer import _click as click
from typer.core import TyperGroup
from typer.exceptions import TyperException

from briefing import __version__, config
from briefing.assemble import counted
from briefing.costs import Usage
from briefing.errors import (
    EXIT_FAILED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    BriefingError,
    ConfigurationError,
    CorpusError,
    ExtractionError,
)
from briefing.pipeline import generate as generate_brief
from briefing.render import (
    citation_table_rows,
    citations_csv,
    citations_json,
    citations_markdown,
    citations_tsv,
    escape_controls,
)
from briefing.review import load_brief, recheck_citations, record_decision, review_status
from briefing.schedule import parse_time, schedule_text
from briefing.weekly import generate_weekly

ENVIRONMENT_HELP = f"""Environment:

OPENAI_API_KEY: use the LLM (OpenAI). OPENAI_BASE_URL or BRIEFING_BASE_URL: an OpenAI-compatible server (Ollama, vLLM, llama.cpp).

BRIEFING_MODEL, BRIEFING_MODE, BRIEFING_TIMEOUT, BRIEFING_MAX_TOKENS, BRIEFING_CONTEXT, BRIEFING_PART_TOKENS, BRIEFING_TEMPERATURE, BRIEFING_REASKS: defaults for the options of those names (`briefing doctor` suggests them for a server). BRIEFING_LEXICON: more lexicon files, separated by "{os.pathsep}".

BRIEFING_HOME: the store (default: .briefing/ beside the corpus folder). BRIEFING_DEBUG=1: show the traceback of an error.

Exit codes: 0 done, 1 failed, 2 usage or configuration error, 3 partial (the brief was written without some articles, named on stderr and in the brief, or with the offline rules standing in for a failed model call), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, or SIGTERM mapped onto it, raised where the run is; `finished` counts the
    extractions this run saved before it (None when the command cannot tell)."""

    def __init__(self, signum: int, finished: int | None = None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.finished = finished

    @classmethod
    def of(cls, stop: BaseException, finished: int | None = None) -> Interrupted:
        """`stop` as an Interrupted; a plain KeyboardInterrupt is a Ctrl-C."""
        signum = getattr(stop, "signum", signal.SIGINT)
        known = getattr(stop, "finished", None)
        return cls(signum, finished if finished is not None else known)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM

    @property
    def message(self) -> str:
        if self.finished is None:
            return "interrupted; finished work is kept in the store: run again to continue"
        articles = "article" if self.finished == 1 else "articles"
        return f"interrupted: {self.finished} {articles} finished and kept; run again to continue"


class _Stopped(Exception):
    """An Interrupted on its way out of a command. typer turns a KeyboardInterrupt into a
    bare exit code 130, losing the signal and the count; this gets both to main()."""

    def __init__(self, interrupted: Interrupted) -> None:
        super().__init__(interrupted.message)
        self.interrupted = interrupted


class _Group(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as stop:
            raise _Stopped(Interrupted.of(stop)) from None


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Interrupted` at once, wherever the run is.

    At once, not at asyncio's next await: an offline extraction never awaits, so the
    loop would only notice a Ctrl-C when every article was done. Each save to the store
    is one transaction, rolled back when interrupted, so a stop never leaves half an
    extraction. A signal the parent ignores (nohup, a background job) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers (an embedding application)
        return
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not signal.SIG_IGN:
            previous[signum] = handler if handler is not None else signal.SIG_DFL
            signal.signal(signum, _raise_interrupted)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


app = typer.Typer(
    name="briefing",
    cls=_Group,
    help="Turn a folder of news articles into a dated situation brief with verbatim citations.",
    epilog=ENVIRONMENT_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def terminal_safe(text: str, keep: str = "") -> str:
    """Text fit for a terminal: every control character but those in `keep` shown as a
    visible escape (ESC as \\x1b, C1 and bidirectional controls as \\u009b).

    Article text, outlets and file names are scraped: printed raw, an ESC sequence in
    them would clear the screen, retitle the window or hide lines. Everything the CLI
    prints goes through here (`_say`, `_echo`).
    """
    return escape_controls(text, keep)


def _say(line: str) -> None:
    """One line on stderr."""
    err.print(terminal_safe(line), markup=False)


def _echo(text: str, *, nl: bool = True) -> None:
    """Text on stdout; its own line breaks and tabs are kept."""
    typer.echo(terminal_safe(text, keep="\n\t"), nl=nl)


def _example(*lines: str) -> str:
    """A command's help epilog: its Example block, shown after the options."""
    return "Example:\n\n" + "\n\n".join(f"  {line}" for line in lines)


class Extractor(StrEnum):
    auto = "auto"
    llm = "llm"
    offline = "offline"


class Mode(StrEnum):
    tools = "tools"
    json_schema = "json_schema"
    json = "json"
    md_json = "md_json"


class Undated(StrEnum):
    include = "include"
    exclude = "exclude"


class CitationFormat(StrEnum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"


class Day(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(repr(value) for value in values)


def _check_formats(value: str) -> str:
    """--format is a comma list, which typer cannot check as a choice: check it here."""
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in parts if part not in config.SUPPORTED_FORMATS]
    if not parts:
        raise typer.BadParameter(f"give one or more of {_choices(config.SUPPORTED_FORMATS)}")
    if unknown:
        raise typer.BadParameter(
            f"{unknown[0]!r} is not one of {_choices(config.SUPPORTED_FORMATS)}"
            " (a comma-separated list, e.g. md,json,html)"
        )
    return ",".join(dict.fromkeys(parts))


def _complete_formats(incomplete: str) -> list[str]:
    """Complete the last item of a comma list."""
    done, _, last = incomplete.rpartition(",")
    chosen = {part.strip() for part in done.split(",")}
    prefix = f"{done}," if done else ""
    return [
        prefix + name
        for name in config.SUPPORTED_FORMATS
        if name.startswith(last) and name not in chosen
    ]


def _check_cost(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number of dollars")
    return value


def _check_timeout(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a number of seconds > 0")
    return value


def _check_time(value: str) -> str:
    try:
        parse_time(value)
    except ConfigurationError:
        raise typer.BadParameter(
            f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)"
        ) from None
    return value


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"briefing {__version__}")
        raise typer.Exit()


# Options that several commands share, defined once.
CorpusOption = Annotated[Path, typer.Option(metavar="DIR", help="Folder of articles.")]
FormatOption = Annotated[
    str,
    typer.Option(
        metavar="md,json,html",
        help="Comma-separated: md, json, html.",
        callback=_check_formats,
        autocompletion=_complete_formats,
    ),
]
ExtractorOption = Annotated[
    Extractor,
    typer.Option(help="auto is llm when OPENAI_API_KEY or a base URL is set, else offline."),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        envvar="BRIEFING_MODEL",
        show_envvar=True,
        help=f"LLM model name (default: {config.DEFAULT_MODEL}).",
    ),
]
ModeOption = Annotated[
    Mode | None,
    typer.Option(
        envvar="BRIEFING_MODE",
        show_envvar=True,
        help="instructor mode (default: tools, for OpenAI; local servers usually want"
        " json_schema, json or md_json).",
    ),
]
ConcurrencyOption = Annotated[
    int, typer.Option(min=1, metavar="N", help="LLM calls in flight at once.")
]
MaxCallsOption = Annotated[
    int | None,
    typer.Option(min=0, metavar="N", help="Stop before making more than this many LLM calls."),
]
MaxCostOption = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        metavar="USD",
        callback=_check_cost,
        help="Stop before the estimated LLM cost passes this many dollars.",
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        metavar="SECONDS",
        envvar="BRIEFING_TIMEOUT",
        show_envvar=True,
        callback=_check_timeout,
        help="Give up on an LLM call that takes longer than this, however slowly the server"
        " keeps sending (retried once; default: 120).",
    ),
]
MaxTokensOption = Annotated[
    int | None,
    typer.Option(
        min=config.MIN_TOKENS,
        metavar="TOKENS",
        envvar="BRIEFING_MAX_TOKENS",
        show_envvar=True,
        help="The longest answer an LLM call may get, sent with every call (a model that"
        f" never stops is cut off; default: {config.DEFAULT_MAX_TOKENS}).",
    ),
]
ContextOption = Annotated[
    int | None,
    typer.Option(
        "--context",
        min=config.MIN_TOKENS,
        metavar="TOKENS",
        envvar="BRIEFING_CONTEXT",
        show_envvar=True,
        help="The model's context size (a local server's -c / n_ctx): articles are sent in"
        " parts that fit it with the prompt, the answers and the re-asks.",
    ),
]
PartTokensOption = Annotated[
    int | None,
    typer.Option(
        min=config.MIN_TOKENS,
        metavar="TOKENS",
        envvar="BRIEFING_PART_TOKENS",
        show_envvar=True,
        help="Article text per extraction call, in estimated tokens; overrides --context"
        f" (default: {config.DEFAULT_PART_TOKENS}).",
    ),
]
TemperatureOption = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=2.0,
        metavar="T",
        envvar="BRIEFING_TEMPERATURE",
        show_envvar=True,
        help=f"Sampling temperature of every LLM call (default: {config.DEFAULT_TEMPERATURE:g}).",
    ),
]
ReasksOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        metavar="N",
        envvar="BRIEFING_REASKS",
        show_envvar=True,
        help="Times an answer that fails validation is sent back to the model (each re-ask"
        f" resends the earlier answers; default: {config.DEFAULT_REASKS}).",
    ),
]


@dataclass(frozen=True)
class ServerOptions:
    """What a real server needs, as given on the command line (None: the default)."""

    timeout: float | None = None
    max_tokens: int | None = None
    context: int | None = None
    part_tokens: int | None = None
    temperature: float | None = None
    reasks: int | None = None


LexiconOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--lexicon",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        help="A lexicon file (names, aliases, parties, stance words) added to the packaged"
        " one; repeat for more. BRIEFING_LEXICON adds more.",
    ),
]


def _settings(
    extractor: Extractor,
    model: str | None,
    mode: Mode | None,
    concurrency: int,
    max_calls: int | None,
    max_cost: float | None,
    lexicon: list[Path] | None,
    server: ServerOptions | None = None,
) -> config.Settings:
    server = server or ServerOptions()
    return config.Settings(
        backend=extractor.value,
        model=model,
        mode=mode.value if mode is not None else None,
        concurrency=concurrency,
        max_calls=max_calls,
        max_cost_usd=max_cost,
        timeout=server.timeout,
        max_tokens=server.max_tokens,
        context_tokens=server.context,
        part_tokens=server.part_tokens,
        temperature=server.temperature,
        reasks=server.reasks,
        lexicon_files=tuple(lexicon or ()),
    )


def _usage_line(usage: Usage, reasks: int | None = None) -> str:
    asked = f" {reasks} re-asks," if reasks is not None else ""
    return (
        f"LLM: {usage.calls} calls,{asked} {usage.retries} retries,"
        f" {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens,"
        f" {usage.cost_text()}"
    )


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:  # no command: the help, and success
        text = ctx.get_help()  # rich prints it itself and returns ""
        if text:
            typer.echo(text)


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


def _refuse_out_inside_corpus(out: Path, corpus: Path) -> None:
    """Briefs written into the corpus would be read as articles by the next run."""
    real_out, real_corpus = Path(os.path.realpath(out)), Path(os.path.realpath(corpus))
    if real_out.is_relative_to(real_corpus):
        raise ConfigurationError(
            f"--out {out} is inside --corpus {corpus}: the next run would read the briefs"
            " written there as articles; give an --out folder outside the corpus"
        )


def _date(option: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{option} takes a date as YYYY-MM-DD, not {value!r}") from None


@app.command(epilog=_example("briefing generate --since 2025-02-01 --format md,json,html"))
def generate(
    since: Annotated[
        str, typer.Option(metavar="YYYY-MM-DD", help="First publication date to include.")
    ],
    until: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD", help="Last publication date (default: the newest article's)."
        ),
    ] = None,
    corpus: CorpusOption = config.DEFAULT_CORPUS,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="Folder the brief is written to.")
    ] = config.DEFAULT_OUT,
    format: FormatOption = "md,json",
    extractor: ExtractorOption = Extractor.auto,
    model: ModelOption = None,
    mode: ModeOption = None,
    undated: Annotated[
        Undated, typer.Option(help="Include undated articles (flagged) or leave them out.")
    ] = Undated.include,
    concurrency: ConcurrencyOption = config.DEFAULT_CONCURRENCY,
    max_calls: MaxCallsOption = None,
    max_cost: MaxCostOption = None,
    timeout: TimeoutOption = None,
    max_tokens: MaxTokensOption = None,
    context: ContextOption = None,
    part_tokens: PartTokensOption = None,
    temperature: TemperatureOption = None,
    reasks: ReasksOption = None,
    lexicon: LexiconOption = None,
) -> None:
    """Write the brief for a period and print the paths of the files written.

    Exits 3 when the brief is partial: articles that could not be read are named on
    stderr and in the brief, which is written from the rest.
    """
    since_date = _date("--since", since)
    assert since_date is not None
    _refuse_out_inside_corpus(out, corpus)
    server = ServerOptions(timeout, max_tokens, context, part_tokens, temperature, reasks)
    settings = _settings(extractor, model, mode, concurrency, max_calls, max_cost, lexicon, server)
    progress = ExtractionProgress(err)
    try:
        with progress:
            result = generate_brief(
                since_date,
                _date("--until", until),
                corpus=corpus,
                out=out,
                formats=config.parse_formats(format),
                settings=settings,
                undated=undated.value,
                progress=progress.update,
            )
    except KeyboardInterrupt as stop:
        # Each "extracted" event follows the extraction's save to the store.
        raise _Stopped(Interrupted.of(stop, progress.counts["extracted"])) from None
    except BriefingError as error:
        for failure in error.failures if isinstance(error, ExtractionError) else ():
            _say(f"not read: {failure}")  # one line per article; main() says what it means
        if error.usage is not None and error.usage.calls:
            _say(_usage_line(error.usage))  # what the failed run spent; main() says why
        raise
    for problem in result.warnings:
        _say(f"warning: {problem}")
    for problem in result.skipped:
        _say(f"skipped {problem}")
    stats = result.stats
    for problem in stats.failed:
        _say(f"not read: {problem}")
    for fallback in stats.fallbacks:
        _say(f"warning: the model's call failed, so {fallback}")
    unread = f", {len(stats.failed)} not read" if stats.failed else ""
    empty = f", {len(stats.empty)} with no claim" if stats.empty else ""
    _say(
        f"{len(result.brief.sources)} articles in the period ({stats.extracted} extracted,"
        f" {stats.cached} from the store{unread}{empty}), {result.excluded} outside it,"
        f" {len(result.skipped)} file(s) skipped; {len(result.brief.citations)} citations,"
        f" {sum(not c.verified for c in result.brief.citations)} unverified"
    )
    if stats.usage.calls:
        _say(_usage_line(stats.usage, stats.reasks))
    for path in result.paths:
        _echo(str(path))
    if stats.partial:
        _say("partial brief: it says what it lacks (exit code 3)")
        raise typer.Exit(EXIT_PARTIAL)


def _citation_table(headers: list[str], cells: list[list[str]]) -> Table:
    """The citation table for a terminal, readable at 80 columns.

    Nine columns do not fit 80, so pairs share a cell (claim over finding, path over
    outlet and date, verified over review); ids are never wrapped or cut, and long paths
    and quotes fold.
    """
    at = {name: headers.index(name) for name in headers}

    def cell(row: list[str], name: str) -> str:
        # Article text is data, not rich markup; its line breaks and tabs fold as spaces.
        return terminal_safe(row[at[name]].translate(_WHITESPACE_TO_SPACE))

    def pair(row: list[str], first: str, second: str, sep: str = "\n") -> Text:
        return Text(cell(row, first) + sep + cell(row, second))

    id_width = max(
        (len(row[at[name]]) for row in cells for name in ("claim", "finding")), default=5
    )
    table = Table(show_lines=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("claim\nfinding", no_wrap=True, min_width=id_width)
    table.add_column("source", overflow="fold", ratio=1, min_width=12)
    table.add_column("quote", overflow="fold", ratio=2, min_width=16)
    table.add_column("verified\nreview", no_wrap=True)
    for row in cells:
        source = (
            cell(row, "source")
            + "\n"
            + " ".join(part for part in (cell(row, "outlet"), cell(row, "date")) if part)
        )
        table.add_row(
            Text(cell(row, "#")),
            pair(row, "claim", "finding"),
            Text(source),
            Text(cell(row, "quote")),
            pair(row, "verified", "review"),
        )
    return table


_WHITESPACE_TO_SPACE = str.maketrans({"\n": " ", "\r": " ", "\t": " "})


@app.command(
    epilog=_example(
        "briefing citations briefs/brief-2025-02-01_2025-05-28.json --format csv",
        "briefing citations briefs/2025-W22.json --unverified || echo 'a quote no longer verifies'",
    )
)
def citations(
    ctx: typer.Context,
    brief_file: Annotated[Path, typer.Argument(metavar="BRIEF.json", help="A brief's JSON file.")],
    format: Annotated[
        CitationFormat,
        typer.Option(
            help="table (tab-separated when not printed to a terminal), md, csv, or json"
            " (a list of rows with their verified flag and review decision)."
        ),
    ] = CitationFormat.table,
    unverified: Annotated[
        bool,
        typer.Option(
            "--unverified",
            help="Only rows that fail the check. Exits 1 if there is one, or if the corpus cannot"
            " be found to check against, so a script can gate on it.",
        ),
    ] = False,
    source: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Only rows citing source N.")
    ] = None,
    rejected: Annotated[bool, typer.Option("--rejected", help="Only rejected claims.")] = False,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only claims not yet reviewed.")
    ] = False,
    corpus: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            exists=True,
            file_okay=False,
            help="Where the articles are now, if the corpus folder moved since the brief was made.",
        ),
    ] = None,
) -> None:
    """Print a brief's citation table, each quote checked again against its source file."""
    brief = load_brief(brief_file)
    if source is not None:
        numbers = sorted(s.id for s in brief.sources)
        if source not in numbers:
            within = f"{numbers[0]} to {numbers[-1]}" if numbers else "none: it has no sources"
            raise typer.BadParameter(
                f"no source {source} in {brief_file}; its sources are {within}",
                ctx=ctx,
                param_hint="'--source'",
            )
    rows, checked = recheck_citations(brief, corpus)
    if not checked:
        where = f"corpus {brief.corpus} not found"
        if unverified:  # a gate must not pass on quotes it could not check
            raise CorpusError(f"{where}: cannot check the quotes again; give --corpus DIR")
        _say(
            f"warning: {where}; showing the verification recorded in the brief"
            " (give --corpus DIR if it moved)"
        )
    status = review_status(brief, corpus)
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
    if format is CitationFormat.json:
        _echo(citations_json(rows, decisions), nl=False)
    elif format is CitationFormat.csv:
        _echo(citations_csv(rows, decisions), nl=False)
    elif format is CitationFormat.md:
        _echo(citations_markdown(rows, decisions))
    else:
        out = Console(highlight=False)
        if out.is_terminal:
            out.print(_citation_table(*citation_table_rows(rows, decisions)))
        else:  # a pipe or a file: one line per row, not a box drawing
            _echo(citations_tsv(rows, decisions), nl=False)
    if unverified and rows:
        raise typer.Exit(EXIT_FAILED)


@app.command(
    epilog=_example(
        "briefing weekly --since 2025-02-01",
        "briefing weekly --week 2025-W22 --format md,json,html --log briefs/weekly.log",
    )
)
def weekly(
    week: Annotated[
        str | None,
        typer.Option(metavar="YYYY-Www", help="ISO week (default: the last complete week)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD", help="Backfill every week from this date that has articles."
        ),
    ] = None,
    corpus: CorpusOption = config.DEFAULT_CORPUS,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="Folder the briefs are written to.")
    ] = config.DEFAULT_OUT,
    format: FormatOption = "md,json",
    extractor: ExtractorOption = Extractor.auto,
    model: ModelOption = None,
    mode: ModeOption = None,
    concurrency: ConcurrencyOption = config.DEFAULT_CONCURRENCY,
    max_calls: MaxCallsOption = None,
    max_cost: MaxCostOption = None,
    timeout: TimeoutOption = None,
    max_tokens: MaxTokensOption = None,
    context: ContextOption = None,
    part_tokens: PartTokensOption = None,
    temperature: TemperatureOption = None,
    reasks: ReasksOption = None,
    lexicon: LexiconOption = None,
    log: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Append what the run did to this file.")
    ] = None,
) -> None:
    """Write one brief per ISO week (Monday to Sunday), with what changed since the week before.

    Files are OUT/YYYY-Www.md and .json. Safe under cron: no prompts, a lock per store.
    """

    def record(line: str) -> None:
        if log is not None:
            stamp = dt.datetime.now().isoformat(timespec="seconds")
            try:
                with log.open("a", encoding="utf-8") as handle:
                    handle.write(f"{stamp} {terminal_safe(line)}\n")  # read with tail, less
            except OSError as error:
                raise BriefingError(
                    f"cannot write the log {log}: {error.strerror or error}"
                ) from None

    def note(line: str) -> None:
        _say(line)
        record(line)

    _refuse_out_inside_corpus(out, corpus)
    if log is not None:
        try:  # the folder `briefing schedule` names may not exist yet
            log.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(
                f"--log {log}: cannot make its folder: {error.strerror or error}"
            ) from None
    try:
        outcomes = generate_weekly(
            corpus=corpus,
            out=out,
            formats=config.parse_formats(format),
            settings=_settings(
                extractor,
                model,
                mode,
                concurrency,
                max_calls,
                max_cost,
                lexicon,
                ServerOptions(timeout, max_tokens, context, part_tokens, temperature, reasks),
            ),
            week=week,
            since=_date("--since", since),
            log=note,
        )
    except KeyboardInterrupt as stop:
        interrupted = Interrupted.of(stop)
        with contextlib.suppress(BriefingError):
            record(interrupted.message)  # main() prints it, once
        raise _Stopped(interrupted) from None
    except BriefingError as error:
        with contextlib.suppress(BriefingError):
            record(f"failed: {error}")  # main() prints it, once
        raise
    except Exception as error:
        with contextlib.suppress(BriefingError):
            record(f"failed: unexpected error: {type(error).__name__}: {error}")
        raise
    for outcome in outcomes:
        for path in outcome.paths:
            _echo(str(path))
    if any(outcome.partial for outcome in outcomes):
        raise typer.Exit(EXIT_PARTIAL)


@app.command(epilog=_example("briefing schedule --day mon --time 07:00"))
def schedule(
    day: Annotated[Day, typer.Option(help="Day of the week.")] = Day.mon,
    time: Annotated[
        str, typer.Option(metavar="HH:MM", callback=_check_time, help="Time of day.")
    ] = "07:00",
    corpus: CorpusOption = config.DEFAULT_CORPUS,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="Folder the briefs are written to.")
    ] = config.DEFAULT_OUT,
) -> None:
    """Print a crontab line and a systemd service and timer that run `briefing weekly`."""
    _echo(schedule_text(day.value, time, corpus, out, Path.cwd()), nl=False)


@app.command(epilog=_example('briefing review 4b578c-e118c8 --reject --note "misattributed quote"'))
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
        Path, typer.Option(metavar="DIR", help="Folder of articles (finds the store).")
    ] = config.DEFAULT_CORPUS,
) -> None:
    """Record an analyst's decision on a claim (who, when, note) in the store."""
    if accept == reject:
        raise ConfigurationError("give exactly one of --accept or --reject")
    decision = record_decision(claim_id, "accepted" if accept else "rejected", note, corpus)
    _echo(f"{decision.claim_id}: {decision.decision} by {decision.reviewer} at {decision.at}")


# --- briefing batch: backfills through the Batch API (briefing/llm/batch.py) --------------

batch_app = typer.Typer(
    name="batch",
    help="Backfill a corpus through the OpenAI Batch API: half the price, answered within 24 h.",
    epilog=_example(
        "briefing batch submit --corpus year/", "briefing batch collect --corpus year/ --wait"
    ),
    no_args_is_help=True,
)
app.add_typer(batch_app)


def _batch_settings(
    model: str | None, mode: Mode | None, lexicon: list[Path] | None, timeout: float | None
) -> config.Settings:
    return _settings(
        Extractor.llm,
        model,
        mode,
        config.DEFAULT_CONCURRENCY,
        None,
        None,
        lexicon,
        ServerOptions(timeout=timeout),
    )


def _batch_line(state: Any) -> str:
    """One submission as `batch status` and `batch collect` show it."""
    submission = state.submission
    name = submission.batch_id or f"(not sent: {submission.submission})"
    counts = [counted(state.articles, "article")]
    if state.answered:
        counts.append(f"{state.answered} answered")
    if state.failed:
        counts.append(f"{state.failed} failed")
    if state.api_total is not None and state.pending:
        counts.append(f"{state.api_done}/{state.api_total} requests done")
    note = f"; {submission.note}" if submission.note else ""
    return f"{name}  {submission.status}  {submission.model}  {', '.join(counts)}{note}"


@batch_app.command(
    "submit",
    epilog=_example(
        "briefing batch submit --corpus year/",
        "briefing batch submit --corpus year/ --since 2024-06-01 --model gpt-4o-mini",
    ),
)
def batch_submit(
    corpus: CorpusOption = config.DEFAULT_CORPUS,
    since: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="Only articles published from this date."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="Only articles up to this date.")
    ] = None,
    undated: Annotated[
        Undated, typer.Option(help="With --since: include undated articles or leave them out.")
    ] = Undated.include,
    model: ModelOption = None,
    mode: ModeOption = None,
    timeout: TimeoutOption = None,
    lexicon: LexiconOption = None,
) -> None:
    """Send the extraction of every article not yet in the store as one batch, and print its id.

    Running it again sends only what is neither extracted nor in a batch already sent, and
    finishes a submission that a stop cut short.
    """
    from briefing.llm.batch import submit_batch

    result = submit_batch(
        corpus,
        settings=_batch_settings(model, mode, lexicon, timeout),
        since=_date("--since", since),
        until=_date("--until", until),
        undated=undated.value,
    )
    for name in result.forgotten:
        _say(f"submission {name} was never sent and its file is gone: its articles are sent anew")
    requests = sum(s.requests for s in result.submitted)
    batches = len(result.submitted)
    _say(
        f"{counted(result.articles, 'article')} sent ({counted(requests, 'request')} in"
        f" {batches} batch{'' if batches == 1 else 'es'}); {result.cached} already in the store,"
        f" {result.in_batch} in a batch sent before"
    )
    if result.submitted:
        _say(f"collect the answers with: briefing batch collect --corpus {corpus} --wait")
    for submission in result.submitted:
        _echo(submission.batch_id or submission.submission)


@batch_app.command("status", epilog=_example("briefing batch status --corpus year/"))
def batch_status_command(corpus: CorpusOption = config.DEFAULT_CORPUS) -> None:
    """List the batches sent from this corpus's store and how far each has come."""
    from briefing.llm.batch import batch_status

    states = batch_status(corpus, settings=_batch_settings(None, None, None, None))
    if not states:
        _say("no batch has been sent from this store: briefing batch submit sends one")
    for state in states:
        _echo(_batch_line(state))


class CollectProgress:
    """One display on stderr: a bar per running batch, then the extraction of its answers.
    Off a terminal, a line each time a batch's count changes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.batches: dict[str, Any] = {}
        self.last: dict[str, tuple[int, int]] = {}
        self.extraction: Any = None
        self.counts = {"extracted": 0, "cached": 0, "reasked": 0, "failed": 0}

    def __enter__(self) -> CollectProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def batch(self, submission: Any, done: int, total: int) -> None:
        name = submission.batch_id or submission.submission
        if name not in self.batches:
            self.batches[name] = self.progress.add_task(f"batch {name}", total=total, counts="")
        self.progress.update(self.batches[name], completed=done, total=total)
        if not self.console.is_terminal and self.last.get(name) != (done, total):
            _say(f"batch {name}: {done}/{total} requests done")
        self.last[name] = (done, total)

    def extract(self, event: str, count: int) -> None:
        if self.extraction is None:
            self.extraction = self.progress.add_task("extracting", total=None, counts="")
        if event == "total":
            self.progress.update(self.extraction, total=count)
            return
        self.counts[event] = self.counts.get(event, 0) + count
        advance = count if event in ("extracted", "cached", "failed") else 0
        summary = ", ".join(f"{n} {name}" for name, n in self.counts.items() if n)
        self.progress.update(self.extraction, advance=advance, counts=summary)


@batch_app.command(
    "collect",
    epilog=_example(
        "briefing batch collect --corpus year/", "briefing batch collect --corpus year/ --wait"
    ),
)
def batch_collect(
    corpus: CorpusOption = config.DEFAULT_CORPUS,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for every batch to finish (a progress bar).")
    ] = False,
    poll: Annotated[
        float,
        typer.Option(min=0.0, metavar="SECONDS", help="With --wait: seconds between checks."),
    ] = 30.0,
    concurrency: ConcurrencyOption = config.DEFAULT_CONCURRENCY,
    timeout: TimeoutOption = None,
    lexicon: LexiconOption = None,
) -> None:
    """Extract the articles of finished batches into the store, as live answers are.

    Each answer is validated and its quotes grounded; a claim that fails is re-asked live.
    Articles a batch did not answer (failed, expired) are named; `batch submit` sends them
    again. Then `briefing generate` or `weekly` uses the store, with no extraction call.
    """
    from briefing.llm.batch import collect_batches

    settings = _settings(
        Extractor.llm, None, None, concurrency, None, None, lexicon, ServerOptions(timeout=timeout)
    )
    progress = CollectProgress(err)
    try:
        with progress:
            result = collect_batches(
                corpus,
                settings=settings,
                wait=wait,
                poll_seconds=poll,
                on_batch=progress.batch,
                progress=progress.extract,
            )
    except KeyboardInterrupt as stop:
        raise _Stopped(Interrupted.of(stop, progress.counts["extracted"])) from None
    for state in result.batches:
        _echo(_batch_line(state))
    for problem in result.failed + result.not_extracted:
        _say(f"not extracted: {problem}")
    _say(
        f"{counted(result.stored, 'article')} extracted from batch answers"
        f" ({result.reasks} re-asked live), {result.already} collected before"
    )
    usage = result.usage
    if usage.calls:
        _say(
            f"LLM: {usage.calls} answers and calls, {usage.prompt_tokens} prompt +"
            f" {usage.completion_tokens} completion tokens, {usage.cost_text()}"
        )
    for state in result.running:
        if state.submission.batch_id is None:  # a submit stopped before the API had it
            _say(
                f"submission {state.submission.submission} was not sent (stopped half way):"
                " run `briefing batch submit` again"
            )
            continue
        _say(
            f"batch {state.submission.batch_id} is {state.submission.status}: run"
            " `briefing batch collect` again later (or with --wait)"
        )
    missing = result.failed + result.not_extracted
    if missing:
        raise BriefingError(
            f"{len(missing)} article(s) not extracted (named above), first {missing[0].path}; the"
            f" {result.stored + result.already} extracted are kept in the store. Send the"
            " rest again with: briefing batch submit"
        )


@app.command(epilog=_example("briefing doctor --model SmolLM2-135M-Instruct-Q4_1"))
def doctor(
    model: ModelOption = None,
    timeout: TimeoutOption = None,
    max_tokens: MaxTokensOption = None,
    reasks: ReasksOption = None,
) -> None:
    """Check the configured LLM endpoint (OPENAI_BASE_URL, or OpenAI with OPENAI_API_KEY):
    one small request per instructor mode.

    Prints whether it is reachable, the model it reports, which modes work, its context
    size when it tells it, the latency, and the settings to use. Exits 1 when no mode works.
    """
    import asyncio

    from briefing.llm.doctor import diagnose

    settings = config.Settings(
        backend="llm", model=model, timeout=timeout, max_tokens=max_tokens, reasks=reasks
    )
    found = asyncio.run(diagnose(settings))
    state = "reachable" if found.reachable else f"NOT reachable: {found.reach_error}"
    _echo(f"endpoint: {found.base_url} ({state})")
    if not found.reachable:
        raise typer.Exit(EXIT_FAILED)
    listed = ", ".join(found.listed_models) or "none listed"
    _echo(f"model: {found.requested_model} requested; the server lists {listed}")
    if found.served_model:
        _echo(f"answers name the model: {found.served_model}")
    if found.context_tokens:
        _echo(f"context: {found.context_tokens} tokens (from {found.context_source})")
    else:
        _echo("context: not told by the server (give its size with --context TOKENS)")
    for check in found.checks:
        verdict = "works" if check.works else "fails"
        _echo(f"mode {check.mode:<11} {verdict}  {check.latency_s:6.1f} s  {check.detail}")
    if found.best_mode is None:
        _echo("no mode works: see the causes above")
        raise typer.Exit(EXIT_FAILED)
    _echo(f"use: --mode {found.best_mode} (modes that work: {', '.join(found.working_modes)})")
    if found.tokens_per_second:
        _echo(
            f"speed: about {found.tokens_per_second:.1f} tokens/s writing an answer in the"
            " extraction schema"
        )
    _echo("settings to use (export them, or pass the options of the same names):")
    for name, value in found.suggested_settings(settings).items():
        _echo(f"  export {name}={value}")
    if found.concurrency:
        told = "as many as its slots" if found.slots else "a local server answers one at a time"
        _echo(f"  and --concurrency {found.concurrency} ({told})")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one place turns errors into messages and exit codes."""
    try:
        # Without standalone mode typer returns an Exit's code; it turns a KeyboardInterrupt
        # into Exit(130), keeping the interrupt as the Exit's cause.
        with _interruptible():
            code = app(args=argv, prog_name="briefing", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:  # end of input at a prompt
        return _report_interrupt(KeyboardInterrupt())
    except _Stopped as stopped:
        return _report_interrupt(stopped.interrupted)
    except TyperException as error:  # usage errors: unknown option, bad value, missing value
        message = " ".join(error.format_message().split())  # one line, always
        ctx = getattr(error, "ctx", None)
        command = ctx.command_path if ctx is not None else "briefing"
        _say(f"briefing: {message} (see {command} --help)")
        return EXIT_USAGE
    except BriefingError as error:
        if config.debug_enabled():
            traceback.print_exc()
        _say(f"briefing: {error}")
        return error.exit_code
    except KeyboardInterrupt as stop:
        return _report_interrupt(stop)
    except Exception as error:  # a bug: say so in one line unless debugging
        if config.debug_enabled():
            raise
        _say(
            f"briefing: unexpected error: {type(error).__name__}: {error}"
            " (set BRIEFING_DEBUG=1 to see the traceback)"
        )
        return EXIT_FAILED
    if code == 130:  # a Ctrl-C outside any command (typer's own code for it)
        return _report_interrupt(KeyboardInterrupt())
    return code if isinstance(code, int) else 0


def _report_interrupt(stop: BaseException) -> int:
    """One line for Ctrl-C or SIGTERM, and the exit code the shell expects."""
    interrupted = stop if isinstance(stop, Interrupted) else Interrupted.of(stop)
    # asyncio reports the tasks an interrupt abandoned, when they are collected, as errors
    # never retrieved: each is this interrupt again, and the run's one line says it.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
    # So do the HTTP library's coroutines cut off mid-call ("coroutine ... was never
    # awaited", printed at exit): the interrupt again, not news.
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    _say(f"briefing: {interrupted.message}")
    return interrupted.exit_code


def run() -> None:
    sys.exit(main())
