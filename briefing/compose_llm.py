"""LLM calls over findings: judging candidate pairs, and composing the brief's prose.

Both are single batched calls, cached in the store by their full prompt, model and
prompt version, and validated through instructor's `context=`: a composed sentence
must cite known claim ids and may state no number or name its cited claims lack. A
sentence that still fails after the re-asks is dropped and counted, never rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from briefing.compose import (
    CONFLICTS,
    KEY_DEVELOPMENTS,
    OPEN_QUESTIONS,
    POSITIONS,
    SUMMARY,
    PlannedItem,
    PlannedSection,
)
from briefing.gazetteer import known_actors
from briefing.grounding import numbers_in
from briefing.llm_client import CallScope, LLMClient, current_scope
from briefing.prompts import Prompt, inert_for_instructor, load_prompt
from briefing.relate import Relation, RelationKind
from briefing.schemas import SCHEMA_VERSION, Claim, Finding
from briefing.store import Store

COMPOSE_BRIEF = "compose_brief"
RELATE_FINDINGS = "relate_findings"
# The compose call sees at most this many findings, so its cost does not grow with the corpus.
MAX_COMPOSE_FINDINGS = 60
MAX_BRIEF_WORDS = 1200
MAX_REASKS = 2

Heading = Literal[
    "Summary", "Key developments", "Positions by actor", "Conflicting reports", "Open questions"
]
_SECTION_ORDER = (SUMMARY, KEY_DEVELOPMENTS, POSITIONS, CONFLICTS, OPEN_QUESTIONS)


# --- relating pairs ------------------------------------------------------------------


class PairJudgement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pair: int
    relation: RelationKind
    note: str = ""


class PairJudgements(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judgements: list[PairJudgement]

    @model_validator(mode="after")
    def pairs_exist(self, info: ValidationInfo) -> PairJudgements:
        count = (info.context or {}).get("pair_count")
        if isinstance(count, int):
            unknown = [j.pair for j in self.judgements if not 0 <= j.pair < count]
            if unknown:
                raise ValueError(f"no such pair: {unknown}; pairs are numbered 0 to {count - 1}")
        return self


# --- composing ------------------------------------------------------------------------


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
                "Every sentence must cite existing claim ids and state only numbers and names"
                " found in its cited claims. Fix or remove these:\n"
                + "\n".join(message for _, _, message in failures)
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
    """Why a composed sentence is not supported by its cited claims, or None."""
    unknown = [cid for cid in sentence.claim_ids if cid not in claims]
    if unknown:
        return f"unknown claim ids {unknown}"
    cited = [claims[cid] for cid in sentence.claim_ids]
    if heading == CONFLICTS and len({c.claim_id for c in cited}) < 2:
        return "a conflicting report must cite the claims of both sides"
    source_text = _cited_text(cited)
    missing_numbers = set(numbers_in(sentence.text)) - set(numbers_in(source_text))
    if missing_numbers:
        return f"numbers not in the cited claims: {sorted(missing_numbers)}"
    missing_names = (
        set(known_actors(sentence.text))
        - set(known_actors(source_text))
        - set(a for c in cited for a in c.actors)
    )
    for name in re.findall(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?: [A-Z][a-z]+)+", sentence.text):
        if name not in source_text and not known_actors(name):
            missing_names.add(name)
    if missing_names:
        return f"names not in the cited claims: {sorted(missing_names)}"
    return None


# --- the calls -------------------------------------------------------------------------


class FindingsLLM:
    """Relating and composing through the LLM, cached in the store."""

    def __init__(self, client: LLMClient, create: Any, store: Store) -> None:
        self.client = client
        self.create = create
        self.store = store
        self.relate_prompt = load_prompt(RELATE_FINDINGS)
        self.compose_prompt = load_prompt(COMPOSE_BRIEF)
        self.dropped_sentences: list[str] = []

    def _key(self, purpose: str, prompt: Prompt, messages: list[dict[str, str]]) -> str:
        material = json.dumps(
            [purpose, self.client.settings.model, prompt.version, SCHEMA_VERSION, messages],
            sort_keys=True,
        )
        return f"{purpose}:{hashlib.sha256(material.encode()).hexdigest()}"

    async def _call(
        self,
        purpose: str,
        prompt: Prompt,
        variables: dict[str, Any],
        response_model: type[BaseModel],
        context: dict[str, Any],
        scope: CallScope,
    ) -> Any:
        messages = prompt.render(**variables)
        key = self._key(purpose, prompt, messages)
        cached = self.store.cached_result(key)
        if cached is not None:
            scope.calls = MAX_REASKS + 1  # already validated: re-checking may only drop
            return response_model.model_validate_json(cached, context=context)
        token = current_scope.set(scope)
        try:
            result = await self.create(
                model=self.client.settings.model,
                messages=inert_for_instructor(messages),
                response_model=response_model,
                max_retries=MAX_REASKS,
                context=context,
                temperature=0,
            )
        finally:
            current_scope.reset(token)
        self.store.save_result(key, purpose, result.model_dump_json())
        return result

    async def relate(self, pairs: list[tuple[Finding, Finding]]) -> list[Relation]:
        if not pairs:
            return []
        lines = [
            json.dumps({"pair": i, "first": a.statement, "second": b.statement}, ensure_ascii=False)
            for i, (a, b) in enumerate(pairs)
        ]
        result: PairJudgements = await self._call(
            "relate",
            self.relate_prompt,
            {"pairs": lines},
            PairJudgements,
            {"pair_count": len(pairs)},
            CallScope("relate"),
        )
        relations = []
        for judgement in result.judgements:
            if judgement.relation != "unrelated":
                first, second = pairs[judgement.pair]
                relations.append(
                    Relation(
                        judgement.relation,
                        first.finding_id,
                        second.finding_id,
                        judgement.note or None,
                    )
                )
        return relations

    async def compose(
        self,
        findings: list[Finding],
        conflicts: list[tuple[Finding, Finding]],
        since: str,
        until: str,
    ) -> tuple[str, list[PlannedSection]]:
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
        state = ComposeState(claims, scope, max_attempts=MAX_REASKS + 1)
        result: ComposedBrief = await self._call(
            "compose",
            self.compose_prompt,
            {
                "findings": lines,
                "conflicts": conflict_lines,
                "since": since,
                "until": until,
                "max_words": MAX_BRIEF_WORDS,
            },
            ComposedBrief,
            {"compose": state},
            scope,
        )
        self.dropped_sentences = state.dropped
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
            ]
            if items:
                sections.append(PlannedSection(heading, items))
        return result.title, sections


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
