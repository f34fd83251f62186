"""The offline composer: findings become a templated overview and sections."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from briefing.assemble import (
    CONFLICTS,
    ESTIMATES_AND_UPDATES,
    KEY_DEVELOPMENTS,
    MAX_SECTION_WORDS,
    POSITIONS,
    UNDATED_REPORTS,
    BriefContext,
    PlannedItem,
    PlannedSection,
    estimate_and_update_items,
    overview_line,
)
from briefing.lexicon import active
from briefing.schemas import Article, Finding

_POSITION_TYPES = ("statement", "position")
# Undated reports take at most this share of the brief's words (or the share of the
# articles that are undated, when more are).
UNDATED_SHARE = 0.25
# Headline words name the story when two headlines and nearly as many as hold the most
# shared word (this share of them) hold them; the most shared come first.
TITLE_TERM_SHARE = 0.5
MAX_TITLE_TERMS = 3


def compose_offline(
    findings: list[Finding],
    context: BriefContext,
    conflicts: list[tuple[Finding, Finding]] | None = None,
    updates: list[tuple[Finding, Finding]] | None = None,
) -> tuple[str, list[PlannedSection]]:
    """A templated overview and sections: a dated timeline, positions by actor, conflicting
    reports, figures updated, undated reports. A finding stands in one section only."""
    every_finding = findings
    conflicts = conflicts or []
    conflict_items = _conflict_items(conflicts, {a.article_id: a for a in context.articles})
    in_conflicts = {f.finding_id for pair in conflicts for f in pair}
    updates = [pair for pair in updates or [] if not {f.finding_id for f in pair} & in_conflicts]
    update_items = estimate_and_update_items([], updates)
    budget = MAX_SECTION_WORDS - sum(
        len(item.text.split()) for item in [*conflict_items, *update_items]
    )
    shown = in_conflicts | {f.finding_id for pair in updates for f in pair}
    findings = [f for f in findings if f.finding_id not in shown]
    kept_ids = set()
    words = undated_words = 0
    undated_articles = sum(1 for a in context.articles if a.published is None)
    undated_share = max(UNDATED_SHARE, undated_articles / max(1, len(context.articles)))
    # Dated developments first; undated reports get a bounded share and never push a
    # dated development out.
    for finding in sorted(findings, key=lambda f: (not _dated(f), -f.salience, f.finding_id)):
        cost = len(finding.statement.split()) + 2  # the date label
        if words + cost > budget:
            continue
        if not _dated(finding):
            if undated_words + cost > undated_share * budget:
                continue
            undated_words += cost
        words += cost
        kept_ids.add(finding.finding_id)
    ordered = [f for f in findings if f.finding_id in kept_ids]  # keep timeline order
    positions: dict[str, list[Finding]] = defaultdict(list)
    timeline, undated = [], []
    for finding in ordered:
        actor = _position_holder(finding)
        if actor:
            positions[actor].append(finding)
        elif finding.event_date or finding.published:
            timeline.append(finding)
        else:
            undated.append(finding)
    # Actors in the order of how many positions they hold among all findings, not among
    # those the word budget let in: rejecting an unrelated claim lets another in, and must
    # not reorder the section.
    held = Counter(holder for f in every_finding if (holder := _position_holder(f)))
    sections = [
        PlannedSection(KEY_DEVELOPMENTS, [PlannedItem([f], reading(f)) for f in timeline]),
        PlannedSection(
            POSITIONS,
            [
                PlannedItem([f], reading(f), actor)
                for actor in sorted(positions, key=lambda a: (-held[a], a))
                for f in positions[actor]
            ],
        ),
        PlannedSection(CONFLICTS, conflict_items),
        PlannedSection(ESTIMATES_AND_UPDATES, update_items),
        PlannedSection(UNDATED_REPORTS, [PlannedItem([f], reading(f)) for f in undated]),
    ]
    # The count is of every finding, as the LLM composer's is: it changes by the findings
    # a rejection removes, not by how many others the freed words let in.
    return overview_line(every_finding, context), [s for s in sections if s.items]


# An opening that places the event in time. The extractor cuts a sentence's opening
# connective from the claim's statement ("However, ..."); these it cuts too, but an item
# keeps them: "Previously, Trump mentioned ..." is not news of today.
_TIME_CUE = re.compile(
    r"^(?:Previously|Earlier|Later|Recently|Initially|Subsequently|Since then|By then"
    r"|Earlier (?:this|that|in the) (?:week|month|year)|Last (?:week|month|year)),\s+"
)


def reading(finding: Finding) -> str:
    """The finding's statement as an item reads it: with the time cue its quote opened
    with, where the statement is that quote without it."""
    claim = next((c for c in finding.claims if c.statement == finding.statement), None)
    if claim is None:
        return finding.statement
    quote = " ".join(claim.evidence[0].quote.split())
    cue = _TIME_CUE.match(quote)
    if cue is None:
        return finding.statement
    rest = quote[cue.end() :]
    if rest[:1].upper() + rest[1:] != finding.statement:
        return finding.statement
    return cue.group(0) + rest


def _side(finding: Finding, articles: dict[str, Article]) -> str:
    """A conflict's side with who reported it and when: "... (The Times, 2025-04-26)"."""
    reports = [articles[c.article_id] for c in finding.claims if c.article_id in articles]
    names = sorted({name for a in reports if (name := a.origin or a.outlet)})
    when = finding.event_date or finding.published
    if not names and not when:
        return reading(finding)  # nothing known: the item's "undated" label says so
    credit = ", ".join([*names[:2], str(when) if when else "undated"])
    return f"{reading(finding)} ({credit})"


def _conflict_items(
    conflicts: list[tuple[Finding, Finding]], articles: dict[str, Article]
) -> list[PlannedItem]:
    """One item per statement and everything set against it, so that no statement is
    shown twice: the statement in most conflicts first, against all its opponents."""
    by_id: dict[str, Finding] = {}
    opponents: dict[str, list[str]] = defaultdict(list)
    for first, second in conflicts:
        by_id.update({first.finding_id: first, second.finding_id: second})
        opponents[first.finding_id].append(second.finding_id)
        opponents[second.finding_id].append(first.finding_id)
    shown: set[str] = set()
    items = []
    for key in sorted(opponents, key=lambda k: -len(opponents[k])):
        others = [by_id[o] for o in opponents[key] if o not in shown]
        if key in shown or not others:
            continue
        shown.update([key, *(o.finding_id for o in others)])
        text = f"{_side(by_id[key], articles)} Against this: " + " ".join(
            _side(o, articles) for o in others
        )
        items.append(PlannedItem([by_id[key], *others], text))
    return items


def _dated(finding: Finding) -> bool:
    return bool(finding.event_date or finding.published)


def _position_holder(finding: Finding) -> str | None:
    """Who states the position: a named speaker (a person, a state, an organisation)."""
    if finding.claim_type not in _POSITION_TYPES or not finding.speaker:
        return None
    speaker = finding.speaker
    lexicon = active()
    named = lexicon.kind(speaker) is not None or speaker[:1].isupper()
    return speaker if named else None


_TITLE_STOPWORDS = frozenset(
    """a an the and or but of to in on at for with by from as after before over under into
    is are was were be been has have had will would could should may might new says said
    say amid after as its their his her this that these those how why what who more most
    than up out off just""".split()
)


def _title_words(title: str) -> list[tuple[str, str]]:
    """(key, word as written) for the content words of a headline."""
    found = []
    for word in re.findall(r"[\w’'-]+", title):
        key = word.lower().strip("’'")
        key = key[:-1] if key.endswith("s") and len(key) > 4 else key
        if key not in _TITLE_STOPWORDS and not key.isdigit() and len(key) > 2:
            found.append((key, word))
    return found


def _as_written(forms: Counter[str]) -> str:
    """A name keeps its capital; a word capitalised only by headline style loses it."""
    word = forms.most_common(1)[0][0]
    return word if all(w[:1].isupper() for w in forms) else word.lower()


def brief_title(findings: list[Finding], articles: list[Article] | None = None) -> str:
    """The story named by its own headlines: the words most of them share, most shared
    first; else the actors most named."""
    titles = [a.title for a in articles or [] if a.title]
    counts = Counter(key for t in titles for key in {k for k, _ in _title_words(t)})
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for title in titles:
        for key, word in _title_words(title):
            written[key][word] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked[0][1] if ranked else 0
    common = [k for k, n in ranked if n >= 2 and n >= TITLE_TERM_SHARE * top]
    if common:
        words = [_as_written(written[k]) for k in common[:MAX_TITLE_TERMS]]
        return "Situation brief: " + " ".join(words)
    mentions = Counter(actor for f in findings for actor in f.actors[:3])
    actors = [actor for actor, _ in mentions.most_common(3)]
    return "Situation brief: " + (", ".join(actors) if actors else "news digest")
