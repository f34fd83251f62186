"""The model judges candidate pairs of findings in one batched, cached call.

Each pair is the same thing said twice, a conflict, differing estimates, a later
update, or unrelated; "same" pairs are merged into one finding by the caller.
"""

from __future__ import annotations

import asyncio
import json

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from briefing.llm.calls import StructuredCalls
from briefing.llm.client import CallScope
from briefing.prompts import RELATE_FINDINGS, load_prompt
from briefing.relations import Relation, RelationKind
from briefing.schemas import Finding

MAX_REASKS = 2
# Pairs judged in one call.
PAIRS_PER_CALL = 100


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


async def judge_pairs(
    calls: StructuredCalls, pairs: list[tuple[Finding, Finding]], *, max_reasks: int = MAX_REASKS
) -> list[Relation]:
    """Every pair the model finds related, by finding id; "unrelated" pairs are left out.

    The pairs go in concurrent calls of at most PAIRS_PER_CALL, each cached on its own: a
    prompt that fits a small local model's context, and an answer short enough to finish."""
    chunks = [
        pairs[start : start + PAIRS_PER_CALL] for start in range(0, len(pairs), PAIRS_PER_CALL)
    ]
    judged = await asyncio.gather(*(_judge(calls, chunk, max_reasks) for chunk in chunks))
    return [relation for relations in judged for relation in relations]


async def _judge(
    calls: StructuredCalls, pairs: list[tuple[Finding, Finding]], max_reasks: int
) -> list[Relation]:
    lines = [
        json.dumps({"pair": i, "first": a.statement, "second": b.statement}, ensure_ascii=False)
        for i, (a, b) in enumerate(pairs)
    ]
    result = await calls.cached_call(
        load_prompt(RELATE_FINDINGS),
        {"pairs": lines},
        PairJudgements,
        scope=CallScope("relate"),
        context={"pair_count": len(pairs)},
        max_reasks=max_reasks,
    )
    relations = []
    for judgement in result.judgements:
        if judgement.relation != "unrelated":
            first, second = pairs[judgement.pair]
            relations.append(
                Relation(
                    judgement.relation, first.finding_id, second.finding_id, judgement.note or None
                )
            )
    return relations
