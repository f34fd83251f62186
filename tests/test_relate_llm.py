"""What code does around the model's relate judgements: calls of a bounded size, figures
judged by code, one pair per dispute."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from briefing.aggregate import group_syndicated
from briefing.backend import Related
from briefing.llm.backend import _with_figures, one_pair_per_dispute
from briefing.llm.relate import PAIRS_PER_CALL, PairJudgement, PairJudgements, judge_pairs
from briefing.schemas import Finding
from tests.factories import make_article, make_finding


def finding(statement: str, article_id: str) -> Finding:
    return make_finding(statement, article_id)


class RecordingCalls:
    """Stands in for StructuredCalls: records each relate call's pairs and calls every
    pair whose first statement ends in "!" a conflict."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def cached_call(self, prompt: Any, variables: dict[str, Any], *args: Any, **kw: Any):  # type: ignore[no-untyped-def]
        pairs = [json.loads(line) for line in variables["pairs"]]
        self.sizes.append(len(pairs))
        await asyncio.sleep(0)
        return PairJudgements(
            judgements=[
                PairJudgement(pair=p["pair"], relation="conflict")
                for p in pairs
                if p["first"].endswith("!")
            ]
        )


def test_pairs_are_judged_in_calls_of_bounded_size_and_mapped_back() -> None:
    pairs = [
        (
            finding(f"Statement {i}{'!' if i % 40 == 0 else '.'}", f"a{i}"),
            finding(f"Other {i}.", f"b{i}"),
        )
        for i in range(PAIRS_PER_CALL * 2 + 30)
    ]
    calls = RecordingCalls()
    relations = asyncio.run(judge_pairs(calls, pairs))  # type: ignore[arg-type]
    assert calls.sizes == [PAIRS_PER_CALL, PAIRS_PER_CALL, 30]
    # each judgement names the findings of its own pair, whatever call it came back from
    expected = [(a.finding_id, b.finding_id) for a, b in pairs if a.statement.endswith("!")]
    assert [(r.first, r.second) for r in relations] == expected
    assert len(expected) == 6


def test_one_statement_against_two_of_one_articles_statements_is_one_dispute() -> None:
    stay = finding("The mayor said residents may stay upstairs.", "echo")
    leave = finding("The council said everyone must leave.", "council")
    every = finding("The council said the order applies to every household.", "council")
    elsewhere = finding("The regional office said all must go.", "radio")
    kept = one_pair_per_dispute([(stay, leave), (every, stay), (stay, elsewhere)])
    assert kept == [(stay, leave), (stay, elsewhere)]


def test_code_judges_counts_where_the_model_judged_them_otherwise() -> None:
    province = make_article("Province reports 204 cases.", "p.txt", "2025-03-05", outlet="Herald")
    ministry = make_article("Ministry reports 181 cases.", "m.txt", "2025-03-05", outlet="Bulletin")
    articles = {a.article_id: a for a in (province, ministry)}
    groups = group_syndicated(list(articles.values()))
    counted = finding("The province said 204 cases had been recorded.", province.article_id)
    confirmed = finding("The ministry said 181 cases had been confirmed.", ministry.article_id)
    # the model called the two counts of one day differing estimates; by code they conflict
    related = Related([counted, confirmed], estimates=[(counted, confirmed)])
    judged = _with_figures(related, articles, groups)
    assert judged.estimates == [] and judged.conflicts == [(counted, confirmed)]
