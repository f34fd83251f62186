"""Weekly briefs: one brief per ISO week, what changed since the week before, a run lock.

`briefing weekly` is made for cron: no prompts, a non-zero exit on failure, and a lock
file in the store so that two runs never write one store at once. The corpus is loaded
once and one backend serves every week (one client, one budget); each week is built,
compared with the previous week's brief file (changes.py), and written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from briefing import config, lexicon
from briefing.backend import make_backend
from briefing.changes import add_what_changed
from briefing.corpus import load_corpus
from briefing.errors import BriefingError, ConfigurationError, ExtractionError
from briefing.pipeline import build_from_articles, select_period, without_rejected, write_brief
from briefing.schemas import Brief
from briefing.store import Store

LOCK_FILENAME = "weekly.lock"
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"  # four digits always: "0999-W18", as week_bounds reads


def week_bounds(label: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week written YYYY-Www."""
    match = _WEEK_RE.match(label)
    if not match:
        raise ConfigurationError(
            f"--week takes an ISO week as YYYY-Www (e.g. 2025-W17), not {label!r}"
        )
    try:
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return monday, monday + dt.timedelta(days=6)
    except ValueError:
        raise ConfigurationError(f"--week {label}: no such ISO week") from None
    except OverflowError:  # 9999-W52 ends in the year 10000, past any date Python has
        raise ConfigurationError(f"--week {label}: the week ends after the year 9999") from None


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
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BriefingError(
            f"another `briefing weekly` is running on the store {home} (lock {path}); try later"
        ) from None
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True)
class WeekOutcome:
    week: str
    paths: list[Path]
    skipped_reason: str | None = None
    partial: bool = False  # written without some articles, or with the offline rules standing in


def previous_brief(out: Path, week: str) -> tuple[str, Brief] | None:
    """The most recent weekly brief in `out` before `week`."""
    earlier = sorted(p for p in out.glob("*-W*.json") if _WEEK_RE.match(p.stem) and p.stem < week)
    for path in reversed(earlier):
        try:
            return path.stem, Brief.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable or foreign file is no baseline
    return None


def generate_weekly(
    *,
    corpus: Path,
    out: Path,
    formats: Sequence[str],
    settings: config.Settings | None = None,
    week: str | None = None,
    since: dt.date | None = None,
    today: dt.date | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> list[WeekOutcome]:
    """Briefs for one week (default: the last complete one) or every week since a date."""
    today = today or dt.date.today()
    if week is not None and since is not None:
        raise ConfigurationError("give a week or a since date, not both")
    if week is not None:
        week_bounds(week)  # a bad label is a usage error before any work
    settings = settings or config.Settings()
    with weekly_lock(config.store_home(corpus)):
        return asyncio.run(_write_weeks(corpus, out, formats, settings, week, since, today, log))


# A weekly names at most this many of the corpus's undated articles.
MAX_UNDATED_NAMED = 10


async def _write_weeks(
    corpus: Path,
    out: Path,
    formats: Sequence[str],
    settings: config.Settings,
    week: str | None,
    since: dt.date | None,
    today: dt.date,
    log: Callable[[str], None],
) -> list[WeekOutcome]:
    lexicon.use(lexicon.load_lexicon(settings.lexicon_files))
    loaded = load_corpus(corpus)
    if since is not None:
        weeks = weeks_with_articles(
            [a.published for a in loaded.articles if a.published], since, today
        )
        if not weeks:
            log(f"no dated articles since {since} in {corpus}")
    else:
        weeks = [week or last_complete_week(today)]
    outcomes = []
    # An article with no date, printed or shown by its text, belongs to no week: each
    # weekly says how many there are and which, rather than leaving them out unsaid.
    undated = sorted(a.path for a in loaded.articles if a.published is None)
    undated_note = (
        [
            f"{len(undated)} undated article(s) belong to no week and are in no weekly brief: "
            + ", ".join(undated[:MAX_UNDATED_NAMED])
            + (
                f" and {len(undated) - MAX_UNDATED_NAMED} more"
                if len(undated) > MAX_UNDATED_NAMED
                else ""
            )
        ]
        if undated
        else []
    )
    raw_texts = {article.path: article.raw_text for article in loaded.articles}
    article_texts = {article.article_id: article.text for article in loaded.articles}
    store = Store.open(config.store_home(corpus))
    try:
        backend = make_backend(settings, store)
        try:
            for label in weeks:
                monday, sunday = week_bounds(label)
                # An undated article belongs to no week.
                articles, period, _ = select_period(loaded.articles, monday, sunday, "exclude")
                if not articles:
                    reason = f"no articles in {corpus} dated {monday} to {sunday}"
                    log(f"{label}: nothing to brief ({reason})")
                    outcomes.append(WeekOutcome(label, [], reason))
                    continue
                try:
                    brief, stats = await build_from_articles(
                        articles, period, backend=backend, store=store, corpus=loaded
                    )
                except ExtractionError as error:
                    if error.stopped:
                        raise
                    # No article of this week could be read: the other weeks go on.
                    log(f"{label}: no brief: {error}")
                    outcomes.append(WeekOutcome(label, [], str(error), partial=True))
                    continue
                for problem in stats.failed:
                    log(f"{label}: not read: {problem}")
                for fallback in stats.fallbacks:
                    log(f"{label}: the model's call failed, so {fallback}")
                prefix = f"Week {label}:"
                brief = brief.model_copy(
                    update={
                        "title": f"{prefix} {brief.title}",
                        "notes": [*brief.notes, *undated_note],
                        "word_count": brief.word_count + len(prefix.split()),
                    }
                )
                previous = previous_brief(out, label)
                if previous is not None:
                    earlier_week, earlier = previous
                    earlier = without_rejected(earlier, store.rejected_quotes())
                    # The earlier brief is a file anyone could have written: each quote it
                    # carries into this one is checked again against the corpus as loaded now.
                    brief = add_what_changed(brief, earlier_week, earlier, raw_texts, article_texts)
                paths = write_brief(brief, out, label, formats)
                log(f"{label}: wrote {', '.join(str(p) for p in paths)}")
                outcomes.append(WeekOutcome(label, paths, partial=stats.partial))
        finally:
            await backend.aclose()
    finally:
        store.close()
    return outcomes
