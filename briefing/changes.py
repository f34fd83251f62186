"""What changed between two weekly briefs, told per story: new, developing, contradicted,
and the stories with no new report.

Used by `briefing weekly`: each week's brief is compared with the previous week's
brief file. Items are cited; an earlier brief's sources that an item cites join the
source list, flagged as outside the period.

The earlier brief is a file in the out folder, which anyone could have edited: its
`verified` flags mean nothing here. Each of its quotes is checked again against the raw
text of its article as loaded in this run, and one that fails (invented, or its file
changed or gone) is left out, with a note; every carried row is verified by this run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from briefing.aggregate import UnionFind
from briefing.assemble import counted
from briefing.attribution import proper_names
from briefing.figures import figures_in, same_quantity
from briefing.grounding import verify_evidence
from briefing.lexicon import active
from briefing.offline.extract import content_words
from briefing.offline.relate import contradictions, relate_offline
from briefing.relations import opposed_pairs, parties_of
from briefing.schemas import (
    Brief,
    BriefCitation,
    BriefItem,
    BriefSection,
    BriefSource,
    CitationRow,
    Claim,
    Evidence,
    Finding,
)

# Each kind of change names at most this many stories; the brief's notes say how many more.
MAX_STORIES_PER_KIND = 8
# A word in more than this share of the two weeks' articles is everyone's
# ("troops", "strike"): it ties every article to every other and says nothing about which
# story.
COMMON_WORD_SHARE = 0.5
# Below this many articles no word is set aside as common: in a few articles a word they
# share is what ties them.
MIN_ARTICLES_FOR_COMMON = 10
# Two articles tell one story when their claims share this many words of names ("Port
# of Marrowick" and "Marrowick Port Authority" share two), or this many words not in most
# of the corpus's articles.
MIN_SHARED_NAMES = 2
MIN_SHARED_WORDS = 6
# Two articles' whole texts tell one story when they share this many name words. Across
# the development stories and the seeds, texts of different stories share at most 2
# ("Council", "National"); most texts of one story share 3 or more.
MIN_SHARED_TEXT_NAMES = 3
# Capitalised words that name no one: "Monday", "March", a sentence's "The".
_CALENDAR_WORDS = frozenset(
    w.lower() for w in (*calendar.day_name, *calendar.month_name, "The", "A", "An") if w
)
# A story is labelled by this many of the names its articles use most.
LABEL_TERMS = 3


def add_what_changed(
    brief: Brief,
    previous_week: str,
    previous: Brief,
    raw_texts: Mapping[str, str],
    article_texts: Mapping[str, str] | None = None,
) -> Brief:
    """A section "What changed since YYYY-Www" that tells, per story, what is new against
    the previous week's brief: new stories, developing stories (their new reports and
    figures before -> after), statements contradicting an earlier one, and one line naming
    the stories with no new report. Each line is cited; earlier sources it cites join the
    source list. It names stories and counts reports rather than repeating the brief's
    items, which follow it.

    `raw_texts` holds the raw text of each article loaded in this run, by its path: the
    previous brief's quotes are checked against it first (see `reverified`).
    `article_texts` (cleaned text by article id), when given, tie articles whose cited
    sentences alone share too little into one story (see `_stories`).
    """
    previous, failed = reverified(previous, raw_texts)
    earlier_ids = {s.article_id for s in previous.sources if s.in_period}
    now_rows = _unique(brief.citations)
    then_rows = [r for r in _unique(previous.citations) if r.article_id in earlier_ids]
    sources = list(brief.sources)
    number_of = {s.article_id: s.id for s in sources}

    def cite(row: CitationRow) -> BriefCitation:
        return _cite(row, _source_number(row.article_id, previous, sources, number_of))

    current_ids = {r.claim_id for r in now_rows}
    new, developing, contradicted, quiet = [], [], [], []
    for story in _stories([*now_rows, *then_rows], article_texts or {}):
        now = [r for r in story.rows if r.claim_id in current_ids]
        then = [r for r in story.rows if r.claim_id not in current_ids]
        if now and not then:
            new.append(_story_item("New story", story.label, now, [], cite))
        elif now and then:
            developing.append(_story_item("Developing", story.label, now, then, cite))
        elif then:
            quiet.append((story.label, then))
    for row, earlier in _contradicting(now_rows, then_rows):
        contradicted.append(_contradiction(row, earlier, cite))
    groups = [("new", new), ("developing", developing), ("contradicted", contradicted)]
    items = [i for _, group in groups for i in group[:MAX_STORIES_PER_KIND]]
    if quiet:
        items.append(_quiet_item(quiet[:MAX_STORIES_PER_KIND], cite))
    counts = [(name, len(group)) for name, group in groups] + [("quiet", len(quiet))]
    notes = list(brief.notes) + [
        f"What changed names {MAX_STORIES_PER_KIND} of {n} {name} stories"
        for name, n in counts
        if n > MAX_STORIES_PER_KIND
    ]
    notes.append(f"What changed compares with the brief of {previous_week}")
    if failed:
        notes.append(
            f"{failed} citation(s) in the brief of {previous_week} no longer verify against"
            " the corpus (the quote is not in its file, or the file changed or is gone)"
            " and were left out"
        )
    if not items:
        return brief.model_copy(update={"notes": notes})
    section = BriefSection(heading=f"What changed since {previous_week}", items=items)
    in_period = {s.article_id for s in brief.sources}
    cited_earlier = {c.claim_id for i in items for c in i.citations}
    rows = list(brief.citations) + [
        r.model_copy(update={"source": number_of[r.article_id]})
        for r in then_rows
        if r.claim_id in cited_earlier and r.article_id not in in_period
    ]
    sources = [s for s in sources if s.in_period or s.article_id in {r.article_id for r in rows}]
    words = sum(len(item.text.split()) for item in items)  # counted as the brief's items are
    return brief.model_copy(
        update={
            "sections": [section, *brief.sections],
            "sources": sources,
            "notes": notes,
            "citations": rows,
            "word_count": brief.word_count + words,
        }
    )


@dataclass
class _Story:
    rows: list[CitationRow]  # oldest first
    label: str


def _unique(rows: Iterable[CitationRow]) -> list[CitationRow]:
    """One row per claim (a claim quoted twice is one report)."""
    seen: dict[str, CitationRow] = {}
    for row in rows:
        seen.setdefault(row.claim_id, row)
    return list(seen.values())


def _stories(rows: list[CitationRow], texts: Mapping[str, str]) -> list[_Story]:
    """The claims of both weeks grouped into stories. An article tells one story; two
    articles whose claims share MIN_SHARED_NAMES name words or MIN_SHARED_WORDS words that
    are not the whole situation's, whose whole texts share MIN_SHARED_TEXT_NAMES name words,
    or that quote one finding, tell the same one."""
    lexicon = active()
    articles = sorted({r.article_id for r in rows})
    words = {a: set[str]() for a in articles}
    for row in rows:
        words[row.article_id] |= content_words(row.statement, lexicon)
    names = {a: set[str]() for a in articles}
    for row in rows:
        names[row.article_id] |= _name_words(row.statement)
    text_names = {a: _name_words(texts[a]) if a in texts else set[str]() for a in articles}
    counts = Counter(w for ws in words.values() for w in ws)
    # A word in most articles of a big corpus is everyone's ("said", "officials").
    common = {
        w
        for w, n in counts.items()
        if len(articles) >= MIN_ARTICLES_FOR_COMMON and n > COMMON_WORD_SHARE * len(articles)
    }
    distinct = {a: ws - common for a, ws in words.items()}
    number = {a: i for i, a in enumerate(articles)}
    sets = UnionFind(len(articles))
    by_finding: dict[str, str] = {}
    for row in rows:
        first = by_finding.setdefault(row.finding_id, row.article_id)
        sets.union(number[row.article_id], number[first])
    for i, first in enumerate(articles):
        for second in articles[i + 1 :]:
            shared_names = len(names[first] & names[second])
            shared_words = len(distinct[first] & distinct[second])
            shared_in_text = len(text_names[first] & text_names[second])
            if (
                shared_names >= MIN_SHARED_NAMES
                or shared_words >= MIN_SHARED_WORDS
                or shared_in_text >= MIN_SHARED_TEXT_NAMES
            ):
                sets.union(i, number[second])
    members: dict[int, list[CitationRow]] = {}
    for row in rows:
        members.setdefault(sets.find(number[row.article_id]), []).append(row)
    stories = [_Story(sorted(story, key=_when), _label(story)) for story in members.values()]
    return sorted(stories, key=lambda s: (-len(s.rows), s.label))


def _name_words(text: str) -> set[str]:
    """The words of the names a text uses ("Port", "Marrowick"), less calendar words."""
    return {
        w
        for n in proper_names(text)
        for w in re.findall(r"[A-Z][\w'’-]+", _name(n))
        if w.lower() not in _CALENDAR_WORDS
    }


def _when(row: CitationRow) -> tuple[dt.date, int]:
    return (row.published or dt.date.min, row.start)


def _label(rows: list[CitationRow]) -> str:
    """The story's name: the names its articles use most (each article counted once)."""
    lexicon = active()
    per_article: dict[str, set[str]] = {}
    for row in rows:
        names = {*lexicon.known_actors(row.statement)}
        names |= {_name(n) for n in proper_names(row.statement) if not re.search(r"[.!?]\s", n)}
        names = {n for n in names if not set(n.lower().split()) <= _CALENDAR_WORDS | {"and", "of"}}
        per_article.setdefault(row.article_id, set()).update(names)
    counts = Counter(n for names in per_article.values() for n in names)
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    picked: list[str] = []
    for name in ranked:
        if not any(name in other or other in name for other in picked):
            picked.append(name)
    if picked:
        return ", ".join(picked[:LABEL_TERMS])
    # A story that names no one: the words most of its articles use ("harbour, shipping").
    words = Counter(w for r in rows for w in content_words(r.statement, lexicon))
    spread = Counter(
        w
        for a in per_article
        for w in {w for r in rows if r.article_id == a for w in content_words(r.statement, lexicon)}
    )
    ranked_words = sorted(words, key=lambda w: (-spread[w], -words[w], w))
    return ", ".join(ranked_words[:LABEL_TERMS]) or "an unnamed story"


def _name(found: str) -> str:
    """ "The Harbour Council." as a label: "Harbour Council"."""
    return re.sub(r"^(?:A|An|The)\s+", "", found).rstrip(".,;:")


def _outlets(rows: list[CitationRow]) -> str:
    names = sorted({r.outlet or r.path.rsplit("/", 1)[-1] for r in rows})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return shown


def _story_item(
    kind: str,
    label: str,
    now: list[CitationRow],
    then: list[CitationRow],
    cite: Callable[[CitationRow], BriefCitation],
) -> BriefItem:
    """ "Developing: vessels, anchor: 3 new reports (Meridian Radio, ...); vessel 14 -> 38"."""
    articles = len({r.article_id for r in now})
    count = counted(articles, "new report" if then else "report")
    text = f"{kind}: {label}: {count} ({_outlets(now)})"
    cited = [now[0]]
    changed = _figure_changes(then, now)
    if changed:
        text += "; " + "; ".join(
            f"{before.text} → {after.text} {what}" for what, before, after in changed
        )
        for _, before, after in changed:
            cited += [before.row, after.row]
    cited = list({r.claim_id: r for r in [*cited, now[-1]]}.values())[:4]
    return BriefItem(
        text=text + ".",
        event_date=None,
        date_label=_period_label(now),
        finding_ids=sorted({r.finding_id for r in cited}),
        independent_sources=len({r.outlet or r.path for r in now}),
        citations=[cite(r) for r in cited],
    )


def _figure_changes(
    then: list[CitationRow], now: list[CitationRow]
) -> list[tuple[str, _Counted, _Counted]]:
    """Counts of one thing given before and again this week with another value. The figure
    compared with is the latest earlier count of the same thing, from the same speaker when
    there is one (a province's count against its own last count, not the ministry's)."""
    earlier = [(f, r) for r in then for f in figures_in(r.statement)]
    changes = []
    used: set[int] = set()
    for row in now:
        for figure in figures_in(row.statement):
            matching = [
                (i, f, r)
                for i, (f, r) in enumerate(earlier)
                if i not in used and same_quantity(f, figure)
            ]
            if not matching:
                continue
            index, before, before_row = max(
                matching,
                key=lambda m: (
                    m[2].speaker is not None and m[2].speaker == row.speaker,
                    m[2].published or dt.date.min,
                    m[2].start,
                ),
            )
            if _changed(before.value, figure.value):
                used.add(index)
                what = _counted_words(row.statement, figure.text)
                changes.append(
                    (what, _Counted(before.text, before_row), _Counted(figure.text, row))
                )
    return changes[:2]


# A count given again within this share of the earlier one is the same count rounded
# ("10,100" and "about 10,000"), not a change.
ROUNDING_SHARE = 0.02


def _changed(before: float, after: float) -> bool:
    return abs(after - before) > ROUNDING_SHARE * max(abs(before), abs(after))


# Words after a figure that say how, not what ("10,000 are still missing").
_ADVERBS = frozenset("still now already yet so far more less about around nearly".split())


def _counted_words(statement: str, figure: str) -> str:
    """What a figure counts, as the statement writes it: "ferries" in "40 ferries were",
    "missing" in "10,000 are missing" (the first of the next words that is not a function
    word)."""
    match = re.search(re.escape(figure) + r"((?:\s+[a-z][\w-]*){1,3})", statement)
    following = match.group(1).split() if match else []
    lexicon = active()
    return next(
        (
            w
            for w in following
            if content_words(w, lexicon) and w not in _ADVERBS and not w.endswith("ly")
        ),
        "figure",
    )


def _period_label(rows: list[CitationRow]) -> str:
    dates = sorted(r.published for r in rows if r.published)
    if not dates:
        return "undated"
    return (
        f"reported {dates[0]}" if dates[0] == dates[-1] else f"reported {dates[0]} to {dates[-1]}"
    )


def _quiet_item(
    quiet: list[tuple[str, list[CitationRow]]], cite: Callable[[CitationRow], BriefCitation]
) -> BriefItem:
    latest = [then[-1] for _, then in quiet]
    return BriefItem(
        text="No new report: " + "; ".join(label for label, _ in quiet) + ".",
        event_date=None,
        date_label=_period_label(latest),
        finding_ids=sorted({r.finding_id for r in latest}),
        independent_sources=len({r.outlet or r.path for r in latest}),
        citations=[cite(r) for r in latest],
    )


def reverified(previous: Brief, raw_texts: Mapping[str, str]) -> tuple[Brief, int]:
    """The previous brief with only the citations whose quote is, in this run, the raw
    text of its article at its offsets (flagged verified), and how many were left out.
    Items left citing nothing are left out too."""
    by_path = {_inside_corpus(path): raw for path, raw in raw_texts.items()}
    paths = {source.id: source.path for source in previous.sources}
    listed = {source.article_id for source in previous.sources}
    failed: set[tuple[str, int, int]] = set()

    def holds(path: str | None, claim_id: str, quote: str, start: int, end: int) -> bool:
        raw = by_path.get(_inside_corpus(path)) if path is not None else None
        evidence = Evidence.model_construct(quote=quote, start=start, end=end)
        if raw is not None and verify_evidence(evidence, raw):
            return True
        failed.add((claim_id, start, end))
        return False

    rows = [
        row.model_copy(update={"verified": True})
        for row in previous.citations
        # a row whose article is not among the sources is not a brief's row: no path to trust
        if holds(row.path if row.article_id in listed else None, *_span(row))
    ]
    sections = []
    for section in previous.sections:
        items = []
        for item in section.items:
            citations = [c for c in item.citations if holds(paths.get(c.source), *_span(c))]
            if citations:
                items.append(item.model_copy(update={"citations": citations}))
        sections.append(section.model_copy(update={"items": items}))
    checked = previous.model_copy(update={"sections": sections, "citations": rows})
    return checked, len(failed)


def _span(cited: CitationRow | BriefCitation) -> tuple[str, str, int, int]:
    return cited.claim_id, cited.quote, cited.start, cited.end


def _inside_corpus(path: str) -> str:
    """A source path without the corpus folder's name, which may differ between runs."""
    return path.split("/", 1)[-1]


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


@dataclass(frozen=True)
class _Counted:
    text: str  # the figure as written
    row: CitationRow


def _cite(row: CitationRow, source: int) -> BriefCitation:
    return BriefCitation(
        source=source, claim_id=row.claim_id, quote=row.quote, start=row.start, end=row.end
    )


def _findings(rows: list[CitationRow]) -> list[Finding]:
    """The brief's findings as far as its citation rows tell them: enough for the offline
    judgement of conflicts (statement, speaker, article, date)."""
    by_finding: dict[str, list[CitationRow]] = {}
    for row in rows:
        by_finding.setdefault(row.finding_id, []).append(row)
    findings = []
    for finding_id, members in by_finding.items():
        claims = {
            row.claim_id: Claim(
                claim_id=row.claim_id,
                article_id=row.article_id,
                statement=row.statement,
                speaker=row.speaker,
                reporting_chain=row.reporting_chain,
                evidence=[Evidence(quote=row.quote, start=row.start, end=row.end)],
            )
            for row in members
        }
        first = members[0]
        dates = [r.published for r in members if r.published]
        findings.append(
            Finding(
                finding_id=finding_id,
                statement=first.statement,
                claims=list(claims.values()),
                claim_type="event",
                attribution="asserted",
                speaker=first.speaker,
                actors=[],
                event_date=None,
                published=min(dates) if dates else None,
                independent_sources=1,
                salience=0.0,
            )
        )
    return findings


def _contradicting(
    now_rows: list[CitationRow], then_rows: list[CitationRow]
) -> list[tuple[CitationRow, CitationRow]]:
    """This week's statements that contradict an earlier week's, judged as the offline brief
    judges its conflicts (relate_offline and contradictions: one matter, opposite stances or
    states, not one speaker qualifying itself, not a change over weeks)."""
    now = _findings(now_rows)
    then = _findings(then_rows)
    findings = now + then
    parties = parties_of(findings)
    relations = relate_offline(opposed_pairs(findings, parties), parties)
    relations += contradictions(findings, parties.lexicon)
    now_ids = {f.finding_id for f in now}
    then_ids = {f.finding_id for f in then}
    first_row = {r.finding_id: r for r in reversed([*now_rows, *then_rows])}
    pairs: dict[tuple[str, str], tuple[CitationRow, CitationRow]] = {}
    for relation in relations:
        for a, b in ((relation.first, relation.second), (relation.second, relation.first)):
            if relation.kind == "conflict" and a in now_ids and b in then_ids:
                pairs.setdefault((a, b), (first_row[a], first_row[b]))
    return list(pairs.values())


def _contradiction(
    row: CitationRow, earlier: CitationRow, cite: Callable[[CitationRow], BriefCitation]
) -> BriefItem:
    """Who now says the opposite of what was reported the week before, and when."""
    now_by = row.speaker or (f"a report in {row.outlet}" if row.outlet else "a report")
    then_by = earlier.speaker or (f"a report in {earlier.outlet}" if earlier.outlet else "a report")
    return BriefItem(
        text=(
            f"Contradicted: {now_by} on {row.published or 'an undated day'} against"
            f" {then_by} on {earlier.published or 'an undated day'}."
        ),
        event_date=None,
        date_label=f"reported {row.published}" if row.published else "undated",
        finding_ids=[row.finding_id, earlier.finding_id],
        independent_sources=1,
        citations=[cite(row), cite(earlier)],
    )
