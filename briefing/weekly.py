"""Weekly briefs: one brief per ISO week, what changed since the week before, a run lock.

`briefing weekly` is made for cron: no prompts, a non-zero exit on failure, and a lock
file in the store so that two runs never write one store at once. Each week's brief is
an ordinary brief of that Monday-to-Sunday period, plus a "What changed since last week"
section computed by comparing it with the previous week's brief file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from briefing import config
from briefing.aggregate import same_claim
from briefing.corpus import load_corpus
from briefing.errors import BriefingError, ConfigurationError, CorpusError
from briefing.pipeline import LLMOptions, generate
from briefing.relate import stance, subject_parties
from briefing.schemas import Brief, BriefCitation, BriefItem, BriefSection, BriefSource, CitationRow

WHAT_CHANGED = "What changed since last week"
LOCK_FILENAME = "weekly.lock"
# Each kind of change lists at most this many items; the brief's notes say how many more.
MAX_CHANGES_PER_KIND = 8
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(label: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week written YYYY-Www."""
    match = _WEEK_RE.match(label)
    if not match:
        raise ConfigurationError(
            f"--week takes an ISO week as YYYY-Www (e.g. 2025-W17), not {label!r}"
        )
    try:
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ConfigurationError(f"--week {label}: no such ISO week") from None
    return monday, monday + dt.timedelta(days=6)


def last_complete_week(today: dt.date) -> str:
    return week_label(today - dt.timedelta(days=today.isoweekday()))


def weeks_with_articles(published: list[dt.date], since: dt.date, today: dt.date) -> list[str]:
    """Every week from `since` that has a dated article and has begun by today."""
    weeks = {week_label(day) for day in published if since <= day <= today}
    return sorted(weeks)


@contextmanager
def weekly_lock(home: Path) -> Iterator[None]:
    """Hold the store's weekly lock, or fail at once if another run holds it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILENAME
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BriefingError(
                f"another `briefing weekly` is running on the store {home} (lock {path}); try later"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class WeekOutcome:
    week: str
    paths: list[Path]
    skipped_reason: str | None = None


def run_weeks(
    weeks: list[str],
    out: Path,
    write_week: Callable[[str, dt.date, dt.date, Callable[[Brief], Brief]], list[Path]],
    log: Callable[[str], None],
) -> list[WeekOutcome]:
    """Write each week's brief in order, each compared with the latest earlier one in `out`."""
    outcomes = []
    for week in weeks:
        monday, sunday = week_bounds(week)
        previous = previous_brief(out, week)

        def amend(
            brief: Brief, week: str = week, previous: tuple[str, Brief] | None = previous
        ) -> Brief:
            titled = brief.model_copy(update={"title": f"Week {week}: {brief.title}"})
            return add_what_changed(titled, *previous) if previous else titled

        try:
            paths = write_week(week, monday, sunday, amend)
        except CorpusError as error:
            log(f"{week}: nothing to brief ({error})")
            outcomes.append(WeekOutcome(week, [], str(error)))
            continue
        log(f"{week}: wrote {', '.join(str(p) for p in paths)}")
        outcomes.append(WeekOutcome(week, paths))
    return outcomes


def previous_brief(out: Path, week: str) -> tuple[str, Brief] | None:
    """The most recent weekly brief in `out` before `week`."""
    earlier = sorted(p for p in out.glob("*-W*.json") if _WEEK_RE.match(p.stem) and p.stem < week)
    for path in reversed(earlier):
        try:
            return path.stem, Brief.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable or foreign file is no baseline
    return None


def add_what_changed(brief: Brief, previous_week: str, previous: Brief) -> Brief:
    """A section listing findings new, updated, contradicted or no longer reported since
    the previous week's brief, each cited; earlier sources it cites join the source list."""
    current_rows = {row.claim_id: row for row in brief.citations}
    earlier_rows = {row.claim_id: row for row in previous.citations}

    def counterpart(row: CitationRow, others: dict[str, CitationRow]) -> list[CitationRow]:
        return [
            o
            for o in others.values()
            if o.claim_id == row.claim_id or same_claim(o.statement, row.statement)
        ]

    new, updated, contradicted = [], [], []
    for section in brief.sections:
        for item in section.items:
            rows = [current_rows[c.claim_id] for c in item.citations if c.claim_id in current_rows]
            matches = [m for row in rows for m in counterpart(row, earlier_rows)]
            if not matches:
                new.append(_relabel(item, "New"))
            elif {r.article_id for r in rows} - {m.article_id for m in matches}:
                updated.append(_relabel(item, "Updated with new sources"))
    sources = list(brief.sources)
    number_of = {s.article_id: s.id for s in sources}
    gone = []
    for section in previous.sections:
        for item in section.items:
            rows = [earlier_rows[c.claim_id] for c in item.citations if c.claim_id in earlier_rows]
            if rows and not any(counterpart(row, current_rows) for row in rows):
                gone.append(
                    _earlier_item(item, rows, previous, sources, number_of, "No longer reported")
                )
    for row in current_rows.values():
        for earlier in earlier_rows.values():
            opposed = stance(row.statement) * stance(earlier.statement) == -1
            if opposed and subject_parties(row.statement) & subject_parties(earlier.statement):
                contradicted.append(_contradiction(row, earlier, previous, sources, number_of))
    groups = [
        ("new", new),
        ("updated", updated),
        ("contradicted", contradicted),
        ("no longer reported", gone),
    ]
    items = [i for _, group in groups for i in group[:MAX_CHANGES_PER_KIND]]
    notes = list(brief.notes) + [
        f"What changed lists {MAX_CHANGES_PER_KIND} of {len(group)} {name} findings"
        for name, group in groups
        if len(group) > MAX_CHANGES_PER_KIND
    ]
    notes.append(f"What changed compares with the brief of {previous_week}")
    if not items:
        return brief.model_copy(update={"notes": notes})
    section = BriefSection(heading=WHAT_CHANGED, items=items)
    in_period = {s.article_id for s in brief.sources}
    this_week = {s.id for s in brief.sources}
    earlier_claims = {c.claim_id for i in items for c in i.citations if c.source not in this_week}
    rows = list(brief.citations) + [
        r.model_copy(update={"source": number_of[r.article_id]})
        for r in previous.citations
        if r.claim_id in earlier_claims and r.article_id not in in_period
    ]
    sources = [s for s in sources if s.in_period or s.article_id in {r.article_id for r in rows}]
    return brief.model_copy(
        update={
            "sections": [section, *brief.sections],
            "sources": sources,
            "notes": notes,
            "citations": rows,
        }
    )


def _relabel(item: BriefItem, label: str) -> BriefItem:
    return item.model_copy(update={"text": f"{label}: {item.text}", "actor": None})


def _source_number(
    article_id: str, previous: Brief, sources: list[BriefSource], number_of: dict[str, int]
) -> int:
    """The number of an earlier week's source in this brief, adding it to the list if needed."""
    if article_id not in number_of:
        earlier = next(s for s in previous.sources if s.article_id == article_id)
        number_of[article_id] = len(sources) + 1
        sources.append(
            earlier.model_copy(
                update={"id": number_of[article_id], "in_period": False, "cited": True}
            )
        )
    return number_of[article_id]


def _earlier_item(
    item: BriefItem,
    rows: list[CitationRow],
    previous: Brief,
    sources: list[BriefSource],
    number_of: dict[str, int],
    label: str,
) -> BriefItem:
    citations = [_cite(r, _source_number(r.article_id, previous, sources, number_of)) for r in rows]
    return item.model_copy(
        update={"text": f"{label}: {item.text}", "citations": citations, "actor": None}
    )


def _cite(row: CitationRow, source: int) -> BriefCitation:
    return BriefCitation(
        source=source, claim_id=row.claim_id, quote=row.quote, start=row.start, end=row.end
    )


def _contradiction(
    row: CitationRow,
    earlier: CitationRow,
    previous: Brief,
    sources: list[BriefSource],
    number_of: dict[str, int],
) -> BriefItem:
    citations = [
        _cite(row, number_of[row.article_id]),
        _cite(earlier, _source_number(earlier.article_id, previous, sources, number_of)),
    ]
    return BriefItem(
        text=f"Contradicted: {row.statement} Earlier: {earlier.statement}",
        event_date=None,
        date_label=f"reported {row.published}" if row.published else "undated",
        finding_ids=[row.finding_id, earlier.finding_id],
        independent_sources=1,
        citations=citations,
    )


def generate_weekly(
    *,
    corpus: Path,
    out: Path,
    formats: Sequence[str],
    extractor: str = "auto",
    llm: LLMOptions | None = None,
    week: str | None = None,
    since: dt.date | None = None,
    today: dt.date | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> list[WeekOutcome]:
    """Briefs for one week (default: the last complete one) or every week since a date."""
    today = today or dt.date.today()
    if week is not None and since is not None:
        raise ConfigurationError("give --week or --since, not both")
    if week is not None:
        week_bounds(week)  # a bad label is a usage error before any work
    with weekly_lock(config.store_home(corpus)):
        if since is not None:
            dated = [a.published for a in load_corpus(corpus).articles if a.published]
            weeks = weeks_with_articles(dated, since, today)
            if not weeks:
                log(f"no dated articles since {since} in {corpus}")
        else:
            weeks = [week or last_complete_week(today)]

        def write_week(
            label: str, monday: dt.date, sunday: dt.date, amend: Callable[[Brief], Brief]
        ) -> list[Path]:
            result = generate(
                monday,
                sunday,
                corpus=corpus,
                out=out,
                formats=formats,
                extractor=extractor,
                undated="exclude",  # an undated article belongs to no week
                llm=llm,
                stem=label,
                amend=amend,
            )
            return result.paths

        return run_weeks(weeks, out, write_week, log)
