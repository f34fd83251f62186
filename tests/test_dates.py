"""Event dates: resolved against the publication date, never against today."""

from __future__ import annotations

import datetime as dt

import pytest

from briefing.dates import event_date, infer_publication, parse_iso_date, resolve_event_date

THURSDAY = dt.date(2025, 3, 6)  # a Thursday
D = dt.date


def day(sentence: str, published: dt.date | None, *, future: bool = False) -> dt.date | None:
    found, precision = resolve_event_date(sentence, published, future=future)
    assert precision == ("day" if found else None)
    return found


def test_publication_date_fixture_is_a_thursday() -> None:
    assert THURSDAY.weekday() == 3


@pytest.mark.parametrize(
    ("sentence", "future", "expected"),
    [
        ("Troops withdrew on Monday.", False, D(2025, 3, 3)),
        ("Troops withdrew on Friday.", False, D(2025, 2, 28)),
        ("Leaders will meet on Monday.", True, D(2025, 3, 10)),
        ("Leaders will meet on Friday.", True, D(2025, 3, 7)),
        ("The summit ended on Thursday.", False, THURSDAY),  # the day it was published
        ("Thursday’s summit ended without a deal.", False, THURSDAY),
        ("Thursday's summit ended without a deal.", False, THURSDAY),
        ("Wednesday’s strike killed two.", False, D(2025, 3, 5)),
        ("Leaders plan to meet next Monday.", False, D(2025, 3, 10)),
        ("The envoy arrived last Tuesday.", True, D(2025, 3, 4)),
        ("The envoy arrived last Thursday.", False, D(2025, 2, 27)),  # not the same day
        ("The envoy arrived last Thursday.", True, D(2025, 2, 27)),
    ],
)
def test_weekdays_resolve_against_publication(
    sentence: str, future: bool, expected: dt.date
) -> None:
    assert day(sentence, THURSDAY, future=future) == expected


@pytest.mark.parametrize(
    ("sentence", "published", "future", "expected"),
    [
        ("They met on March 3.", THURSDAY, False, D(2025, 3, 3)),
        ("They met on 3 March.", THURSDAY, False, D(2025, 3, 3)),
        ("They met on March 3rd.", THURSDAY, False, D(2025, 3, 3)),
        ("They met on Sept. 5.", THURSDAY, False, D(2024, 9, 5)),  # past: last September
        ("They will meet on Sept. 5.", THURSDAY, True, D(2025, 9, 5)),
        ("They met on March 3, 2024.", THURSDAY, False, D(2024, 3, 3)),
        ("They met on 3 March 2023.", THURSDAY, False, D(2023, 3, 3)),
        ("They met on March 3, 2024.", None, False, D(2024, 3, 3)),
        # a December date in a January article is last December
        ("The attack on December 30 killed five.", D(2025, 1, 4), False, D(2024, 12, 30)),
        ("The attack on 30 Dec killed five.", D(2025, 1, 4), False, D(2024, 12, 30)),
        # a January plan in a December article is next January
        ("The summit on January 3 is planned.", D(2024, 12, 20), True, D(2025, 1, 3)),
        # ...but a January event in a December article, reported as past, is this year's
        ("The summit on January 3 failed.", D(2024, 12, 20), False, D(2024, 1, 3)),
    ],
)
def test_month_day_with_and_without_year(
    sentence: str, published: dt.date | None, future: bool, expected: dt.date
) -> None:
    assert day(sentence, published, future=future) == expected


def test_relative_days() -> None:
    assert day("He spoke yesterday in Kyiv.", THURSDAY) == D(2025, 3, 5)
    assert day("He speaks today in Kyiv.", THURSDAY) == THURSDAY
    assert day("He will speak tomorrow in Kyiv.", THURSDAY, future=True) == D(2025, 3, 7)
    # crossing a month and a year boundary
    assert day("He spoke yesterday.", D(2025, 1, 1)) == D(2024, 12, 31)


@pytest.mark.parametrize(
    "sentence",
    ["He spoke yesterday.", "Troops withdrew on Monday.", "They met on March 3.", "today"],
)
def test_relative_dates_need_a_publication_date(sentence: str) -> None:
    assert resolve_event_date(sentence, None) == (None, None)
    assert resolve_event_date(sentence, None, future=True) == (None, None)


@pytest.mark.parametrize(
    "sentence",
    [
        "The vote on February 30 failed.",
        "The vote on 31 April failed.",
        "The vote on February 29, 2025 failed.",  # 2025 is not a leap year
        "The memo is dated 2025-02-30.",
        "The memo is dated 2025-13-01.",
    ],
)
def test_impossible_dates_give_no_date(sentence: str) -> None:
    assert resolve_event_date(sentence, THURSDAY) == (None, None)


def test_leap_day_is_a_date() -> None:
    assert day("The vote on February 29, 2024 failed.", THURSDAY) == D(2024, 2, 29)


def test_iso_dates() -> None:
    assert day("The memo is dated 2025-02-14.", None) == D(2025, 2, 14)
    assert day("Memo 2024-12-31, released Monday.", THURSDAY) == D(2024, 12, 31)
    assert parse_iso_date("2025-02-14") == D(2025, 2, 14)
    assert parse_iso_date(" 2025-02-14T10:00:00Z") == D(2025, 2, 14)
    assert parse_iso_date("2025-02-30") is None
    assert parse_iso_date("14 February 2025") is None
    assert parse_iso_date("") is None


def test_month_and_year_has_month_precision() -> None:
    assert resolve_event_date("The plan was drafted in May 2024.", THURSDAY) == (
        D(2024, 5, 1),
        "month",
    )
    assert resolve_event_date("The plan was drafted in May 2024.", None) == (
        D(2024, 5, 1),
        "month",
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "In March 15,000 people fled the city.",  # not March 15
        "Omar 12 was the code name.",  # "mar" inside a word is not March
        "All 12 may attend the summit.",  # the verb, not the month
        "Some 2,500 March veterans marched.",
        "The report was published.",
    ],
)
def test_things_that_are_not_dates(sentence: str) -> None:
    assert resolve_event_date(sentence, THURSDAY) == (None, None)


def test_may_the_month_still_works() -> None:
    assert day("They met on May 12.", THURSDAY) == D(2024, 5, 12)
    assert day("They met on 12 May 2024.", THURSDAY) == D(2024, 5, 12)


def test_explicit_date_wins_over_a_weekday() -> None:
    # pattern precedence, not position: an explicit date is more precise than a weekday
    assert day("On Monday, ministers agreed to meet on March 10.", THURSDAY) == D(2025, 3, 10)


def test_resolution_does_not_depend_on_today() -> None:
    # an article from long ago resolves against its own date
    assert day("Troops withdrew on Monday.", D(1999, 6, 10)) == D(1999, 6, 7)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("On March 5, 2000 soldiers crossed the border.", "2025-03-05"),  # 2000 is a count
        # A past event is not dated after its report, nor pushed a year back when the
        # date is only weeks ahead (a misreading): left undated. Months ahead, last year's.
        ("He spoke on March 31.", None),
        ("He spoke on December 30.", "2024-12-30"),
        ("The ministry said on March 12 it had halted exports.", None),
        ("USA Today reported the figures.", None),
        ("The troops march 5 kilometres a day.", None),
    ],
)
def test_numbers_and_words_that_are_not_dates(sentence: str, expected: str | None) -> None:
    found, _ = resolve_event_date(sentence, dt.date(2025, 3, 10))
    assert (found.isoformat() if found else None) == expected


APRIL_8 = dt.date(2025, 4, 8)  # a Tuesday


@pytest.mark.parametrize(
    ("sentence", "published", "expected", "source"),
    [
        # Another event's date in the sentence does not date the statement.
        (
            "Hamas said on Saturday it had kept every term since the 7 October attack.",
            D(2025, 1, 27),
            D(2025, 1, 25),
            "relative",
        ),
        (
            "Officials recalled the January 20 inauguration when they spoke.",
            D(2025, 2, 3),
            None,
            None,
        ),
        # A postponement is dated by its announcement, not by the day it moved the vote to.
        (
            "The cabinet vote was postponed to 15 February, the office said on Monday.",
            D(2025, 2, 11),
            D(2025, 2, 10),
            "relative",
        ),
        ("The vote, scheduled for March 20, was delayed.", D(2025, 3, 10), None, None),
        # A death "on Sunday" in a Tuesday article is two days before, even with "will" later.
        (
            "A child died on Sunday, and officials will review the case next month.",
            APRIL_8,
            D(2025, 4, 6),
            "relative",
        ),
        ("Officials will meet on Sunday.", APRIL_8, D(2025, 4, 13), "relative"),
        # A past event is never after its article: no date rather than a wrong one.
        ("The ceasefire collapsed on 12 April 2025.", APRIL_8, None, None),
        ("The ceasefire collapsed on 2 April 2025.", APRIL_8, D(2025, 4, 2), "explicit"),
        ("The strike on March 30 killed four.", APRIL_8, D(2025, 3, 30), "relative"),
    ],
)
def test_event_dates_are_the_statements_own(
    sentence: str, published: dt.date, expected: dt.date | None, source: str | None
) -> None:
    found = event_date(sentence, published)
    assert (found.date if found else None) == expected
    assert (found.source if found else None) == source


NOTICE_HEAD = "Riverside allotments to reopen after the flood\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The lead names its day with weekday and year: the page dates itself.
        (
            NOTICE_HEAD + "On Thursday, 6 March 2025, the allotment society voted to reopen the"
            " plots. Members will start clearing silt at the weekend.",
            dt.date(2025, 3, 6),
        ),
        # The latest written date, named with its weekday, even past the lead.
        (
            NOTICE_HEAD + "The plots flooded on 1 March 2025. Members met. They talked. They"
            " voted. On Thursday, 6 March 2025, the society agreed to reopen.",
            dt.date(2025, 3, 6),
        ),
        # A background date in the body dates nothing.
        (
            NOTICE_HEAD + "The society wants the plots back. Members met. They talked. The lease"
            " signed on 12 January 2025 still runs.",
            None,
        ),
        # The text dates its news by another weekday: the page's day is not shown.
        (
            NOTICE_HEAD + "The society's dispute goes back to 19 November 2024, when the council"
            " first raised the rent. Members voted to strike on Monday.",
            None,
        ),
        # A later year-less day: the written date is not the latest news.
        (
            NOTICE_HEAD + "The plots flooded on 1 March 2025, the society said. On March 6 it"
            " voted to reopen.",
            None,
        ),
        # A weekday that disagrees with its date: the text is not to be trusted.
        (NOTICE_HEAD + "On Monday, 6 March 2025, the society voted to reopen.", None),
        # A plan's day and an update's day are not publication days.
        (NOTICE_HEAD + "The plots will reopen on 6 March 2025, the society said.", None),
        (NOTICE_HEAD + "Last updated 6 March 2025. The society voted to reopen.", None),
        (NOTICE_HEAD + "The society voted to reopen the plots on Thursday.", None),
        # A count's cut-off day is not the day it was published.
        (
            NOTICE_HEAD + "As of 6 March 2025, a total of 64 plots had been cleared, the"
            " society said.",
            None,
        ),
        # A site's "today" line above the story is when the page was fetched.
        (
            "Thursday, March 6, 2025 12° Today's Paper\n" + NOTICE_HEAD + "The society voted"
            " to reopen the plots after the flood, its secretary said.",
            None,
        ),
    ],
)
def test_an_undated_text_is_dated_only_when_it_shows_its_day(
    text: str, expected: dt.date | None
) -> None:
    found = infer_publication(text)
    assert (found.date if found else None) == expected
    if found:
        assert found.evidence in text
