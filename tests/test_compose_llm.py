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


MEANING = {
    "r1": claim(
        "r1",
        "Russia has declared that it would not accept the involvement of any NATO forces"
        " in Ukraine under any circumstances.",
        ["Russia", "NATO", "Ukraine"],
    ),
    "p1": claim(
        "p1",
        "A proposal to send troops to Ukraine has reportedly been abandoned, according to"
        " an unnamed source.",
        ["Ukraine"],
    ),
    "m1": claim("m1", "The United Kingdom may abandon plans to send ground troops.", ["UK"]),
}


@pytest.mark.parametrize(
    ("text", "ids", "problem"),
    [
        # support where the claim says refusal
        (
            "Moscow welcomed the deployment of NATO forces in Ukraine.",
            ["r1"],
            "it says 'welcomed' where the cited claims say 'it would not accept'",
        ),
        ("Russia said it would accept NATO forces in Ukraine.", ["r1"], "where the cited"),
        # "reportedly" and "may" stated as fact
        (
            "The proposal to send troops to Ukraine has been abandoned.",
            ["p1"],
            "the cited claims say 'reportedly ... abandoned' (reported)",
        ),
        (
            "The United Kingdom will abandon its plans to send ground troops.",
            ["m1"],
            "the cited claims say 'may ... abandon' (uncertain)",
        ),
    ],
)
def test_sentences_that_reverse_or_unhedge_their_claims_are_caught(
    text: str, ids: list[str], problem: str
) -> None:
    reason = unsupported(ComposedSentence(text=text, claim_ids=ids), "Summary", MEANING)
    assert reason is not None and problem in reason


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Moscow rejected any NATO forces in Ukraine.", ["r1"]),
        ("Russia would not accept NATO forces in Ukraine.", ["r1"]),
        ("An unnamed source said the proposal to send troops had been abandoned.", ["p1"]),
        ("The United Kingdom might abandon plans to send ground troops.", ["m1"]),
        # a sentence that leaves out the hedged words drops no hedge
        ("The United Kingdom has plans to send ground troops.", ["m1"]),
    ],
)
def test_sentences_that_keep_stance_and_hedges_pass(text: str, ids: list[str]) -> None:
    assert unsupported(ComposedSentence(text=text, claim_ids=ids), "Summary", MEANING) is None
