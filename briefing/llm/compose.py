"""The model composes the brief's prose in one cached call; code checks every sentence.

Validation runs in instructor's loop, given the call's context: a composed sentence must
cite known claim ids and may say no more than its cited claims: no number or name they
lack, no support where they say refusal (or the reverse), no fact where they say
"reportedly" or "may". A sentence that still fails after the re-asks is dropped and
counted, never rendered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from briefing.assemble import (
    CONFLICTS,
    KEY_DEVELOPMENTS,
    OPEN_QUESTIONS,
    POSITIONS,
    SUMMARY,
    PlannedItem,
    PlannedSection,
)
from briefing.llm.calls import StructuredCalls
from briefing.llm.client import CallScope
from briefing.prompts import COMPOSE_BRIEF, load_prompt
from briefing.schemas import Claim, Finding
from briefing.support import unsupported_by

# The compose call sees at most this many findings, so its cost does not grow with the corpus.
MAX_COMPOSE_FINDINGS = 60
MAX_BRIEF_WORDS = 1200
MAX_REASKS = 2

Heading = Literal[
    "Summary", "Key developments", "Positions by actor", "Conflicting reports", "Open questions"
]
_SECTION_ORDER = (SUMMARY, KEY_DEVELOPMENTS, POSITIONS, CONFLICTS, OPEN_QUESTIONS)


class ComposedSentence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    claim_ids: list[str] = Field(min_length=1)


class ComposedSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heading: Heading
    sentences: list[ComposedSentence]


@dataclass
class ComposeState:
    """Claims the composer may cite; which sentences passed; lives in instructor's context."""

    claims: dict[str, Claim]
    scope: CallScope
    max_attempts: int
    dropped: list[str] = field(default_factory=list)


class ComposedBrief(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    sections: list[ComposedSection]

    @model_validator(mode="after")
    def sentences_rest_on_their_claims(self, info: ValidationInfo) -> ComposedBrief:
        state = (info.context or {}).get("compose")
        if not isinstance(state, ComposeState):
            return self
        failures = []
        for s_index, section in enumerate(self.sections):
            for index, sentence in enumerate(section.sentences):
                problem = unsupported(sentence, section.heading, state.claims)
                if problem:
                    failures.append(
                        (s_index, index, f"sections[{s_index}].sentences[{index}]: {problem}")
                    )
        if failures and state.scope.calls < state.max_attempts:
            raise ValueError(
                "Every sentence must cite existing claim ids and say no more than its cited"
                " claims: only their numbers and names, the same stance (support is not"
                " refusal), and their hedges ('reportedly', 'may') kept. Fix or remove"
                " these:\n" + "\n".join(message for _, _, message in failures)
            )
        bad = {(s, i) for s, i, _ in failures}
        for s_index, section in enumerate(self.sections):
            section.sentences = [
                x for i, x in enumerate(section.sentences) if (s_index, i) not in bad
            ]
        state.dropped = [message for _, _, message in failures]
        return self


def _cited_text(claims: list[Claim]) -> str:
    parts = []
    for claim in claims:
        parts += [claim.statement, *(e.quote for e in claim.evidence), *claim.actors]
        parts += [claim.speaker or "", *claim.reporting_chain]
    return " ".join(parts)


def unsupported(sentence: ComposedSentence, heading: str, claims: dict[str, Claim]) -> str | None:
    """Why a composed sentence is not supported by its cited claims, or None: unknown
    ids, a one-sided conflict, or more than its claims say (numbers, names, a reversed
    stance, a dropped hedge: see briefing.support)."""
    unknown = [cid for cid in sentence.claim_ids if cid not in claims]
    if unknown:
        return f"unknown claim ids {unknown}"
    cited = [claims[cid] for cid in sentence.claim_ids]
    if heading == CONFLICTS and len({c.claim_id for c in cited}) < 2:
        return "a conflicting report must cite the claims of both sides"
    return unsupported_by(
        sentence.text,
        _cited_text(cited),
        allowed_names=[actor for claim in cited for actor in claim.actors],
        sources="the cited claims",
        hedge_remedy="keep that hedge (or name the source) rather than state it as fact",
    )


def select_for_compose(
    findings: list[Finding], conflicts: list[tuple[Finding, Finding]]
) -> list[Finding]:
    """The findings the composer sees: every side of a conflict, then the best by
    corroboration, salience and recency, up to MAX_COMPOSE_FINDINGS, in timeline order."""
    must = {f.finding_id for pair in conflicts for f in pair}
    ranked = sorted(
        findings,
        key=lambda f: (
            f.finding_id not in must,
            -f.independent_sources,
            -f.salience,
            -(f.published.toordinal() if f.published else 0),
            f.finding_id,
        ),
    )
    keep = {f.finding_id for f in ranked[:MAX_COMPOSE_FINDINGS]}
    return [f for f in findings if f.finding_id in keep]


@dataclass
class Composed:
    title: str
    sections: list[PlannedSection]
    dropped_sentences: list[str]


async def compose_sections(
    calls: StructuredCalls,
    findings: list[Finding],
    conflicts: list[tuple[Finding, Finding]],
    since: str,
    until: str,
    *,
    max_reasks: int = MAX_REASKS,
) -> Composed:
    """The model's title and sections over the chosen findings, every sentence validated."""
    chosen = select_for_compose(findings, conflicts)
    claims = {c.claim_id: c for f in chosen for c in f.claims}
    finding_of = {c.claim_id: f for f in chosen for c in f.claims}
    lines = [
        json.dumps(
            {
                "claim_ids": [c.claim_id for c in f.claims],
                "statement": f.statement,
                "date": str(f.event_date or f.published or "undated"),
                "actors": f.actors,
                "attribution": f.attribution,
                "independent_sources": f.independent_sources,
            },
            ensure_ascii=False,
        )
        for f in chosen
    ]
    conflict_lines = [
        json.dumps(
            {"first": [c.claim_id for c in a.claims], "second": [c.claim_id for c in b.claims]}
        )
        for a, b in conflicts
    ]
    scope = CallScope("compose")
    state = ComposeState(claims, scope, max_attempts=max_reasks + 1)
    result = await calls.cached_call(
        load_prompt(COMPOSE_BRIEF),
        {
            "findings": lines,
            "conflicts": conflict_lines,
            "since": since,
            "until": until,
            "max_words": MAX_BRIEF_WORDS,
        },
        ComposedBrief,
        scope=scope,
        context={"compose": state},
        max_reasks=max_reasks,
    )
    # A conflict's sides stand in its own section (as offline): a timeline or positions
    # sentence that only retells one side repeats it. The summary may name them.
    sides = {c.claim_id for pair in conflicts for f in pair for c in f.claims}
    sections = []
    for heading in _SECTION_ORDER:
        items = [
            PlannedItem(
                list({id(finding_of[cid]): finding_of[cid] for cid in s.claim_ids}.values()),
                s.text,
                cited_claims=[claims[cid] for cid in s.claim_ids],
            )
            for section in result.sections
            if section.heading == heading
            for s in section.sentences
            if heading in (SUMMARY, CONFLICTS) or not set(s.claim_ids) <= sides
        ]
        if items:
            sections.append(PlannedSection(heading, items))
    return Composed(result.title, sections, state.dropped)
