"""Figures: the same quantity reported differently, as a conflict or as an update.

"At least 330 killed" and "404 killed" on the same day from two origins cannot both be
the count: a conflict of figures. "146 cases" and then "159 cases" in two versions of
one wire story is the count updated: shown once, as an update, never as a conflict.
Figures days apart are neither (a count that grew is news, not a dispute).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from briefing.aggregate import SyndicationGroups
from briefing.schemas import Article, Finding

# "2,400 dockworkers", "4.5 percent", "at least 330 killed": a number and the words after it.
_NUMBER_RE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.,]\d)")
# Words after a number that do not say what is counted.
_NOT_UNITS = frozenset(
    """more new additional other confirmed suspected reported registered known than of the a
    an in on at to by from and or were was are is have has had been being people's about
    nearly almost some least per since start this that last next ago its their still now
    already yet far""".split()
) | frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday""".split()
)
_ROSE_TO = re.compile(
    r"\b(?P<what>[a-z]{3,}s)\b(?:\s+[\w'’-]+){0,4}?\s+(?:have|has|had)?\s*(?:risen|rose|climbed"
    r"|grown|grew|increased|reached|fallen|fell|dropped|stood|stands)\s+(?:to|at)\s*$"
)
# A figure is compared only when the sentence reports it as a count: "rose to 146",
# "38 vessels were waiting", "4,200 people had been displaced", "killed at least 330".
_TOTAL_BEFORE = re.compile(
    r"\b(?:risen|rose|climbed|grown|grew|increased|reached|stood|stands|totals?|totalled"
    r"|killed|displaced|evacuated|counted|recorded|confirmed|tracking|reported|counts?|number"
    r"|toll)\b(?:\s+\w+){0,3}\s+(?:to|at|of)?\s*(?:at\s+least|about|nearly|some|more\s+than)?\s*$"
)
_TOTAL_AFTER = re.compile(
    r"\s+(?:[\w-]+\s+){0,3}?(?:were|was|are|have|has|had)\s+(?:(?:been|now)\s+){0,2}"
    r"(?:waiting|killed|displaced|evacuated|confirmed|recorded|reported|infected|hospitali[sz]ed"
    r"|counted|registered|detained|arrested|missing|dead|affected)\b"
    r"|\s+(?:[\w-]+\s+){0,3}?(?:killed|displaced|evacuated|dead|missing|waiting|walked\s+(?:out|off)"
    r"|went\s+on\s+strike|joined|marched|protested|gathered|took\s+part)\b"
)
# "the majority of cases with 62", "including 21 children": a part, not the count.
_SUBSET = re.compile(
    r"\b(?:majority|including|among|followed by|of whom|of which|of them|out of|additional)\b[^.]{0,30}$"
)
_GENERIC_COUNTS = frozenset("people person resident individual other one member".split())
# A figure measured in these (a time, a length, a rate) is a measure, not a count that two
# sources could dispute: "36 hours" and "48 hours" are two different spans, "4 percent"
# and "6 percent" an offer and a demand.
_MEASURES = re.compile(
    r"^(?:percent|per\s+cent|%|million|billion|thousand|hours?|minutes?|seconds?|days?|weeks?"
    r"|months?|years?|[a-z]*metres?|[a-z]*meters?|miles?|kilometres?|degrees?|a\.m|p\.m)\b"
)
# A number is read with at most this many words after it, and what it counts is named
# by the first of them that carry meaning.
UNIT_WINDOW = 4
COUNTED_WORDS = 2
# Two figures of one quantity are "the same day" when their dates are this close.
SAME_DAY_GRACE = 1
# A word counted in more findings than this says nothing about which counts match.
MAX_BLOCK = 50


@dataclass(frozen=True)
class Figure:
    value: float
    text: str  # as written: "2,400"
    counted: frozenset[str]  # what it counts: {"dockworker", "strike"}
    previous: float | None = None  # "revised from 11,300 to 3,958": 11,300


_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
# "revised the death toll from 11,300 to 3,958", "the number of dead rose from 8 to 17":
# one figure updated in place, not two counts.
_REVISED = re.compile(
    r"\b(?:revised|raised|lowered|increased|decreased|rose|risen|climbed|grew|grown|jumped"
    r"|fell|fallen|dropped|cut|reduced|updated|corrected|adjusted)\b"
    rf"(?P<object>(?:\s+[\w'’-]+){{0,4}}?)\s+from\s+(?P<before>{_NUMBER})\s+to\s+"
    rf"(?P<after>{_NUMBER})(?![\w.,]\d)",
    re.I,
)
# Words that name a count without saying what it counts ("the number of dead").
_COUNT_WORDS = frozenset("number total figure count tally also".split())


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def _revisions(statement: str) -> list[tuple[re.Match[str], Figure]]:
    """Figures updated in place, with what they count: the object revised ("the death
    toll"), else the word after the new value ("to 159 cases"), else the subject ("the
    number of dead rose")."""
    found = []
    for match in _REVISED.finditer(statement):

        def content(text: str) -> list[str]:
            words = re.findall(r"[a-z]+", text.lower())
            return [w for w in words if w not in _NOT_UNITS | _COUNT_WORDS and len(w) > 2]

        after = re.match(r"\s+([a-z]+)", statement[match.end() :])
        counted = content(match["object"])[-COUNTED_WORDS:]
        if not counted and after and content(after.group(1)):
            counted = content(after.group(1))
        if not counted:
            counted = content(" ".join(statement[: match.start()].split()[-4:]))[-1:]
        if counted:
            figure = Figure(
                _value(match["after"]),
                match["after"],
                frozenset(w.rstrip("s") for w in counted),
                previous=_value(match["before"]),
            )
            found.append((match, figure))
    return found


def figures_in(statement: str) -> list[Figure]:
    """The counts a statement gives, with what each counts; years and clock times are not."""
    revisions = _revisions(statement)
    found = [figure for _, figure in revisions]
    for match in _NUMBER_RE.finditer(statement):
        if any(r.start("before") <= match.start() < r.end() for r, _ in revisions):
            continue  # read above, as one figure updated
        text = match.group(1)
        value = float(text.replace(",", ""))
        after = statement[match.end() : match.end() + 60]
        before = statement[max(0, match.start() - 60) : match.start()]
        if _MEASURES.match(after.strip().lower()) or re.match(r"\s*(?:am\b|pm\b|:\d)", after):
            continue
        if re.match(r"\s*(?:-|–|to\s+\d|and\s+\d)", after) or re.search(r"[-–]\s*$", before):
            continue  # a range ("100-150"), not one count
        if _SUBSET.search(before) or re.match(r"\s*(?:\w+\s+){0,2}(?:old|of them)\b", after):
            continue  # a part of a count, or an age
        if not (_TOTAL_BEFORE.search(before) or _TOTAL_AFTER.match(after)):
            continue  # only a count the sentence reports as such is compared
        if 1900 <= value <= 2100 and "," not in text and "." not in text:
            continue  # a year
        words = re.findall(r"[a-z]+", after.split(".")[0].split(",")[0].lower())[:UNIT_WINDOW]
        content = [w for w in words if w not in _NOT_UNITS and len(w) > 2]
        # What is counted is the first words after the number ("38 vessels waiting"), or
        # the subject that rose to it ("measles cases have risen to 146 since ...").
        if not content:
            rose = _ROSE_TO.search(statement[: match.start()])
            content = [rose["what"]] if rose else []
        counted = frozenset(w.rstrip("s") for w in content[:COUNTED_WORDS])
        if counted:
            found.append(Figure(value, text, counted))
    return found


@dataclass(frozen=True)
class FigurePair:
    kind: str  # "conflict" (differing figures) or "update" (one origin's later count)
    first: Finding  # for an update: the earlier count
    second: Finding


def figure_pairs(
    findings: list[Finding], articles: dict[str, Article], groups: SyndicationGroups
) -> list[FigurePair]:
    """Pairs of findings that give different counts of one quantity on one day, found
    through an index on what they count (so not every pair is compared)."""
    by_counted: dict[str, list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        for counted in {w for f in figures_in(finding.statement) for w in f.counted}:
            by_counted[counted].append(index)
    candidates: set[tuple[int, int]] = set()
    for members in by_counted.values():
        if len(members) <= MAX_BLOCK:
            candidates.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    found = []
    for a, b in sorted(candidates):
        first, second = findings[a], findings[b]
        revised = _revision_of(first, second) or _revision_of(second, first)
        if revised is not None and not {c.article_id for c in first.claims} & {
            c.article_id for c in second.claims
        }:
            found.append(FigurePair("update", *revised))
            continue
        if not _same_day(first, second):
            continue
        shared = _shared_quantity(first, second)
        if shared is None:
            continue
        mine = {c.article_id for c in first.claims}
        theirs = {c.article_id for c in second.claims}
        if mine & theirs:
            continue  # one article's numbers count different things
        if _one_origin(mine, theirs, articles, groups):
            # One story's versions: the later count is the one published later, or (same
            # day) the larger, since counts of this kind grow.
            earlier, later = sorted(
                (first, second), key=lambda f: (f.published or dt.date.max, _count(f, shared))
            )
            found.append(FigurePair("update", earlier, later))
        else:
            found.append(FigurePair("conflict", first, second))
    return found


def _revision_of(earlier: Finding, later: Finding) -> tuple[Finding, Finding] | None:
    """(earlier, later) when `later` updates a count from the very value `earlier` gives
    ("revised from 11,300 to 3,958" after "11,300 dead"): shown once as an update, on any
    day and from any origin, since the later report names the value it replaces."""
    given = figures_in(earlier.statement)
    for revision in figures_in(later.statement):
        if revision.previous is None:
            continue
        if any(f.value == revision.previous and same_quantity(f, revision) for f in given):
            return earlier, later
    return None


def _one_origin(
    mine: set[str], theirs: set[str], articles: dict[str, Article], groups: SyndicationGroups
) -> bool:
    """Copies or versions of one story, one credited agency or one outlet's reports."""
    return bool(
        {groups.origin(articles[a]) for a in mine} & {groups.origin(articles[a]) for a in theirs}
    )


def _same_day(first: Finding, second: Finding) -> bool:
    a, b = first.published, second.published
    return a is not None and b is not None and abs((a - b).days) <= SAME_DAY_GRACE


def same_quantity(first: Figure, second: Figure) -> frozenset[str]:
    """What two figures both count, beyond "people": 2,600 people evacuated and 6,000
    people displaced are two quantities, 4,000 evacuated and 42 missing too."""
    return (first.counted & second.counted) - _GENERIC_COUNTS


def _shared_quantity(first: Finding, second: Finding) -> frozenset[str] | None:
    """What both count, when they give it different values (and share no value)."""
    mine, theirs = figures_in(first.statement), figures_in(second.statement)
    if {f.value for f in mine} & {f.value for f in theirs}:
        return None  # one shared number: the same count, told two ways
    for a in mine:
        for b in theirs:
            if same_quantity(a, b) and a.value != b.value:
                return frozenset(a.counted & b.counted)
    return None


def _count(finding: Finding, counted: frozenset[str]) -> float:
    values = [f.value for f in figures_in(finding.statement) if f.counted & counted]
    return max(values, default=0.0)
