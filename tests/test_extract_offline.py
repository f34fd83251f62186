"""The offline extractor on the seeds and on hand-made sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.corpus import load_corpus
from briefing.grounding import verify_evidence
from briefing.offline.extract import MAX_CLAIMS_PER_ARTICLE, OfflineExtractor
from briefing.schemas import Article, Claim
from tests.factories import make_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def article_from(raw: str, published: str | None = None) -> Article:
    return make_article(raw, "test/a.txt", published, outlet="Wire")


def only_claim(raw: str, published: str | None = None) -> Claim:
    claims = OfflineExtractor().extract(article_from(raw, published)).claims
    assert len(claims) == 1, [c.statement for c in claims]
    return claims[0]


@pytest.fixture(scope="module")
def seed_claims() -> dict[str, list[Claim]]:
    corpus = load_corpus(SEEDS)
    extractor = OfflineExtractor()
    return {a.path.split("/")[-1][:3]: extractor.extract(a).claims for a in corpus.articles}


def test_every_seed_yields_grounded_claims(seed_claims: dict[str, list[Claim]]) -> None:
    corpus = {a.article_id: a for a in load_corpus(SEEDS).articles}
    assert set(seed_claims) == {"000", "001", "002", "003", "004"}
    for claims in seed_claims.values():
        assert 3 <= len(claims) <= MAX_CLAIMS_PER_ARTICLE
        for claim in claims:
            for evidence in claim.evidence:
                assert verify_evidence(evidence, corpus[claim.article_id].raw_text)


def test_evidence_is_the_sentence_without_its_dateline(seed_claims: dict[str, list[Claim]]) -> None:
    lead = seed_claims["000"][0]
    assert lead.evidence[0].quote.startswith("A proposal by France and the United Kingdom")
    assert "(MENAFN)" not in lead.evidence[0].quote
    assert lead.reporting_chain[0] == "MENAFN"


def test_reporting_chain_follows_citations(seed_claims: dict[str, list[Claim]]) -> None:
    times = next(c for c in seed_claims["001"] if "according to The Times" in c.statement)
    assert times.reporting_chain[:2] == ["MENAFN", "The Times"]
    assert any("anonymous sources" in link for link in times.reporting_chain)
    assert times.attribution == "reported"


def test_speaker_and_actors(seed_claims: dict[str, list[Claim]]) -> None:
    shoigu = next(c for c in seed_claims["001"] if "Shoigu" in c.statement)
    assert shoigu.speaker == "Sergey Shoigu"
    assert {"Russia", "Sergey Shoigu"} <= set(shoigu.actors)
    medvedev = next(c for c in seed_claims["002"] if "Medvedev" in c.statement)
    assert medvedev.speaker == "Dmitry Medvedev"
    assert medvedev.claim_type == "statement"
    backstop = next(c for c in seed_claims["000"] if "backstop" in c.statement)
    assert backstop.speaker == "United States"


def test_boilerplate_and_questions_never_become_claims(seed_claims: dict[str, list[Claim]]) -> None:
    statements = " ".join(c.statement for claims in seed_claims.values() for c in claims)
    for marker in (
        "Sorry",
        "Disclaimer",
        "Bitmex",
        "Israeli army",
        "What do you need to know",
    ):
        assert marker not in statements
    # A question is not a claim; a statement may report that someone asked one
    # ('"What would we be doing there?" he asked, voicing concern ...').
    assert not [c.statement for cs in seed_claims.values() for c in cs if c.statement.endswith("?")]


def test_a_summary_bullet_restating_the_body_is_picked_once(
    seed_claims: dict[str, list[Claim]],
) -> None:
    persuading = [c for c in seed_claims["003"] if "two months" in c.statement]
    assert len(persuading) == 1


def test_said_gives_the_speaker_and_statement_type() -> None:
    claim = only_claim(
        "Foreign Minister Jane Roe said on Tuesday that talks with Moscow would resume in June.",
        "2025-03-06",
    )
    assert claim.speaker == "Jane Roe"
    assert claim.claim_type == "statement"
    assert claim.event_date is not None and claim.event_date.isoformat() == "2025-03-04"


def test_planned_event_resolves_forward() -> None:
    claim = only_claim(
        "The Prime Minister of the United Kingdom will travel to Washington on February 27.",
        "2025-02-20",
    )
    assert claim.attribution == "planned"
    assert claim.claim_type == "plan"
    assert claim.event_date is not None and claim.event_date.isoformat() == "2025-02-27"


def test_guarded_abbreviations_do_not_split_a_claim() -> None:
    claim = only_claim(
        "The European Union pledged $5 bn. in military aid to Ukraine at the summit in Brussels."
    )
    assert claim.statement.endswith("summit in Brussels.")
    assert "5" in claim.statement


def test_attribution_labels() -> None:
    assert (
        only_claim(
            "The Kremlin denied that Russian troops had crossed the border near Kharkiv."
        ).attribution
        == "denied"
    )
    assert (
        only_claim(
            "Officials accused Moscow of shelling the Zaporizhzhia nuclear power plant overnight."
        ).attribution
        == "alleged"
    )
    assert (
        only_claim(
            "NATO could deploy additional troops to Poland and the Baltic states next year."
        ).attribution
        == "speculative"
    )


def test_extraction_is_deterministic() -> None:
    article = load_corpus(SEEDS).articles[0]
    assert OfflineExtractor().extract(article) == OfflineExtractor().extract(article)


def test_a_role_in_the_lead_is_the_person_named_next() -> None:
    # News style: the lead gives the role, a following sentence names the person.
    text = (
        "Grain stocks in the region are lower than reported, the province's farm chief said on"
        " Tuesday, weeks after she told growers there was no shortage.\n"
        "Silo operators have asked for an audit of last year's harvest figures.\n"
        '"We counted again and the numbers are lower," Dr Ilse Marrow said at a briefing.\n'
    )
    claims = OfflineExtractor().extract(make_article(text, published="2025-03-04")).claims
    lead = next(c for c in claims if "Grain stocks" in c.statement)
    assert lead.speaker == "Ilse Marrow"


def test_a_role_is_not_given_to_a_person_when_another_was_named_first() -> None:
    text = (
        "Mayor Tomas Weld said the bridge would reopen in May.\n"
        "The repairs will cost more than planned, the city's finance chief said on Monday.\n"
        '"The steel alone doubled in price," Anna Brisk said.\n'
    )
    claims = OfflineExtractor().extract(make_article(text, published="2025-03-04")).claims
    repairs = next(c for c in claims if "repairs" in c.statement)
    assert repairs.speaker != "Anna Brisk"


@pytest.mark.parametrize(
    "opening", ["SALTMARCH, March 3, 2025 /PRNewswire/ -- ", "(SALT MARCH) -- ", "(AP) -- "]
)
def test_a_dateline_is_not_part_of_the_quote(opening: str) -> None:
    text = (
        f"{opening}Harbour Line said on Monday it had offered ferry crews a 6 percent rise to"
        " end the strike at the port.\n"
    )
    claims = OfflineExtractor().extract(make_article(text, published="2025-03-03")).claims
    assert claims and claims[0].evidence[0].quote.startswith("Harbour Line said")


@pytest.mark.parametrize(
    ("sentence", "credit"),
    [
        # A name and its abbreviation open a sentence: no dateline, nothing cut, no origin.
        ("The Ministry of Water Affairs (MWA) on Monday said the dam had held.", None),
        ("The Regional Health Office (RHO) said on Thursday that aid was arriving.", None),
        # Datelines: a credit opening the line, an agency, a place in capitals, a date.
        ("(MENAFN) A proposal to send troops was abandoned, a source said.", "MENAFN"),
        ("Harrowgate (AFP) - The river rose above the old bridge overnight.", "AFP"),
        ("TESSEL, March 3 (Valley Post) - Cases rose to 40, officials said.", "Valley Post"),
    ],
)
def test_a_parenthesis_after_a_name_is_no_dateline(sentence: str, credit: str | None) -> None:
    from briefing.boilerplate import parse_dateline
    from briefing.offline.extract import dateline_prefix

    prefix = dateline_prefix(sentence)
    assert (prefix is not None) == (credit is not None)
    assert parse_dateline(sentence)[1] == credit
