"""Event dates named in a sentence, resolved against the article's publication date.

Deterministic on purpose: nothing here depends on today's date, the locale or the
time zone, so a brief made twice from the same articles is the same brief.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from briefing.schemas import DatePrecision, EventDateSource
from briefing.sentences import split_sentences

_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO_RE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")
# The day must not be the start or end of a bigger number: "In March 15,000 people fled".
_MONTH_DAY_RE = re.compile(
    r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?![,.]?\d)"
    r"(?:,?\s+(?P<year>\d{4}))?\b",
    re.I,
)
_DAY_MONTH_RE = re.compile(
    r"(?<![\d,.])\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+(?P<year>\d{4}))?\b",
    re.I,
)
_MONTH_YEAR_RE = re.compile(r"\bin\s+" + _MONTH + r"\s+(?P<year>\d{4})\b", re.I)
_WEEKDAY_RE = re.compile(
    r"\b(?P<last>last\s+|next\s+|this\s+)?(?P<weekday>" + "|".join(_WEEKDAYS) + r")(?:['’]s)?\b",
    re.I,
)
_RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_FUTURE_RE = re.compile(
    r"\b(?:will|shall|scheduled|planned|plans? to|expected to|due to|expires?|expiring|"
    r"to (?:meet|visit|travel|hold|attend|sign|vote|decide|host))\b",
    re.I,
)
_RELATIVE_RE = re.compile(r"(?<!USA )\b(yesterday|today|tomorrow)\b(?! show| programme)", re.I)
# A date right after these words names a period's edge, a deadline, another event or a
# plan's day, not the day the sentence's own event happened: "since the 7 October
# attack", "the January 20 inauguration", "postponed to 15 February", "by March 1".
_ANCHOR_BEFORE_RE = re.compile(
    r"\b(?:since|until|till|from|by|before|after|ahead\s+of|anniversary\s+of|the|this|that"
    r"|for|to|scheduled\s+for|set\s+for|slated\s+for|due(?:\s+on)?|deadline(?:\s+of)?"
    r"|postponed\s+(?:to|until)|delayed\s+(?:to|until)|moved\s+to|between|and|through)"
    r"\s*(?:the\s+)?$",
    re.I,
)
# How far before a date a future cue ("will", "is due to") still governs it.
FUTURE_CUE_WINDOW = 60


@dataclass(frozen=True)
class EventDate:
    date: dt.date
    precision: DatePrecision
    source: EventDateSource  # explicit (written out with its year) or relative
    text: str  # the words it was read from


def parse_iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def date_agrees(claimed: dt.date, found: EventDate) -> bool:
    """Whether a date someone gives falls within the date read from the text, at that
    reading's precision: 2025-03-04 agrees with "March 2025", not with "4 April 2025"."""
    if found.precision == "year":
        return claimed.year == found.date.year
    if found.precision == "month":
        return (claimed.year, claimed.month) == (found.date.year, found.date.month)
    return claimed == found.date


def resolve_event_date(
    sentence: str, published: dt.date | None, *, future: bool = False
) -> tuple[dt.date | None, DatePrecision | None]:
    """(date, precision) of `event_date`, or (None, None)."""
    found = event_date(sentence, published, future=future)
    return (found.date, found.precision) if found else (None, None)


def event_date(
    sentence: str, published: dt.date | None, *, future: bool = False
) -> EventDate | None:
    """The date of the sentence's own event, or None when it names none it can trust.

    A weekday or a month-day without a year is resolved against the publication date:
    the nearest such day before it for past events, after it for planned ones (named by
    the caller, or by a future cue shortly before the date: "will", "is due to"). Dates
    that anchor something else ("since the 7 October attack", "postponed to 15 February")
    are passed over, and a past event is never dated after its article.
    """
    for match in _ISO_RE.finditer(sentence):
        if _is_anchor(sentence, match):
            continue
        found = parse_iso_date(match.group(0))
        if found and _possible(found, published, _is_future(sentence, match, future)):
            return EventDate(found, "day", "explicit", match.group(0))
    for pattern in (_MONTH_DAY_RE, _DAY_MONTH_RE):
        for match in pattern.finditer(sentence):
            if _is_modal_may(match) or _is_anchor(sentence, match):
                continue
            ahead = _is_future(sentence, match, future)
            found = _month_day(match, published, ahead)
            if found and _possible(found, published, ahead):
                written = match.group("year")
                kind: EventDateSource = (
                    "explicit" if written and int(written) == found.year else "relative"
                )
                return EventDate(found, "day", kind, match.group(0))
    for match in _MONTH_YEAR_RE.finditer(sentence):
        if _is_modal_may(match) or _is_anchor(sentence, match):
            continue
        month = dt.date(int(match.group("year")), _MONTHS[match.group("month").lower()], 1)
        if _possible(month, published, _is_future(sentence, match, future)):
            return EventDate(month, "month", "explicit", match.group(0))
    if published is None:
        return None
    relative = _RELATIVE_RE.search(sentence)
    if relative:
        days = _RELATIVE_DAYS[relative.group(1).lower()]
        return EventDate(published + dt.timedelta(days=days), "day", "relative", relative.group(0))
    for match in _WEEKDAY_RE.finditer(sentence):
        if _is_anchor(sentence, match) and not match.group("last"):
            continue
        return EventDate(
            _weekday(match, published, _is_future(sentence, match, future)),
            "day",
            "relative",
            match.group(0),
        )
    return None


def _is_future(sentence: str, match: re.Match[str], future: bool) -> bool:
    """The caller says the claim is a plan, or a future cue stands shortly before the date."""
    before = sentence[max(0, match.start() - FUTURE_CUE_WINDOW) : match.start()]
    return future or bool(_FUTURE_RE.search(before))


def _is_anchor(sentence: str, match: re.Match[str]) -> bool:
    before = sentence[max(0, match.start() - 30) : match.start()]
    return bool(_ANCHOR_BEFORE_RE.search(before))


def _possible(found: dt.date, published: dt.date | None, future: bool) -> bool:
    """A past event is not dated after its report (a day's grace for time zones)."""
    return future or published is None or found <= published + dt.timedelta(days=1)


def _weekday(match: re.Match[str], published: dt.date, future: bool) -> dt.date:
    modifier = (match.group("last") or "").strip().lower()
    weekday = _WEEKDAYS[match.group("weekday").lower()]
    if modifier == "last":
        # "last Thursday" in a Thursday article is a week ago, not the same day.
        days_back = (published.weekday() - weekday - 1) % 7 + 1
        return published - dt.timedelta(days=days_back)
    if modifier == "next":
        days_ahead = (weekday - published.weekday() - 1) % 7 + 1
        return published + dt.timedelta(days=days_ahead)
    return _nearest_weekday(published, weekday, ahead=future)


def _is_modal_may(match: re.Match[str]) -> bool:
    # "all 12 may attend": the month is written with a capital, the verb is not.
    return match.group("month") == "may"


def _month_day(match: re.Match[str], published: dt.date | None, future: bool) -> dt.date | None:
    month = _MONTHS[match.group("month").lower().rstrip(".")]
    day = int(match.group("day"))
    if match.group("month")[0].islower():
        return None  # "troops march 5 kilometres": a verb, not a month
    year_text = match.group("year")
    if year_text and _plausible_year(int(year_text), published):
        year = int(year_text)
    elif published is not None:
        # No year, or "March 5, 2000 soldiers": the number is not a year.
        year = published.year
        candidate = _safe_date(year, month, day) or _safe_date(year - 1, month, day)
        if candidate is None:
            return None
        year = candidate.year  # "February 29" in a year without one: the last that had it
        # "on December 30" in a January article is last year's; "on January 3" in a
        # December article announcing a plan is next year's. A past event is not dated
        # after its report (a day's grace for time zones); one a few weeks after it is
        # a misreading, not last year's.
        ahead = (candidate - published).days
        if not future and ahead > YEAR_BACK_AFTER_DAYS:
            year -= 1
        elif not future and ahead > 1:
            return None
        elif future and candidate < published - dt.timedelta(days=31):
            year += 1
    else:
        return None
    return _safe_date(year, month, day)


# A year-less date this many days after its article is last year's; a nearer one, for a
# past event, is left undated.
YEAR_BACK_AFTER_DAYS = 60


def _plausible_year(year: int, published: dt.date | None) -> bool:
    if published is None:
        return 1900 <= year <= 2100
    return abs(year - published.year) <= 5


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _nearest_weekday(published: dt.date, weekday: int, ahead: bool) -> dt.date:
    """The day itself counts: "on Saturday" in a Saturday article is that day."""
    if ahead:
        return published + dt.timedelta(days=(weekday - published.weekday()) % 7)
    return published - dt.timedelta(days=(published.weekday() - weekday) % 7)


# Inferring an undated page's publication date from the text. News dates its newest
# event relatively ("on Tuesday"), so a date written out with its year is usually a
# background date; it dates the page only when the text itself ties it to the news:
# it stands in the lead, or is named with its own weekday ("Tuesday, 4 March 2025").
LEAD_SENTENCES = 3
_FULL_DATE_HINT = re.compile(r"\b(?:19|20)\d{2}\b")
_AS_OF_BEFORE = re.compile(r"\b(?:as\s+(?:of|at)|through|up\s+to)\s*$", re.I)
# The sentence that dates a page is a sentence of its text, not a line of the site's
# furniture ("Sunday, April 28, 2024 77° Today's Paper" is the day it was scraped).
_BODY_SENTENCE = re.compile(r"^(?:\S+\s+){5,}.*[.!?][\"'”’)]*$", re.S)
_UPDATED_BEFORE = re.compile(r"\b(?:updated|modified|amended|corrected)\b[^.]{0,20}$", re.I)
_WEEKDAY_NEAR_RE = re.compile(
    r"\b(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b,?\s*(?:the\s+)?$", re.I
)


@dataclass(frozen=True)
class InferredPublication:
    date: dt.date
    evidence: str  # the sentence that dates the page


def infer_publication(text: str) -> InferredPublication | None:
    """The publication date an undated text shows, or None when it does not show one.

    The candidate is the latest past date written with its year. It is taken only when
    the text ties it to its news (in the lead, or named with its weekday), names no
    other weekday and no later day, and no weekday it puts next to a date disagrees with
    the calendar: a wrong date is worse than none.
    """
    if not _FULL_DATE_HINT.search(text):
        return None  # the common case, without splitting sentences
    sentences = [sentence.text for sentence in split_sentences(text)]
    found: list[tuple[dt.date, int, re.Match[str]]] = []
    for index, sentence in enumerate(sentences):
        for match, date in _written_dates(sentence):
            if _weekday_disagrees(sentence, match, date):
                return None  # "Monday, 4 March 2025" was a Tuesday: the text is unreliable
            if _is_anchor(sentence, match) or _is_future(sentence, match, False):
                continue  # "since 4 March 2025", "due to open on 4 March 2025"
            if _UPDATED_BEFORE.search(sentence[: match.start()]):
                continue  # "Last updated 3 March 2025": when it was changed, not published
            if _AS_OF_BEFORE.search(sentence[: match.start()]):
                continue  # "As of 24 October 2024, 64 cases": a count's cut-off day
            found.append((date, index, match))
    if not found:
        return None
    latest = max(date for date, *_ in found)
    tied = [
        (index, match)
        for date, index, match in found
        if date == latest
        and _BODY_SENTENCE.match(sentences[index])
        and (index < LEAD_SENTENCES or _names_weekday(sentences[index], match))
    ]
    if not tied or _later_news(sentences, latest):
        return None
    index, match = tied[0]
    sentence = sentences[index]
    return InferredPublication(latest, sentence if len(sentence) <= 300 else match[0])


def _later_news(sentences: list[str], latest: dt.date) -> bool:
    """The text reports something after `latest`, or dates something by another weekday.

    A year-less "on March 6" after a written "4 March 2025" is later news. A text that
    says "on Thursday" when the written date is a Tuesday dates by weekdays from a day it
    does not give, which may be days or weeks after the written date: not shown, so not
    inferred.
    """
    for sentence in sentences:
        for match, month, day_of_month in _month_days(sentence):
            if match.group("year") or _is_anchor(sentence, match):
                continue
            if _is_future(sentence, match, False):
                continue
            day = _safe_date(latest.year, month, day_of_month)
            if day and latest < day <= latest + dt.timedelta(days=YEAR_BACK_AFTER_DAYS):
                return True
        for match in _WEEKDAY_RE.finditer(sentence):
            named = _WEEKDAYS[match.group("weekday").lower()]
            if named != latest.weekday() and not _is_future(sentence, match, False):
                return True
    return False


def _written_dates(sentence: str) -> list[tuple[re.Match[str], dt.date]]:
    """Dates written with their year: "2025-03-04", "March 4, 2025", "4 March 2025"."""
    dates = []
    for match in _ISO_RE.finditer(sentence):
        found = parse_iso_date(match.group(0))
        if found:
            dates.append((match, found))
    for match, month, day in _month_days(sentence):
        year = match.group("year")
        found = _safe_date(int(year), month, day) if year else None
        if found and _plausible_year(found.year, None):
            dates.append((match, found))
    return dates


def _month_days(sentence: str) -> list[tuple[re.Match[str], int, int]]:
    """(match, month, day) of "March 4" and "4 March" (with or without a year), leaving
    out "may" the verb and "march" the verb."""
    found = []
    for pattern in (_MONTH_DAY_RE, _DAY_MONTH_RE):
        for match in pattern.finditer(sentence):
            if _is_modal_may(match) or match.group("month")[0].islower():
                continue
            month = _MONTHS[match.group("month").lower().rstrip(".")]
            found.append((match, month, int(match.group("day"))))
    return found


def _adjacent_weekday(sentence: str, match: re.Match[str]) -> int | None:
    near = _WEEKDAY_NEAR_RE.search(sentence[max(0, match.start() - 15) : match.start()])
    return _WEEKDAYS[near.group("weekday").lower()] if near else None


def _weekday_disagrees(sentence: str, match: re.Match[str], date: dt.date) -> bool:
    weekday = _adjacent_weekday(sentence, match)
    return weekday is not None and weekday != date.weekday()


def _names_weekday(sentence: str, match: re.Match[str]) -> bool:
    return _adjacent_weekday(sentence, match) is not None
