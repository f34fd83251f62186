"""The quality harness scores what a brief got right, left unknown and got wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from briefing import Settings, build_brief
from briefing.eval import score_brief

PAGE_A = """Search
Home | World | Business | Sport
Harbour workers strike over pay as port of Lundmere stands still
Published : Mar 2, 2025
By Ines Varga
Dock workers walked out at the port of Lundmere on Saturday, halting all container traffic.
The union leader Tomas Brenner said the strike would continue until wages rose by 12 percent.
Cranes stand idle at the main terminal. (credit: Ana Reis/Reuters)
© 2025 The Lundmere Ledger. All rights reserved.
"""

PAGE_B = """Port authority says Lundmere terminal partly open
The port authority said on Sunday that the northern terminal had reopened with reduced crews.
A spokesperson for the authority, Mara Quist, said no ship had been turned away since the walkout.
"""


def test_scores_dates_sources_furniture_speakers_and_facts(tmp_path: Path) -> None:
    corpus = tmp_path / "pages"
    corpus.mkdir()
    (corpus / "a.txt").write_text(PAGE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(PAGE_B, encoding="utf-8")
    brief = build_brief(
        dt.date(2025, 1, 1), corpus=corpus, settings=Settings(backend="offline")
    ).brief
    gold = {
        "articles": {
            "a.txt": {
                "published": "2025-03-02",
                "date_printed": "Mar 2, 2025",
                "outlet": "The Lundmere Ledger",
                "origin": None,
                "title": "Harbour workers strike over pay as port of Lundmere stands still",
                "furniture": ["Cranes stand idle at the main terminal", "Ines Varga"],
                "speakers": [
                    {"quote_contains": "strike would continue", "speaker": "Tomas Brenner"}
                ],
                "events": [{"quote_contains": "Dock workers walked out", "date": "2025-03-01"}],
            },
            "b.txt": {
                "published": "2025-03-03",  # the page prints no date: unknown, not wrong
                "date_printed": None,
                "outlet": "Harbour Wire",
                "origin": None,
                "title": "Port authority says Lundmere terminal partly open",
                "furniture": [],
                "speakers": [],
                "events": [],
            },
        },
        "key_facts": [
            {"id": "walkout", "keywords": ["walked out", "Lundmere"]},
            {"id": "never-said", "keywords": ["lockout", "court"]},
        ],
        "conflicts": [],
    }
    scores = score_brief(brief, gold)
    assert (scores.published.right, scores.published.unknown, scores.published.wrong) == (1, 1, 0)
    assert scores.printed_dates_found.right == 1
    assert scores.outlets.right == 1 and scores.outlets.unknown == 1
    assert scores.titles.right == 2
    assert scores.furniture_quotes == []
    assert scores.key_facts.right == 1 and scores.key_facts.unknown == 1
    assert scores.events_after_publication == 0
    assert scores.event_dates.wrong == 0
    # A wrong truth is scored wrong: the harness can fail.
    gold["articles"]["a.txt"]["published"] = "2025-03-09"
    assert score_brief(brief, gold).published.wrong == 1


def test_one_event_told_twice_from_two_articles_is_counted_as_repeated() -> None:
    from briefing.schemas import Brief, BriefCitation, BriefItem, BriefSection, BriefSource

    def item(text: str, source: int) -> BriefItem:
        cite = BriefCitation(source=source, claim_id=f"c{source}", quote=text, start=0, end=1)
        return BriefItem(
            text=text,
            event_date=None,
            date_label="reported 2025-03-04",
            finding_ids=[f"f{source}"],
            independent_sources=1,
            citations=[cite],
        )

    def source(number: int, path: str) -> BriefSource:
        return BriefSource(
            id=number,
            article_id=f"a{number}",
            path=path,
            title=None,
            outlet=None,
            origin=None,
            published=dt.date(2025, 3, 4),
            date_source="header",
            date_evidence=None,
            syndication_group=number,
            cited=True,
        )

    told = "A six-year-old boy has drowned in the canal near the mill in Harrow district."
    retold = "A six-year-old boy from Harrow district drowned in the canal by the mill."
    other = "The council closed the canal path until the water falls."
    brief = Brief.model_construct(
        sections=[
            BriefSection(
                heading="Key developments", items=[item(told, 1), item(retold, 2), item(other, 3)]
            )
        ],
        sources=[source(1, "p/a.txt"), source(2, "p/b.txt"), source(3, "p/c.txt")],
        citations=[],
    )
    gold = {"articles": {}, "same_event": [["a.txt", "b.txt", "c.txt"]]}
    assert len(score_brief(brief, gold).repeated_events) == 1
