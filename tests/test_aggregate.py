"""Syndication groups, findings across articles, timeline order."""

from __future__ import annotations

import datetime as dt

import pytest

from briefing.aggregate import (
    _single_claim_finding,
    group_syndicated,
    merge_findings,
    same_claim,
)
from briefing.schemas import Article, Claim, Evidence, Finding
from tests.factories import make_article

BODY = (
    "Defence ministers from thirty countries met in Brussels on Thursday to discuss a reassurance force "
    "for Ukraine. Only six nations have so far committed troops to the mission, officials said. "
    "The United Kingdom and France pledged to lead the force, while Germany declined to take part. "
    "Sweden said it would wait until the mission's objectives were defined."
)


def make_claim(article: Article, sentence: str, event_date: str | None = None) -> Claim:
    start = article.raw_text.index(sentence)
    return Claim(
        claim_id=f"{article.article_id[:6]}-{start}",
        article_id=article.article_id,
        statement=sentence,
        evidence=[Evidence(quote=sentence, start=start, end=start + len(sentence))],
        event_date=dt.date.fromisoformat(event_date) if event_date else None,
        salience=1.0,
    )


def test_a_syndicated_copy_under_another_name_is_one_source() -> None:
    original = make_article(BODY, path="c/wire.txt", published="2025-03-07")
    reprint = make_article(
        "Reprinted from the wire.\n" + BODY + "\nShare this story.",
        path="c/reprint.txt",
        published="2025-03-08",
    )
    other = make_article(
        "Russia warned on Friday that any deployment would be a provocation and said talks had stalled.",
        path="c/other.txt",
        published="2025-03-08",
    )
    groups = group_syndicated([original, reprint, other])
    assert groups.group_of[original.article_id] == groups.group_of[reprint.article_id]
    assert groups.group_of[other.article_id] != groups.group_of[original.article_id]
    assert len({groups.group_of[a.article_id] for a in (original, reprint, other)}) == 2


def test_the_same_claim_in_two_articles_is_one_finding_with_both_citations() -> None:
    sentence = "Only six nations have so far committed troops to the mission, officials said."
    a = make_article(BODY, path="c/a.txt", published="2025-03-07")
    b = make_article(
        "Reprint. " + sentence + " Nothing else here for now.",
        path="c/b.txt",
        published="2025-03-09",
    )
    findings = merge_findings(
        [make_claim(a, sentence), make_claim(b, sentence)],
        {a.article_id: a, b.article_id: b},
        group_syndicated([a, b]),
    )
    assert len(findings) == 1
    assert len(findings[0].claims) == 2
    assert findings[0].published == dt.date(2025, 3, 7)


def test_claims_differing_in_number_or_negation_stay_apart() -> None:
    assert same_claim(
        "The UK pledged 42 troops to the mission.", "The UK pledged 42 troops to the mission!"
    )
    assert not same_claim(
        "The UK pledged 42 troops to the mission.", "The UK pledged 12 troops to the mission."
    )
    assert not same_claim(
        "The deal was agreed on Monday by both sides.",
        "The deal was not agreed on Monday by both sides.",
    )


LEAD = (
    "Floodwater breached the eastern embankment of the Harrow canal late on Monday, forcing the"
    " district council to evacuate about 300 homes in the low-lying streets near the old mill,"
    " the council's emergency coordinator said in a statement early on Tuesday morning."
)


def test_versions_of_one_story_and_one_outlets_stories_are_one_origin() -> None:
    """An updated version keeps the lead under a new headline and a rewritten body; a copy
    on another site credits nobody; the same outlet's other story is still that outlet's."""
    first = make_article(
        "Canal breach forces 300 homes out\n\n"
        + LEAD
        + "\nPumps were being brought in from neighbouring districts overnight, and the"
        " school on Mill Lane opened its hall to families who had nowhere else to sleep, with"
        " volunteers serving hot meals until midnight.",
        path="c/first.txt",
        published="2025-03-04",
        title="Canal breach forces 300 homes out",
        outlet="Harrow Courier",
    )
    update = make_article(
        "Canal breach: evacuation widened to 450 homes\n\n"
        + LEAD
        + "\nBy the evening the council had widened the order to 450 homes as the water kept"
        " rising, and the army sent two engineering units to build a temporary wall of sandbags"
        " along the breach.",
        path="c/update.txt",
        published="2025-03-04",
        title="Canal breach: evacuation widened to 450 homes",
        outlet="Regional Wire Review",
    )
    same_outlet = make_article(
        "The council will vote next month on the budget for the new ring road, its leader said.",
        path="c/budget.txt",
        published="2025-03-05",
        outlet="Harrow Courier",
    )
    other = make_article(
        "Residents of the mill streets said they had been warned about the embankment for"
        " years, and a petition with 2,000 names was handed to the council in January.",
        path="c/other.txt",
        published="2025-03-05",
        outlet="Valley Radio",
    )
    articles = [first, update, same_outlet, other]
    groups = group_syndicated(articles)
    assert groups.group_of[first.article_id] == groups.group_of[update.article_id]
    assert groups.group_of[same_outlet.article_id] != groups.group_of[first.article_id]
    origins = {a.path: groups.origin(a) for a in articles}
    assert origins["c/first.txt"] == origins["c/update.txt"] == origins["c/budget.txt"]
    assert origins["c/other.txt"] != origins["c/first.txt"]


def test_independent_sources_count_syndication_groups_once() -> None:
    sentence = "Only six nations have so far committed troops to the mission, officials said."
    original = make_article(BODY, path="c/wire.txt", published="2025-03-07")
    reprint = make_article(
        BODY + "\nShare this story.", path="c/reprint.txt", published="2025-03-08"
    )
    articles = {original.article_id: original, reprint.article_id: reprint}
    findings = merge_findings(
        [make_claim(original, sentence), make_claim(reprint, sentence)],
        articles,
        group_syndicated(list(articles.values())),
    )
    assert len(findings) == 1 and findings[0].independent_sources == 1


def test_timeline_orders_by_event_date_then_publication_date_undated_last() -> None:
    early = make_article(
        "The summit in Brussels ended without an agreement on the mission.",
        path="c/1.txt",
        published="2025-03-10",
    )
    late = make_article(
        "Germany declined to send troops to the reassurance force in Ukraine.",
        path="c/2.txt",
        published="2025-03-01",
    )
    undated = make_article(
        "Sweden said it would wait until the mission objectives were defined.",
        path="c/3.txt",
        published=None,
    )
    articles = {x.article_id: x for x in (early, late, undated)}
    claims = [
        make_claim(undated, undated.raw_text),
        make_claim(early, early.raw_text, event_date="2025-02-20"),
        make_claim(late, late.raw_text),
    ]
    findings = merge_findings(claims, articles, group_syndicated(list(articles.values())))
    assert [f.claims[0].article_id for f in findings] == [
        early.article_id,
        late.article_id,
        undated.article_id,
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Russia has accepted the proposal for talks.",
            "Russia has rejected the proposal for talks.",
        ),
        (
            "The United States will support the mission.",
            "The United States will oppose the mission.",
        ),
        (
            "France is ready to send troops to Ukraine.",
            "Germany is ready to send troops to Ukraine.",
        ),
        ("Macron said Trump supports the plan.", "Trump said Macron supports the plan."),
    ],
)
def test_statements_that_differ_in_meaning_never_corroborate(a: str, b: str) -> None:
    assert not same_claim(a, b)


FIRST_ACCOUNT = (
    "A six-year-old boy from Harrow district has drowned in the flooded canal near the mill,"
    " the district council said on Tuesday."
)


@pytest.mark.parametrize(
    ("second", "published", "merged"),
    [
        # Another outlet's words for the same development, the same day: one finding.
        (
            "A six-year-old boy has drowned in the canal near the mill in Harrow district, the"
            " first death of the flood, officials said.",
            "2025-03-04",
            True,
        ),
        # A figure given differently, a negation, or a week apart: not one event.
        (
            "A seven-year-old boy has drowned in the canal near the mill in Harrow district, the"
            " first death of the flood, officials said.",
            "2025-03-04",
            False,
        ),
        (
            "A six-year-old boy has not drowned in the canal near the mill in Harrow district,"
            " officials said, correcting earlier reports.",
            "2025-03-04",
            False,
        ),
        (
            "A six-year-old boy has drowned in the canal near the mill in Harrow district, the"
            " first death of the flood, officials said.",
            "2025-03-12",
            False,
        ),
        # One negation written two ways ("had not been insured" / "uninsured") is one event;
        # a negation the other account lacks is not.
        (
            "A six-year-old boy from Harrow district, who was uninsured, has drowned in the"
            " flooded canal near the mill, the district council said.",
            "2025-03-04",
            False,
        ),
    ],
)
def test_one_development_in_two_outlets_words_is_one_finding(
    second: str, published: str, merged: bool
) -> None:
    a = make_article(FIRST_ACCOUNT, path="c/a.txt", published="2025-03-04")
    b = make_article(second, path="c/b.txt", published=published)
    findings = merge_findings(
        [make_claim(a, FIRST_ACCOUNT), make_claim(b, second)],
        {a.article_id: a, b.article_id: b},
        group_syndicated([a, b]),
    )
    assert (len(findings) == 1) == merged


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        (
            "The boy had not been insured and drowned on Monday night in the canal near the mill"
            " in Harrow, the district council said.",
            "The boy, who was uninsured, drowned in the canal near the mill in Harrow on Monday"
            " night, the district council said.",
            True,
        ),
        (
            "The boy had not been insured and drowned on Monday night in the canal near the mill"
            " in Harrow, the district council said.",
            "The boy, who was insured, drowned in the canal near the mill in Harrow on Monday"
            " night, the district council said.",
            False,
        ),
    ],
)
def test_a_negation_written_two_ways_is_one_event(first: str, second: str, merged: bool) -> None:
    a = make_article(first, path="c/a.txt", published="2025-03-04")
    b = make_article(second, path="c/b.txt", published="2025-03-04")
    findings = merge_findings(
        [make_claim(a, first), make_claim(b, second)],
        {a.article_id: a, b.article_id: b},
        group_syndicated([a, b]),
    )
    assert (len(findings) == 1) == merged


@pytest.mark.parametrize(
    ("second", "merged"),
    [
        # No date on either page: the same figure and most of the words make one event.
        ("The flood killed 11,300 people in Harrow, the relief agency said on Sunday.", True),
        # Another figure, or no figure at all, is not enough without a date.
        ("The flood killed 3,958 people in Harrow, the relief agency said on Sunday.", False),
        ("The flood killed many people in Harrow, the relief agency said on Sunday.", False),
    ],
)
def test_undated_accounts_are_one_event_only_by_the_same_figures(second: str, merged: bool) -> None:
    first = "The flood in Harrow killed 11,300 people, the relief agency said on Sunday."
    a = make_article(first, path="c/a.txt")
    b = make_article(second, path="c/b.txt")
    findings = merge_findings(
        [make_claim(a, first), make_claim(b, second)],
        {a.article_id: a, b.article_id: b},
        group_syndicated([a, b]),
    )
    assert (len(findings) == 1) == merged


def test_a_single_claim_finding_is_the_finding_validation_would_build() -> None:
    article = make_article(BODY, "a.txt", "2025-03-06")
    claim = make_claim(
        article,
        "Only six nations have so far committed troops to the mission, officials said.",
        "2025-03-05",
    )
    built = _single_claim_finding(claim, article)
    validated = Finding.model_validate(built.model_dump())
    assert built == validated and built.model_dump() == validated.model_dump()
    assert built.model_fields_set == set(Finding.model_fields)
    assert (built.model_extra, built.__pydantic_private__) == (None, None)
    assert built.claims == [claim] and built.published == dt.date(2025, 3, 6)
