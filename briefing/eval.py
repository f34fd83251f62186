"""The quality harness: score a brief against a gold file written by a person.

A gold file (JSON) says, per article, its true publication date (or null when the page
prints none), outlet, credited origin, title, the furniture that must never be quoted,
who says what and when events happened; and, for the story, its key facts (keywords a
brief item and its quotes must hold), its conflicts and the pairs that are not
conflicts. `score_brief` counts what the brief got right, left unknown and got wrong;
a wrong date, speaker or conflict weighs more than a missing one, so both are shown.
bench/devcorpus/README.md describes the format; bench/quality.py runs it on every story.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefing.errors import BriefFileError
from briefing.schemas import Brief, BriefItem, BriefSource, CitationRow

CONFLICT_HEADINGS = ("Conflicting reports",)


@dataclass
class Tally:
    """Right, unknown (the brief said nothing) and wrong, with the wrong ones named."""

    right: int = 0
    unknown: int = 0
    wrong: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.right + self.unknown + self.wrong

    def share_right(self) -> float:
        return self.right / self.total if self.total else 1.0

    def add(self, outcome: str, note: str = "") -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "right" and note:
            self.misses.append(f"{outcome}: {note}")


@dataclass
class Scores:
    published: Tally = field(default_factory=Tally)
    printed_dates_found: Tally = field(default_factory=Tally)
    event_dates: Tally = field(default_factory=Tally)
    events_after_publication: int = 0
    outlets: Tally = field(default_factory=Tally)
    origins: Tally = field(default_factory=Tally)
    titles: Tally = field(default_factory=Tally)
    speakers: Tally = field(default_factory=Tally)
    furniture_quotes: list[str] = field(default_factory=list)
    key_facts: Tally = field(default_factory=Tally)
    conflicts_predicted: int = 0
    conflicts_true: int = 0
    conflicts_found: int = 0
    false_conflicts: list[str] = field(default_factory=list)
    # Pairs of items telling one event of a gold same_event group from different articles
    # in nearly the same words: the event repeated instead of one item citing both.
    repeated_events: list[str] = field(default_factory=list)
    # Each gold group of wire versions: right when its sources share one independent origin.
    wire_versions: Tally = field(default_factory=Tally)
    # Pairs of sources the brief counts as one origin although the gold names two.
    origins_merged_wrongly: list[str] = field(default_factory=list)

    def conflict_precision(self) -> float:
        return self.conflicts_true / self.conflicts_predicted if self.conflicts_predicted else 1.0

    def conflict_recall(self, gold_conflicts: int) -> float:
        return self.conflicts_found / gold_conflicts if gold_conflicts else 1.0

    def summary(self) -> dict[str, Any]:
        tallies = {name: value for name, value in vars(self).items() if isinstance(value, Tally)}
        figures: dict[str, Any] = {
            name: {"right": t.right, "unknown": t.unknown, "wrong": t.wrong}
            for name, t in tallies.items()
        }
        figures["events_after_publication"] = self.events_after_publication
        figures["furniture_in_quotes"] = len(self.furniture_quotes)
        figures["conflicts"] = {
            "predicted": self.conflicts_predicted,
            "true": self.conflicts_true,
            "found": self.conflicts_found,
            "false": len(self.false_conflicts),
        }
        figures["repeated_events"] = len(self.repeated_events)
        figures["origins_merged_wrongly"] = len(self.origins_merged_wrongly)
        return figures


def load_gold(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BriefFileError(f"cannot read the gold file {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), dict):
        raise BriefFileError(f"{path}: a gold file is an object with an 'articles' object")
    return data


def _norm(text: str | None) -> str:
    text = (text or "").replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.lower().split())


def _same_name(found: str | None, gold: str | None) -> bool:
    """ "The Harbour Gazette" and "Harbour Gazette" are one name; "AP" and "The Associated
    Press" differ (an abbreviation is not matched)."""

    def bare(name: str | None) -> str:
        return re.sub(r"^the\s+", "", _norm(name)).strip(" .,")

    a, b = bare(found), bare(gold)
    if not a or not b:
        return False
    # "Meridian Radio" is "Meridian Radio News": one name holds the other, word for word.
    return a == b or bool(
        re.search(rf"\b{re.escape(a)}\b", b) or re.search(rf"\b{re.escape(b)}\b", a)
    )


def _source_for(key: str, sources: list[BriefSource]) -> BriefSource | None:
    """The brief's source for a gold key: a file name, or file#N for a record."""
    for source in sources:
        if source.path == key or source.path.endswith("/" + key):
            return source
    return None


def _item_text(item: BriefItem) -> str:
    return _norm(" ".join([item.text, *(c.quote for c in item.citations)]))


def _holds(text: str, keywords: Iterable[str]) -> bool:
    return all(_norm(k) in text for k in keywords)


def score_brief(brief: Brief, gold: dict[str, Any]) -> Scores:
    scores = Scores()
    rows_by_source: dict[int, list[CitationRow]] = {}
    for row in brief.citations:
        rows_by_source.setdefault(row.source, []).append(row)
    for key, truth in gold["articles"].items():
        source = _source_for(key, brief.sources)
        if source is None:
            continue  # outside the brief's period
        _score_article(scores, key, truth, source, rows_by_source.get(source.id, []), brief)
    items = [item for section in brief.sections for item in section.items]
    for fact in gold.get("key_facts", []):
        hit = any(_holds(_item_text(item), fact["keywords"]) for item in items)
        scores.key_facts.add("right" if hit else "unknown", fact["id"])
    _score_conflicts(scores, brief, gold)
    _score_repeats(scores, brief, gold)
    _score_origins(scores, brief, gold)
    published = {s.id: s.published for s in brief.sources}
    for item in items:
        dates = [published.get(c.source) for c in item.citations]
        reported = max((d for d in dates if d), default=None)
        planned = item.date_label.startswith("due ")
        if item.event_date and reported and item.event_date > reported and not planned:
            scores.events_after_publication += 1
    return scores


def _score_article(
    scores: Scores,
    key: str,
    truth: dict[str, Any],
    source: BriefSource,
    rows: list[CitationRow],
    brief: Brief,
) -> None:
    gold_date = dt.date.fromisoformat(truth["published"]) if truth.get("published") else None
    if source.published is None:
        scores.published.add("unknown" if gold_date else "right", key)
    elif source.published == gold_date:
        scores.published.add("right")
    else:
        scores.published.add("wrong", f"{key}: {source.published}, truth {gold_date}")
    if truth.get("date_printed"):
        found = source.published is not None and source.published == gold_date
        scores.printed_dates_found.add("right" if found else "unknown", f"{key}")
    for name, tally, value in (
        ("outlet", scores.outlets, source.outlet),
        ("origin", scores.origins, source.origin),
    ):
        expected = truth.get(name)
        if expected is None and value is None:
            tally.add("right")
        elif value is None:
            tally.add("unknown", f"{key}: {name} {expected!r}")
        else:
            good = _same_name(value, expected)
            tally.add("right" if good else "wrong", f"{key}: {value!r}, truth {expected!r}")
    title = truth.get("title")
    if source.title is None:
        scores.titles.add("unknown", f"{key}: title")
    else:
        good = _norm(source.title) == _norm(title)
        scores.titles.add("right" if good else "wrong", f"{key}: {source.title!r}")
    for fragment in truth.get("furniture", []):
        for row in rows:
            if _norm(fragment) in _norm(row.quote):
                scores.furniture_quotes.append(f"{key}: {fragment!r} in {row.claim_id}")
    for said in truth.get("speakers", []):
        cited = [r for r in rows if _norm(said["quote_contains"]) in _norm(r.quote)]
        if not cited:
            continue
        speakers = {r.speaker for r in cited}
        good = any(_same_speaker(s, said["speaker"]) for s in speakers if s)
        outcome = "right" if good else ("unknown" if speakers == {None} else "wrong")
        scores.speakers.add(
            outcome, f"{key}: {sorted(map(str, speakers))}, truth {said['speaker']!r}"
        )
    items = [i for s in brief.sections for i in s.items]
    for event in truth.get("events", []):
        fragment = _norm(event["quote_contains"])
        dated = [
            i
            for i in items
            if i.citations[0].source == source.id
            and any(fragment in _norm(c.quote) for c in i.citations)
        ]
        for item in dated:
            if item.event_date is None:
                scores.event_dates.add("unknown", f"{key}: {event['quote_contains']!r}")
            elif str(item.event_date) == event["date"]:
                scores.event_dates.add("right")
            else:
                scores.event_dates.add("wrong", f"{key}: {item.event_date}, truth {event['date']}")


def _same_speaker(found: str, truth: str) -> bool:
    """The same speaker, allowing a surname for a full name and a title before it."""
    a, b = _norm(found), _norm(truth)
    return a == b or a.split()[-1] == b.split()[-1] or a in b or b in a


# Two items share this share of their words (the smaller item's) when they tell one event.
REPEAT_OVERLAP = 0.6


def _score_repeats(scores: Scores, brief: Brief, gold: dict[str, Any]) -> None:
    paths = {s.id: s.path for s in brief.sources}
    group_of: dict[str, int] = {}
    for number, group in enumerate(gold.get("same_event", [])):
        for key in group:
            group_of[key] = number
    items = [
        item
        for section in brief.sections
        if section.heading not in CONFLICT_HEADINGS
        for item in section.items
    ]

    def groups(item: BriefItem) -> set[int]:
        keys = {k for c in item.citations for k in group_of if paths[c.source].endswith(k)}
        return {group_of[k] for k in keys}

    def words(item: BriefItem) -> set[str]:
        return {w for w in re.findall(r"[a-z0-9]{4,}", item.text.lower())}

    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if {c.source for c in first.citations} & {c.source for c in second.citations}:
                continue  # one article's two sentences, not the event told twice
            if not groups(first) & groups(second):
                continue
            a, b = words(first), words(second)
            if a and b and len(a & b) / min(len(a), len(b)) >= REPEAT_OVERLAP:
                scores.repeated_events.append(f"{first.text[:70]} | {second.text[:70]}")


def _score_origins(scores: Scores, brief: Brief, gold: dict[str, Any]) -> None:
    """Versions of one wire story count once; sources of different origins never do. The
    gold origin of a source is the agency it credits, else its wire group, else its outlet."""
    truth: dict[str, str] = {}
    for key, article in gold["articles"].items():
        truth[key] = _norm(article.get("origin") or article.get("outlet") or key)
    for number, group in enumerate(gold.get("wire_versions", [])):
        credited = [gold["articles"][k].get("origin") for k in group]
        shared = _norm(next((c for c in credited if c), f"wire versions {number}"))
        for key in group:
            truth[key] = shared
        found = {s.independent_origin for k in group if (s := _source_for(k, brief.sources))}
        scores.wire_versions.add(
            "right" if len(found) == 1 else "wrong", f"{group}: origins {sorted(map(str, found))}"
        )
    keys = [(k, s) for k in truth if (s := _source_for(k, brief.sources))]
    for i, (key_a, a) in enumerate(keys):
        for key_b, b in keys[i + 1 :]:
            if a.independent_origin == b.independent_origin and truth[key_a] != truth[key_b]:
                scores.origins_merged_wrongly.append(f"{key_a} / {key_b}: {a.independent_origin}")


def _score_conflicts(scores: Scores, brief: Brief, gold: dict[str, Any]) -> None:
    predicted = [
        _item_text(item)
        for section in brief.sections
        if section.heading in CONFLICT_HEADINGS
        for item in section.items
    ]
    scores.conflicts_predicted = len(predicted)
    conflicts = gold.get("conflicts", [])
    found = set()
    for text in predicted:
        match = next(
            (c["id"] for c in conflicts if _holds(text, c["a"]) and _holds(text, c["b"])), None
        )
        if match is None:
            scores.false_conflicts.append(text[:160])
        else:
            scores.conflicts_true += 1
            found.add(match)
    scores.conflicts_found = len(found)
