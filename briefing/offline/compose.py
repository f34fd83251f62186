"""The offline composer: findings become a templated overview and sections."""

from __future__ import annotations

from collections import Counter, defaultdict

from briefing.assemble import (
    CONFLICTS,
    KEY_DEVELOPMENTS,
    MAX_SECTION_WORDS,
    POSITIONS,
    UNDATED_REPORTS,
    BriefContext,
    PlannedItem,
    PlannedSection,
    overview_line,
)
from briefing.lexicon import active
from briefing.schemas import Finding

_POSITION_TYPES = ("statement", "position")


def compose_offline(
    findings: list[Finding],
    context: BriefContext,
    conflicts: list[tuple[Finding, Finding]] | None = None,
) -> tuple[str, list[PlannedSection]]:
    """A templated overview and sections: a dated timeline, positions by actor, conflicting
    reports, undated reports."""
    conflicts = conflicts or []
    conflict_items = _conflict_items(conflicts)
    budget = MAX_SECTION_WORDS - sum(len(item.text.split()) for item in conflict_items)
    in_conflicts = {f.finding_id for pair in conflicts for f in pair}
    findings = [f for f in findings if f.finding_id not in in_conflicts]
    kept_ids = set()
    words = 0
    for finding in sorted(findings, key=lambda f: (-f.salience, f.finding_id)):
        words += len(finding.statement.split()) + 2  # the date label
        if words > budget:
            break
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
    sections = [
        PlannedSection(KEY_DEVELOPMENTS, [PlannedItem([f], f.statement) for f in timeline]),
        PlannedSection(
            POSITIONS,
            [
                PlannedItem([f], f.statement, actor)
                for actor in sorted(positions, key=lambda a: (-len(positions[a]), a))
                for f in positions[actor]
            ],
        ),
        PlannedSection(CONFLICTS, conflict_items),
        PlannedSection(UNDATED_REPORTS, [PlannedItem([f], f.statement) for f in undated]),
    ]
    return overview_line(ordered, context), [s for s in sections if s.items]


def _conflict_items(conflicts: list[tuple[Finding, Finding]]) -> list[PlannedItem]:
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
        text = f"{by_id[key].statement} Against this: " + " ".join(o.statement for o in others)
        items.append(PlannedItem([by_id[key], *others], text))
    return items


def _position_holder(finding: Finding) -> str | None:
    """The person or state whose position a finding states, if it states one."""
    if finding.claim_type not in _POSITION_TYPES:
        return None
    speaker = finding.speaker
    lexicon = active()
    return (
        speaker if speaker and (lexicon.is_person(speaker) or lexicon.is_state(speaker)) else None
    )


def brief_title(findings: list[Finding]) -> str:
    mentions = Counter(actor for f in findings for actor in f.actors[:3])
    top = [actor for actor, _ in mentions.most_common(3)]
    return "Situation brief: " + (", ".join(top) if top else "news digest")
