"""Reading a scraped page: the date it prints, who published it and whom it credits, its
title, and the furniture (captions, credits, bylines, widgets) kept out of the text.

The pages here are written for these tests in the shapes real pages take.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from briefing.corpus import clean_text, load_corpus
from briefing.sentences import split_sentences

BODY = (
    "Ferry crews in the port of Saltmarch stopped work on Monday after talks on night-shift"
    " pay broke down, the crews' union said in a statement.\n"
    "The harbour authority said two ferries had been cancelled and more could follow.\n"
)


def _article(tmp_path: Path, text: str, name: str = "page.txt") -> object:
    corpus = tmp_path / "c"
    corpus.mkdir(exist_ok=True)
    (corpus / name).write_text(text, encoding="utf-8")
    loaded = load_corpus(corpus)
    assert not loaded.skipped, loaded.skipped
    return loaded.articles[0]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Published : Mar 2, 2025", dt.date(2025, 3, 2)),
        ("18 March 2025, 05:19 | Updated: 19 March 2025, 09:40", dt.date(2025, 3, 18)),
        ("Posted/updated on: February 17, 2025", dt.date(2025, 2, 17)),
        ("[March 05, 2025]", dt.date(2025, 3, 5)),
        ("By Wendel Okafor | March 3, 2025 at 4:12 p.m. EST", dt.date(2025, 3, 3)),
        ("Tuesday, 4 March 2025 10:02 GMT+1", dt.date(2025, 3, 4)),
        # Only the update is printed: the page stays undated rather than misdated.
        ("Updated: March 3, 2025", None),
        ("Last updated 3 March 2025", None),
    ],
)
def test_a_printed_date_dates_the_page(tmp_path: Path, line: str, expected: dt.date | None) -> None:
    article = _article(tmp_path, f"Saltmarch ferry crews walk out over pay\n{line}\n{BODY}")
    assert article.published == expected  # type: ignore[attr-defined]
    if expected is not None:
        assert article.date_source == "dateline"  # type: ignore[attr-defined]
        assert line in article.date_evidence  # type: ignore[attr-defined]
        assert line not in article.text  # type: ignore[attr-defined]


def test_a_date_in_the_body_does_not_date_the_page(tmp_path: Path) -> None:
    text = f"Saltmarch ferry crews walk out over pay\n{BODY}The dispute began on January 9, 2025.\n"
    assert _article(tmp_path, text).published is None  # type: ignore[attr-defined]


def test_a_records_url_dates_it_and_an_empty_published_is_undated(tmp_path: Path) -> None:
    records = [
        {
            "title": "Ferry crews walk out",
            "url": "https://news.example/2025/03/04/ferries",
            "text": BODY,
        },
        {
            "title": "Ferry crews return",
            "url": "https://news.example/ferries",
            "published": "",
            "text": BODY.replace("Monday", "Friday"),
        },
    ]
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    loaded = load_corpus(corpus)
    assert not loaded.skipped
    first, second = loaded.articles
    assert (first.published, first.date_source) == (dt.date(2025, 3, 4), "metadata")
    assert second.published is None and second.date_source == "unknown"


@pytest.mark.parametrize(
    ("page", "outlet", "origin"),
    [
        (f"Ferry crews walk out\nSALTMARCH, March 3, 2025 (Reuters) - {BODY}", None, "Reuters"),
        (f"Ferry crews walk out\nBy THE ASSOCIATED PRESS\n{BODY}", None, "The Associated Press"),
        (f"Ferry crews walk out\n{BODY}With files from Reuters\n", None, "Reuters"),
        (
            f"Ferry crews walk out\n{BODY}© 2025 The Saltmarch Courier. All rights reserved.\n",
            "The Saltmarch Courier",
            None,
        ),
        (f"Ferry crews walk out\nBy Wendel Okafor\n{BODY}", None, None),  # a person, not an origin
    ],
)
def test_outlet_and_origin_are_kept_apart(
    tmp_path: Path, page: str, outlet: str | None, origin: str | None
) -> None:
    article = _article(tmp_path, page)
    assert (article.outlet, article.origin) == (outlet, origin)  # type: ignore[attr-defined]


def test_furniture_stays_out_of_the_text_and_the_title(tmp_path: Path) -> None:
    page = (
        "Search\n"
        "Home | World | Business | Sport\n"
        "Saltmarch ferry crews walk out over pay\n"
        "Send this page to someone via email\n"
        "By Wendel Okafor\n"
        "Passengers wait at the ferry terminal in Saltmarch. (credit: Ilse Brandt/Reuters)\n"
        f"{BODY}"
        "Wendel Okafor is a correspondent covering transport for the Courier.\n"
    )
    text, _, info = clean_text(page)
    assert info.title == "Saltmarch ferry crews walk out over pay"
    for furniture in ("Search", "Home |", "Send this page", "Wendel Okafor", "Ilse Brandt"):
        assert furniture not in text
    assert "Ferry crews in the port of Saltmarch stopped work on Monday" in text
    assert info.byline == "Wendel Okafor"


def test_a_hard_wrapped_sentence_is_one_sentence_across_a_name(tmp_path: Path) -> None:
    wrapped = (
        "In the district where voters overwhelmingly backed\n"
        "Governor Ana Reyes, a second outbreak has begun: health officials\n"
        "counted 41 cases on Tuesday, up from 12 a week earlier, and said\n"
        "that schools would stay open for now.\n"
    )
    sentences = [s.text for s in split_sentences(wrapped)]
    assert len(sentences) == 1 and sentences[0].startswith("In the district")


def test_a_wrapped_headline_is_one_title() -> None:
    page = (
        "Ferry crews in Saltmarch walk out over\nnight-shift pay and cancelled rest days\n\n" + BODY
    )
    text, _, info = clean_text(page)
    assert (
        info.title
        == "Ferry crews in Saltmarch walk out over night-shift pay and cancelled rest days"
    )
    assert "night-shift pay and cancelled rest days" not in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("March 3, 2025 7:41 PM UTC  Updated 3 hours ago", dt.date(2025, 3, 3)),
        ("Posted: 14/01/2025", dt.date(2025, 1, 14)),
        ("2025/01/14", dt.date(2025, 1, 14)),
        ("Posted: 03/04/2025", None),  # 3 April or March 4: left unread
    ],
)
def test_clock_times_relative_updates_and_unambiguous_numeric_dates(
    tmp_path: Path, line: str, expected: dt.date | None
) -> None:
    article = _article(tmp_path, f"Saltmarch ferry crews walk out over pay\n{line}\n{BODY}")
    assert article.published == expected  # type: ignore[attr-defined]


def test_a_feeds_own_boilerplate_is_not_news(tmp_path: Path) -> None:
    """A sentence in unrelated records of one feed is the feed's furniture."""
    from briefing import Settings, build_brief

    about = "Harbour Wire gathers regional news from its partner newsrooms every single day."
    stories = [
        "Ferry crews in Saltmarch stopped work on Monday after pay talks broke down, the union said.",
        "The river at Corrow rose above its banks on Tuesday and the council opened two shelters.",
        "Measles cases in the northern district reached forty on Wednesday, health officials said.",
    ]
    corpus = tmp_path / "c"
    corpus.mkdir()
    records = [
        {"title": f"Story {n}", "published": f"2025-03-0{n + 1}", "text": f"{s}\n{about}\n"}
        for n, s in enumerate(stories)
    ]
    (corpus / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    brief = build_brief(
        dt.date(2025, 1, 1), corpus=corpus, settings=Settings(backend="offline")
    ).brief
    quotes = " ".join(row.quote for row in brief.citations)
    assert "partner newsrooms" not in quotes
    assert "Ferry crews in Saltmarch stopped work" in quotes


def test_markdown_emphasis_does_not_hide_an_updated_label() -> None:
    from briefing.boilerplate import printed_date

    assert printed_date("**Updated:** March 3, 2025") is None
    assert printed_date("*Published* Mar 2, 2025")[0] == dt.date(2025, 3, 2)  # type: ignore[index]


def test_a_long_dotted_byline_is_read_at_once() -> None:
    import time

    started = time.monotonic()
    clean_text("Ferry crews walk out over pay\nBy " + "Ab." * 30 + "Ab Q) News\n" + BODY)
    assert time.monotonic() - started < 1.0  # was exponential in the line's length


@pytest.mark.parametrize(
    "line", ["Wednesday March 5, 2025", "Saturday, 8 March 2025", "Thu 6 Mar 2025 10:02 GMT"]
)
def test_a_date_line_with_its_weekday_is_printed_not_inferred(tmp_path: Path, line: str) -> None:
    article = _article(tmp_path, f"Saltmarch ferry crews walk out over pay\n{line}\n{BODY}")
    assert article.date_source == "dateline"  # type: ignore[attr-defined]
    assert line not in article.text  # type: ignore[attr-defined]


def test_a_footer_copyright_after_other_words_names_the_site(tmp_path: Path) -> None:
    text = (
        "Saltmarch Ferry Users Group\n"
        f"Saltmarch ferry crews walk out over pay\n{BODY}"
        "Registered society no. 118. All content © Saltmarch Ferry Users Group.\n"
    )
    article = _article(tmp_path, text)
    assert article.outlet == "Saltmarch Ferry Users Group"  # type: ignore[attr-defined]
    assert "Registered society" not in article.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("opening", "source", "origin"),
    [
        # No printed date: the lead names its day with weekday and year.
        ("On Monday, 3 March 2025, harbour line", "inferred", None),
        # A press-release dateline dates the page and credits its wire.
        ("SALTMARCH, March 3, 2025 /PRNewswire/ -- Harbour Line", "dateline", "PRNewswire"),
    ],
)
def test_a_page_is_dated_from_its_opening_line(
    tmp_path: Path, opening: str, source: str, origin: str | None
) -> None:
    text = (
        "Saltmarch ferry operator offers crews a new deal\n"
        f"{opening} said it had offered ferry crews a 6 percent rise to end the strike.\n"
        "The offer runs until the end of the month.\n"
    )
    article = _article(tmp_path, text)
    assert article.published == dt.date(2025, 3, 3)  # type: ignore[attr-defined]
    assert article.date_source == source  # type: ignore[attr-defined]
    assert article.origin == origin  # type: ignore[attr-defined]
    assert opening.split(" -- ")[0].split(",")[0] in article.date_evidence  # type: ignore[attr-defined]


def test_a_place_in_parentheses_is_no_origin(tmp_path: Path) -> None:
    text = (
        "Saltmarch ferry crews walk out over pay\n"
        "(SALT MARCH) -- Ferry crews stopped work on Monday after talks on night-shift pay"
        " broke down, their union said.\n"
        "The harbour authority said two ferries had been cancelled.\n"
    )
    assert _article(tmp_path, text).origin is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "caption",
    [
        "Crews wait beside idle ferries at the quay Monday, March 3, 2025, in Saltmarch.",
        "Volunteers form a line on the quay on Saturday March 1, 2025, to unload food.",
    ],
)
def test_a_wire_caption_of_a_gallery_page_is_not_an_article(tmp_path: Path, caption: str) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "gallery.txt").write_text(f"{caption} The strike goes on.\n", encoding="utf-8")
    loaded = load_corpus(corpus)
    assert not loaded.articles and "no article text" in str(loaded.skipped[0])


def test_a_wire_photo_caption_and_its_credit_are_furniture(tmp_path: Path) -> None:
    caption = (
        "Crews wait beside idle ferries at the quay Monday, March 3, 2025, in Saltmarch."
        " The strike has halted all crossings."
    )
    text = f"Saltmarch ferry crews walk out over pay\n{caption}\nJANE ROE JROE@EXAMPLE.COM\n{BODY}"
    article = _article(tmp_path, text)
    assert caption not in article.text  # type: ignore[attr-defined]
    assert "JROE@EXAMPLE.COM" not in article.text  # type: ignore[attr-defined]
    assert "Ferry crews in the port of Saltmarch stopped work" in article.text  # type: ignore[attr-defined]


def test_a_body_sentence_with_a_full_date_is_not_a_caption(tmp_path: Path) -> None:
    line = "The strike began on Monday, March 3, 2025, and has halted all crossings since."
    text = f"Saltmarch ferry crews walk out over pay\n{BODY}{line}\n"
    assert line in _article(tmp_path, text).text  # type: ignore[attr-defined]


@pytest.mark.parametrize("line", ["Monday, March 3, 2025 12° Today's Paper", "SALTMARCH, Wessex"])
def test_a_site_date_line_or_a_dateline_place_is_not_the_title(tmp_path: Path, line: str) -> None:
    text = f"{line}\nSaltmarch ferry crews walk out over pay\n{BODY}"
    article = _article(tmp_path, text)
    assert article.title == "Saltmarch ferry crews walk out over pay"  # type: ignore[attr-defined]


def test_a_title_case_headline_names_no_person(tmp_path: Path) -> None:
    """ "Council Rejects Smith's Claim": every word of a headline is capitalised, so the
    people whose roles are compared come from the story's sentences, not its headline."""
    from briefing.discrepancies import people_in

    (tmp_path / "a.txt").write_text(
        "Council Rejects Smith’s Claim of Delaying Repairs Over Budget Cuts\n\nHarrow, May 13,"
        " 2025– The council on Tuesday rejected the claim by Mayor Jane Smith that it had"
        " delayed repairs. Smith said the budget cuts were to blame.\n",
        encoding="utf-8",
    )
    assert [p.name for p in people_in(load_corpus(tmp_path).articles)] == ["Jane Smith"]
