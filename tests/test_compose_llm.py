"""Validation of composed sentences against the claims they cite."""

from __future__ import annotations

import pytest

from briefing.llm.compose import ComposedSentence, unsupported
from briefing.schemas import Claim, Evidence


def claim(claim_id: str, statement: str, actors: list[str]) -> Claim:
    return Claim(
        claim_id=claim_id,
        article_id="a",
        statement=statement,
        actors=actors,
        evidence=[Evidence(quote=statement, start=0, end=len(statement))],
    )


CLAIMS = {
    "c1": claim(
        "c1", "The Washington Post wrote that Europe could send 25,000 troops.", ["Europe"]
    ),
    "c2": claim("c2", "Russia rejected any NATO troops in Ukraine.", ["Russia", "NATO", "Ukraine"]),
    "c3": claim(
        "c3",
        "The Kremlin said Vladimir Putin is ready to accept European peacekeepers.",
        ["Russia"],
    ),
}


@pytest.mark.parametrize(
    ("text", "ids", "heading", "problem"),
    [
        ("Europe could send 25,000 troops.", ["c9"], "Summary", "unknown claim ids"),
        ("Europe could send 30,000 troops.", ["c1"], "Summary", "numbers not in the cited claims"),
        (
            "Germany rejected any NATO troops in Ukraine.",
            ["c2"],
            "Summary",
            "names not in the cited claims",
        ),
        ("Emmanuel Macron said Europe could send 25,000 troops.", ["c1"], "Summary", "names"),
        (
            "Russia rejected NATO troops while the Kremlin said otherwise.",
            ["c2"],
            "Conflicting reports",
            "both sides",
        ),
    ],
)
def test_unsupported_sentences_are_caught(
    text: str, ids: list[str], heading: str, problem: str
) -> None:
    reason = unsupported(ComposedSentence(text=text, claim_ids=ids), heading, CLAIMS)
    assert reason is not None and problem in reason


def test_a_supported_conflict_sentence_passes() -> None:
    sentence = ComposedSentence(
        text="Russia rejected any NATO troops in Ukraine, yet the Kremlin said Vladimir Putin is ready to accept European peacekeepers.",
        claim_ids=["c2", "c3"],
    )
    assert unsupported(sentence, "Conflicting reports", CLAIMS) is None
