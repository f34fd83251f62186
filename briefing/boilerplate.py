"""Line classifiers for the furniture that scraped news pages carry around their article.

Each predicate looks at ONE line with its leading/trailing whitespace removed. They are
deliberately narrow: a false drop loses a sentence the brief could have cited, while a
false keep only costs a little noise, so every rule errs on the side of keeping.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from briefing.lexicon import active

# Lines longer than this are article prose, not a banner, widget or caption.
SHORT_LINE = 120

# The scrapers' first line: " date 2025-05-28 403" (publication date, HTTP status).
HEADER_RE = re.compile(r"^[ \t]*date[ \t]+(?P<date>\d[\d-]*\d)(?:[ \t]+(?P<status>\d{3}))?[ \t]*$")
# The same header with the page's first line after it on one line (a status code is only
# read at the end of a line, so a headline may open with a number).
HEADER_WITH_TEXT_RE = re.compile(
    r"^(?P<header>[ \t]*date[ \t]+(?P<date>\d{4}-\d{2}(?:-\d{2})?)[ \t]+)(?P<rest>(?!\d{3}\s*$)\S.*)$"
)

# Bullets and Markdown markers are layout, not text: the kept part starts after them.
PREFIX_RE = re.compile(r"^(?:[•·▪◦‣●*+\-]|#{1,6}|>)\s+")
HEADING_PREFIX_RE = re.compile(r"^#{1,6}\s+")

_BANNER_RES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:sorry|oops|error|whoops)\W*$",
        r"^error\b\W.*\b(?:sorry|not found|exist|went wrong|occurred)\b",
        r"\b(?:page|article|content|story)\b.*\b(?:not found|doesn[\u2019']t exist|does not exist"
        r"|could not be found|cannot be found|no longer available|has been removed)\b",
        r"^(?:error\s*)?(?:403|404|500|502|503)\b(?:\W*(?:error|not found|forbidden"
        r"|page not found|server error|service unavailable)?\W*)$",
        r"^access denied\b",
        r"^forbidden\W*$",
        r"^(?:please )?enable javascript\b",
        r"\b(?:could not be (?:loaded|displayed|shown)|failed to load|please try again later"
        r"|something went wrong)\b",
    )
]

_DISCLAIMER_HEADING_RE = re.compile(r"^(?:legal\s+)?disclaimer\s*:", re.IGNORECASE)
# Phrases only disclaimers use; they identify a disclaimer paragraph even without a heading.
_DISCLAIMER_TEXT_RE = re.compile(
    r"provides? the information\s+\W?as is\W?|without warranty of any kind"
    r"|do not accept any responsibility|(?:accept|assume)s? no (?:responsibility|liability)",
    re.IGNORECASE,
)
# Softer vocabulary: enough to keep dropping lines once inside a disclaimer.
_DISCLAIMER_VOCAB_RE = re.compile(
    r"warrant|liabilit|responsib|copyright|disclaim|complaint|not (?:necessarily )?reflect"
    r"|investment advice|informational purposes|accuracy",
    re.IGNORECASE,
)
_DISCLAIMER_OUTLET_RE = re.compile(
    r"^(?P<outlet>[A-Z][\w.&'\u2019-]*(?: [A-Z][\w.&'\u2019-]*){0,3}) provides? the information\b"
)
# "© 2025 The Gazette", and a © after a footer's first sentence or "All content":
# "Registered charity no. 12. All content © The Group."
_COPYRIGHT_AFTER = r"(?:^|(?<=[.|]\s)|\ball\s+(?:content|material)\s+)"
_COPYRIGHT_RE = re.compile(
    rf"{_COPYRIGHT_AFTER}(?:©|\(c\)\s|copyright\b)|\ball rights reserved\b", re.IGNORECASE
)

_CREDIT_RE = re.compile(
    r"^(?:images?\s+(?:source|credit)s?|photo(?:graph)?s?(?:\s+credit)?|picture|credit)\s*:"
    r"|^source\s*:\s*©|^©\s*\S",
    re.IGNORECASE,
)
# A photographer's name on the line after a credit: one to four capitalised words.
_NAME_RE = re.compile(r"^[A-ZÀ-Ž][\w'\u2019.-]*(?: [A-ZÀ-Ž][\w'\u2019.-]*){0,3}$")

_TAIL_MARKERS = frozenset(
    {
        # English
        "most popular stories",
        "most popular",
        "most read",
        "related content",
        "related articles",
        "related stories",
        "related news",
        "related",
        "read next",
        "read more",
        "read also",
        "also read",
        "see also",
        "more stories",
        "more news",
        "comments",
        "commentsno comment",
        "no comment",
        "no comments",
        "share this article",
        "share this story",
        "share this",
        "share",
        "leave a comment",
        "leave a reply",
        "you may also like",
        "you might also like",
        "recommended",
        "recommended stories",
        "trending",
        "trending now",
        "latest news",
        # share/comment widgets of other languages' sites (Slovak, Czech, Polish, German,
        # French, Spanish, Italian, Russian, Ukrainian)
        "zdieľaj tento článok",
        "zdieľať",
        "pridaj komentár",
        "posledný príspevok",
        "ďalšie články",
        "súvisiace články",
        "sdílet článek",
        "přidat komentář",
        "související články",
        "udostępnij",
        "komentarze",
        "podobne artykuły",
        "artikel teilen",
        "kommentare",
        "ähnliche artikel",
        "partager cet article",
        "commentaires",
        "articles similaires",
        "compartir",
        "comentarios",
        "artículos relacionados",
        "condividi",
        "commenti",
        "поделиться",
        "комментарии",
        "читайте также",
        "поділитися",
        "коментарі",
    }
)
_COMMENT_COUNT_RE = re.compile(r"^(?:\d+ )?comments?(?: \d+)?$")

# English function words: a line with none of them is not English prose.
_FUNCTION_WORD_LIST = (
    "the of and to in is are was were for on with that by as at from it be has have had"
    " this an or not will would who which their its he she they we"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())
_WORD_RE = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Needing:
    """A pattern that cannot match a line without one of `words` in it (in any case).

    An ASCII line without them is ruled out by a substring test instead of the pattern (in
    ASCII text a case-insensitive pattern's letters match only themselves in either case;
    other text goes to the pattern, whose case folding is wider: "K" is also the Kelvin sign).
    """

    pattern: re.Pattern[str]
    words: tuple[str, ...]

    def search(self, line: str) -> re.Match[str] | None:
        return self.pattern.search(line) if _may_hold(line, self.words) else None


def _may_hold(line: str, words: tuple[str, ...]) -> bool:
    """False when the line is ASCII and holds none of the (lower-case) words in any case."""
    if not line.isascii():
        return True
    lower = line.lower()
    return any(word in lower for word in words)


def normalise(line: str) -> str:
    """Whitespace-insensitive form used to compare lines (NBSP counts as a space)."""
    return " ".join(line.split())


# Each banner pattern needs one of these.
_BANNER_WORDS = (
    *"sorry oops error found exist forbidden 403 404 500 502 503".split(),
    "no longer available",
    "has been removed",
    "access denied",
    "enable javascript",
    "could not be",
    "failed to load",
    "please try again later",
    "something went wrong",
)


def is_error_banner(line: str) -> bool:
    return (
        len(line) < SHORT_LINE
        and _may_hold(line, _BANNER_WORDS)
        and any(r.search(line) for r in _BANNER_RES)
    )


def is_disclaimer_heading(line: str) -> bool:
    return bool(_DISCLAIMER_HEADING_RE.match(line))


_DISCLAIMER_TEXT = Needing(
    _DISCLAIMER_TEXT_RE, ("the information", "without warranty", "accept", "assume")
)


def is_disclaimer_text(line: str) -> bool:
    return bool(_DISCLAIMER_TEXT.search(line))


def continues_disclaimer(line: str) -> bool:
    return bool(_DISCLAIMER_VOCAB_RE.search(line))


def disclaimer_outlet(line: str) -> str | None:
    """ "MENAFN provides the information ..." names the outlet that published the page."""
    match = _DISCLAIMER_OUTLET_RE.match(line)
    return match["outlet"] if match else None


# Text written to steer a language model, not to inform a reader ("ignore all previous
# instructions", "you are ChatGPT", "system prompt:"). Dropping the line keeps it out of
# the prompt and makes any quote from it fail grounding: defence in depth, since the
# prompt already declares the article untrusted.
_INSTRUCTION_RE = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|your)\s+"
    r"(?:instructions|prompts?|rules)\b"
    r"|\b(?:system|developer)\s+prompt\s*:"
    r"|\byou\s+are\s+(?:now\s+)?(?:an?\s+)?(?:ai|language model|chatgpt|assistant|llm)\b"
    r"|\b(?:as an ai|new instructions\s*:)",
    re.IGNORECASE,
)


_INSTRUCTION = Needing(
    _INSTRUCTION_RE, ("ignore", "disregard", "forget", "prompt", "you", "as an ai", "instructions")
)
_COPYRIGHT = Needing(_COPYRIGHT_RE, ("©", "(c)", "copyright", "all rights reserved"))


def is_model_instruction(line: str) -> bool:
    return _INSTRUCTION.search(line) is not None


def is_copyright(line: str) -> bool:
    return len(line) < 200 and bool(_COPYRIGHT.search(line))


def is_image_credit(line: str) -> bool:
    return len(line) < SHORT_LINE * 2 and bool(_CREDIT_RE.search(line))


def is_credit_name(line: str) -> bool:
    return len(line) < 60 and bool(_NAME_RE.match(line))


def is_tail_marker(line: str) -> bool:
    if len(line) > 40:
        return False
    key = normalise(re.sub(r"[^\w\s]", " ", line.lower()))
    return key in _TAIL_MARKERS or bool(_COMMENT_COUNT_RE.match(key))


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def is_english(text: str) -> bool:
    """True when the text reads as English prose (function words are frequent)."""
    words = _words(text)
    return bool(words) and sum(map(_FUNCTION_WORDS.__contains__, words)) / len(words) >= 0.1


def is_foreign_furniture(line: str) -> bool:
    """A short line in another language (e.g. a Slovak comment form) inside an English page.

    A line qualifies only if a good share of its words carry non-ASCII letters and it has
    almost no English function words, so "Norway's minister Åse Dahl said" survives.
    """
    if len(line) >= SHORT_LINE or line.isascii():
        return False  # (an ASCII line has no word with a non-ASCII letter)
    words = _words(line)
    if not words:
        return False
    foreign = sum(any(ord(c) > 127 for c in w) for w in words)
    english = sum(w in _FUNCTION_WORDS for w in words)
    return foreign > 0 and foreign / len(words) >= 0.25 and english / len(words) < 0.15


# --- captions, bylines, bios, navigation ------------------------------------------------

# A photo credit closing a caption: "(credit: Name/Agency)", "Name Surname/AP",
# "Photo: Reuters", "(Photo by Name/Agency)", "Getty Images".
_CAPTION_CREDIT_RE = re.compile(
    r"(?:\((?i:photo|image|picture|credit|foto)s?(?i:\s+credit)?(?:\s*:|\s+(?i:by)\b)[^()]{1,80}\)"
    r"|\b(?i:photo|image|picture)s?(?i:\s+credit)?\s*:\s*[^.]{1,60}"
    r"|\b(?i:photo(?:graph)?|picture)s?\s+(?i:by)\s+[A-Z][^.]{1,60}"
    r"|\b[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}\s*/\s*[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}"
    r"|\bGetty Images|\bShutterstock|\bAlamy)\s*[.)]?\s*$",
)
_CAPTION_START_RE = re.compile(r"^(?:image (?:source|caption)|caption|photo|video)\s*[,:]", re.I)
# "By Jane Doe", "By Jane Doe and John Roe, Reuters", "BY THE ASSOCIATED PRESS".
_BYLINE_RE = re.compile(
    r"^(?:By|BY|by)\s+(?P<who>[A-Z][\w'’.-]*(?:(?:\s+|,\s*|\s+and\s+)[A-Z(][\w'’.()-]*){0,7})"
    r"(?P<rest>.*)$"
)
# Lower-case words a byline line may carry besides names, dates and times.
_BYLINE_WORDS = frozenset(
    "published updated posted last staff writer writers reporter reporters correspondent"
    " editor minutes min read and at on in the".split()
)
_BIO_RE = re.compile(
    r"^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}\s+(?:is|was)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,4}"
    r"(?:reporter|correspondent|writer|editor|journalist|columnist|contributor|producer"
    r"|photographer|analyst at|fellow)\b",
)
# Share and page widgets: "Send this page to someone via email", "Share on Facebook".
_WIDGET_RE = re.compile(
    r"^(?:send this (?:page|article|story)\b|share (?:this|on)\b|email this\b|print this\b"
    r"|sign up\b|subscribe\b|follow us\b|click here\b|listen to this article\b"
    r"|this (?:post|article|story) was originally published\b|advertisement$|skip to\b"
    r"|open in (?:the )?app\b|please wait\b|loading\b|download (?:the|our) app\b"
    r"|(?:search|menu|home|news|sections?|log ?in|sign ?in|register)$)",
    re.I,
)
# "Reporting by Jane Doe in Portvale; Editing by John Roe" closes a Reuters story.
_REPORTING_BY_RE = re.compile(
    r"^(?:\(?(?:reporting|writing|editing|additional reporting)\s+by\b|\(?with files from\b"
    r"|[A-Z][\w'’ .-]{1,60}\s+contributed (?:to )?(?:this|reporting)\b)",
    re.I,
)
_WITH_FILES_RE = re.compile(
    r"\bwith files from\s+(?:the\s+)?(?P<who>[A-Z][\w .&'’-]{1,40}?)\W*$", re.I
)
# A credit line that only names the agency: "— AP", "- Reuters", "(AFP)".
_AGENCY_LINE_RE = re.compile(r"^[-–—(]\s*(?P<who>[A-Z][\w.&'’]*(?: [A-Z][\w.&'’]*){0,3})\)?\s*$")
_NAVIGATION_RE = re.compile(
    r"^(?:[\w&'’-]+(?: [\w&'’-]+){0,2}\s*[|»›>/·•]\s*){2,}[\w&'’ -]+$"
    # menu items set apart by runs of spaces: "News  Provinces  Health  Sport"
    r"|^(?:[\w&'’-]+(?: [\w&'’-]+)?(?:\s{2,}|\t+)){1,}[\w&'’-]+(?: [\w&'’-]+)?$"
)
_MENU_WORDS_RE = re.compile(r"^[A-Z][\w'’-]*(?:\s+(?:&|[A-Z][\w'’-]*))+$")
_COOKIE_RE = re.compile(
    r"\bcookies?\b.{0,200}\b(?:accept|agree|consent|privacy|settings|policy|preferences)\b", re.I
)
# A wire desk's note on what a new version changed: "(Adds union comment, figures)".
_UPDATE_NOTE_RE = re.compile(
    r"^\((?:adds|updates|recasts|changes|corrects|rewrites|refiles|fixes)\b[^()]*\)$", re.I
)


# A whole day written with its weekday: "Wednesday, Aug. 9, 2023", "Sunday 9 March 2025".
WEEKDAY_DATE = (
    r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+"
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8})\.?,?\s+\d{4}\b"
)
# A wire photo caption dates its picture in a fixed form: "People gather at the airport
# while waiting for flights Wednesday, Aug. 9, 2023, in Kahului, Hawaii.", "... on
# Saturday Aug. 12, 2023, to unload donations". Body text names the weekday alone, or the
# date without "Weekday, ..., in Place" (a page of such captions is a gallery, not an article).
_CAPTION_DATED_RE = re.compile(
    WEEKDAY_DATE + r",\s+(?:(?:in|near|at|outside|on)\s+[A-Z]|to\s+[a-z]+\b)"
)
# "JANE ROE JROE@EXAMPLE.COM": a photographer's credit with an address.
_CREDIT_WITH_ADDRESS_RE = re.compile(r"^[A-Z][A-Z.'’ -]{2,60}\s+\S+@\S+\.[A-Za-z]{2,}$")


_CAPTION_CREDIT = Needing(
    _CAPTION_CREDIT_RE,
    ("photo", "image", "picture", "credit", "foto", "/", "getty images", "shutterstock", "alamy"),
)


def is_caption(line: str) -> bool:
    """A photo caption with its credit, a wire caption's dated form, or a caption/credit
    label line."""
    return (
        bool(_CAPTION_START_RE.match(line))
        or (len(line) < 400 and bool(_CAPTION_CREDIT.search(line)))
        # (a weekday's name ends in "day"; an address has an "@")
        or (len(line) < 600 and "day" in line and bool(_CAPTION_DATED_RE.search(line)))
        or ("@" in line and bool(_CREDIT_WITH_ADDRESS_RE.match(line.strip())))
    )


def byline(line: str) -> str | None:
    """Who a "By ..." line credits, when the line is only a byline (maybe with a date)."""
    match = _BYLINE_RE.match(line)
    if not match or len(line) > SHORT_LINE:
        return None
    who = match["who"].strip(" ,|")
    if who.split()[0].lower() in _DAY_OR_MONTH_WORDS:
        return None  # "By Tuesday, the ministry said ..." is a sentence
    words = re.findall(r"\b[a-z]{3,}\b", match["rest"])
    if any(w not in _BYLINE_WORDS and w not in _MONTHS for w in words):
        return None
    return who


def is_author_bio(line: str) -> bool:
    return len(line) < 400 and bool(_BIO_RE.match(line))


def is_widget(line: str) -> bool:
    return len(line) < SHORT_LINE and bool(_WIDGET_RE.match(line))


def is_navigation(line: str) -> bool:
    """A menu: items set apart by bars, arrows or runs of spaces, or five or more
    capitalised words with no small word between them ("News Business Port & Shipping")."""
    if len(line) >= SHORT_LINE:
        return False
    if _NAVIGATION_RE.match(line):
        return True
    words = line.split()
    return (
        len(words) >= 5
        and bool(_MENU_WORDS_RE.match(line))
        and not any(w.lower() in _FUNCTION_WORDS for w in words)
    )


def is_cookie_notice(line: str) -> bool:
    return len(line) < 400 and bool(_COOKIE_RE.search(line))


def is_update_note(line: str) -> bool:
    return len(line) < 2 * SHORT_LINE and bool(_UPDATE_NOTE_RE.match(line))


def reporting_credit(line: str) -> str | None:
    """The outlet a closing credit line names ("With files from Reuters", "— AP"), or ""
    for a credit line that names only people ("Reporting by ..."); None otherwise."""
    if len(line) > 2 * SHORT_LINE:
        return None
    files = _WITH_FILES_RE.search(line)
    if files:
        return files["who"].strip()
    agency = _AGENCY_LINE_RE.match(line)
    if agency and len(agency["who"]) <= 30:
        return agency["who"]
    return "" if _REPORTING_BY_RE.match(line) else None


# --- the rules, in order ---------------------------------------------------------------


@dataclass
class Line:
    """One non-blank raw line, trimmed of whitespace and any bullet."""

    start: int  # raw offsets of the kept part (whitespace and bullet removed)
    end: int
    text: str
    key: str  # normalised text, for repeat detection
    heading: bool = False


class KeptLines(list[Line]):
    """The lines kept so far, indexed so that finding a repeat costs about O(1), not
    O(lines): a 10 MB article has tens of thousands of lines.

    A line of PREFIX characters or more is a truncated repeat when an earlier line starts
    with it. Earlier lines are indexed by their prefixes at the fixed lengths PREFIX_LENGTHS
    (each about 1.25 times the one before); a line is looked up by its own prefix at the
    longest of those lengths it reaches, so that only earlier lines agreeing with at least
    four fifths of it are compared, and a line no earlier line agrees with costs one lookup.
    """

    PREFIX = 40
    # Lines agreeing on that much are near copies; past this many in one bucket only the
    # first ones are compared (and indexed): a file of thousands of near copies (a log, a
    # generated table) must not cost a comparison with each earlier one, and a truncated
    # copy left in such a file is one more line, not a wrong one.
    MAX_BUCKET = 64

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()
        self.by_prefix: dict[tuple[int, int], list[str]] = {}
        self.has_body = False  # a line of real body text (>= 100 characters) was kept

    def append(self, line: Line) -> None:
        super().append(line)
        self.keys.add(line.key)
        for length in _prefix_lengths(len(line.key)):
            bucket = self.by_prefix.setdefault((length, hash(line.key[:length])), [])
            if len(bucket) < self.MAX_BUCKET:
                bucket.append(line.key)
        self.has_body = self.has_body or len(line.text) >= 100

    def repeat_of(self, line: Line) -> str | None:
        key = line.key
        if key in self.keys:
            return "repeat"
        lengths = _prefix_lengths(len(key))
        if lengths:
            length = lengths[-1]
            earlier = self.by_prefix.get((length, hash(key[:length])), ())
            if any(other.startswith(key) for other in earlier):
                return "truncated repeat"
        return None


def _prefix_lengths(size: int) -> tuple[int, ...]:
    """The indexed prefix lengths a key of `size` characters reaches."""
    return PREFIX_LENGTHS[: bisect_right(PREFIX_LENGTHS, size)]


# 40, 50, 62, 77, ...: each about 1.25 times the one before, up to past any line's length.
PREFIX_LENGTHS: tuple[int, ...] = tuple(
    sorted({int(KeptLines.PREFIX * 1.25**i) for i in range(80)})
)


def drop_rule(
    line: Line,
    number: int,
    kept: KeptLines,
    prev_rule: str | None,
    adjacent: bool,
    english: bool,
    info: dict[str, Any],
) -> str | None:
    """Why this line is furniture, or None to keep it. Records header/outlet facts in info."""
    text = line.text
    header = HEADER_RE.match(text) if number == 0 else None
    if header:
        info.update(header_line=text, header_date=header["date"])
        info["header_status"] = int(header["status"]) if header["status"] else None
        return "header"
    # A printed date or a byline above the article (a "Published ..." line anywhere).
    if not kept.has_body or is_published_label(text):
        found = printed_date(text)
        if found is not None:
            info.setdefault("printed_date", found[0])
            info.setdefault("printed_evidence", text)
            return "date line"
    who = byline(text)
    if who is not None:
        info.setdefault("byline", who)
        return "byline"
    if is_tail_marker(text):
        # Only after real body text: a share bar above the article must not eat it.
        return "tail" if kept.has_body else "marker"
    if is_disclaimer_heading(text):
        return "disclaimer heading"
    # The paragraph under a "Legal Disclaimer:" heading, and disclaimer-worded lines after it.
    in_disclaimer = prev_rule in ("disclaimer heading", "disclaimer")
    if (
        is_disclaimer_text(text)
        or prev_rule == "disclaimer heading"
        or (in_disclaimer and continues_disclaimer(text))
    ):
        info["outlet"] = info.get("outlet") or disclaimer_outlet(text)
        return "disclaimer"
    if is_copyright(text):
        info.setdefault("copyright_holder", copyright_holder(text))
        return "copyright"
    checks = (
        ("instruction to a model", is_model_instruction),
        ("banner", is_error_banner),
        ("image credit", is_image_credit),
        ("caption", is_caption),
        ("author bio", is_author_bio),
        ("widget", is_widget),
        ("cookie notice", is_cookie_notice),
        ("update note", is_update_note),
    )
    for rule, check in checks:
        if check(text):
            return rule
    if prev_rule == "image credit" and adjacent and is_credit_name(text):
        return "image credit"
    if not kept.has_body and is_navigation(text):
        return "navigation"
    credit = reporting_credit(text)
    if credit is not None:
        if credit:
            info.setdefault("credited", credit)
        return "credit"
    if english and is_foreign_furniture(text):
        return "foreign"
    return kept.repeat_of(line)


# --- datelines ------------------------------------------------------------------------------

_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
_MONTHS = {
    key: number
    for number, name in enumerate(_MONTH_NAMES.split(), start=1)
    for key in (name, name[:3], "sept" if name == "september" else name[:3])
}
_DATE = (
    r"(?:(?P<iso>\d{4}-\d{2}-\d{2})"
    r"|(?P<mon1>[A-Za-z]{3,9})\.?\s+(?P<day1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year1>\d{4})"
    r"|(?P<day2>\d{1,2})\s+(?P<mon2>[A-Za-z]{3,9})\.?,?\s+(?P<year2>\d{4}))"
)
# "KYIV, Feb. 3, 2025 (Reuters) -", "March 4, 2025 —", "2025-03-04 —", "(MENAFN) ..."
_DATE_UNNAMED = re.sub(r"\?P<\w+>", "", _DATE)  # for a lookahead: group names must be unique
# A day without its year ("KESSIN, March 3 (Reuters) -") credits an origin but dates nothing.
_DAY_NO_YEAR = r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8}\.?)"
_DATELINE_RE = re.compile(
    # the place must be followed by a date or "(Outlet)", else it is just the sentence's start
    rf"^(?:(?P<place>[A-Z][A-Za-z.'\u2019 -]{{1,40}}?(?:,\s+[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)?)?)"
    rf",?\s+(?={_DATE_UNNAMED}|{_DAY_NO_YEAR}\s*\(|(?:[-\u2014\u2013]\s*)?\())?"
    rf"(?:(?P<date>{_DATE})\s*|{_DAY_NO_YEAR}\s*(?=\())?"
    r"(?:(?:[-\u2014\u2013]\s*)?\((?P<outlet>[A-Z][A-Za-z0-9 .&'\u2019-]{1,40})\)\s*"
    # a press-release wire: "LONDON, March 3, 2025 /PRNewswire/ --"
    r"|/(?P<wire>[A-Z][A-Za-z0-9 .&-]{1,30})/\s*)?"
    r"(?P<dash>(?:--|[-\u2014\u2013:])\s)?"
)


def _date_from_match(m: re.Match[str]) -> dt.date | None:
    """A real calendar date from a _DATE match (explicit parts only: no locale, no 'today')."""
    try:
        if m["iso"]:
            return dt.date.fromisoformat(m["iso"])
        month_word, day, year = (
            (m["mon1"], m["day1"], m["year1"]) if m["mon1"] else (m["mon2"], m["day2"], m["year2"])
        )
        month = _MONTHS.get(month_word.lower())
        return dt.date(int(year), month, int(day)) if month else None
    except ValueError:
        return None


def _is_place_in_parentheses(credit: str) -> bool:
    """ "(NEW YORK)" opens some stories as their place: capitals, several words, and no
    outlet or agency of the lexicon ("(MENAFN)", "(AP)", "(Reuters)", "(NBC NEWS)")."""
    return credit.isupper() and " " in credit.strip() and not active().is_outlet(credit)


_CAPITALS_PLACE = re.compile(r"\b[A-Z][A-Z'’.-]{2,}\b")


def credits_in_parentheses(before: str, credit: str) -> bool:
    """Whether "(credit)" after `before` credits an outlet, as a dateline does, rather than
    abbreviating a name ("The Ministry of External Affairs (MEA) said ..."): the credit
    opens the line, names an outlet or agency of the lexicon, or follows a place written in
    capitals ("KESSIN (Reuters)") or a date ("March 3 (AFP)")."""
    opening = before.strip(" -\u2014\u2013(")
    return (
        not opening
        or active().is_outlet(credit)
        or bool(_CAPITALS_PLACE.search(opening))
        or bool(re.search(_DAY_NO_YEAR, opening))
    )


def parse_dateline(line: str) -> tuple[dt.date | None, str | None, str | None]:
    """(date, outlet, evidence) from the opening of the first body line."""
    m = _DATELINE_RE.match(line)
    if m and m["outlet"] and not credits_in_parentheses(line[: m.start("outlet")], m["outlet"]):
        return None, None, None  # a name and its abbreviation, not a dateline
    outlet = m and (m["outlet"] or m["wire"])
    if m and outlet and _is_place_in_parentheses(outlet):
        outlet = None  # "(NEW YORK) --": where, not who
    if not m or not (m["date"] or outlet):
        return None, None, None
    # A bare date with nothing after it is a sentence opening, not a dateline.
    if m["date"] and not (outlet or m["dash"]):
        return None, None, None
    date = _date_from_match(m) if m["date"] else None
    return date, outlet or None, m.group(0).strip() if date else None


def parse_iso(value: str) -> dt.date | None:
    """An ISO date or datetime; the date as written (no timezone conversion)."""
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None


# --- printed publication dates -----------------------------------------------------------

_WEEKDAY_NAMES = "monday tuesday wednesday thursday friday saturday sunday"
_DAY_OR_MONTH_WORDS = frozenset(_WEEKDAY_NAMES.split()) | frozenset(_MONTHS)
_DATE_RE = re.compile(_DATE)
# What a date line may hold besides its dates: labels, clock times, time zones, weekdays.
_DATE_LINE_LABELS = re.compile(
    r"\b(?:first\s+|last\s+)?(?:published|posted|updated|modified|date[d]?|on|at|am|pm|a\.m\.|p\.m\.)"
    r"(?=\W|$)|\b\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?m\.?)?|\b(?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|[\[\]()|/:,.·•–—-]+|\+\d{1,2}(?::?\d{2})?"
    r"|\b\d+\s+(?:min(?:ute)?s?|hours?|hrs?|days?)\s+(?:ago|read)\b|\b(?:min|minute)\s+read\b",
    re.I,
)
# "14/01/2025", "2025/01/14": a numeric date is read only when it cannot be the other way
# round (a day above 12, or the year first); "03/04/2025" stays unread.
_NUMERIC_DATE_RE = re.compile(
    r"\b(?:(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})|(?P<y2>\d{4})/(?P<m2>\d{1,2})/(?P<d2>\d{1,2}))\b"
)
_TIME_ZONE = re.compile(r"\b(?:GMT|UTC|[A-Z]{1,2}[SD]?T|IST|MSK|AEST|AEDT|CEST|EEST)\b")
_NAME_BEFORE_SEPARATOR = re.compile(r"^\s*[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3}\s*[·|•—–]")
_UPDATED_BEFORE = re.compile(r"\b(?:updated|modified)\W*(?:on|at)?\W*$", re.I)
_POSTED_UPDATED = re.compile(r"\b(?:posted|published)\s*/\s*updated\b", re.I)
_PUBLISHED_LABEL = re.compile(r"^\W*(?:first\s+)?(?:published|posted)\b", re.I)
_YEAR_DIGITS_RE = re.compile(r"\d{4}")
# Printed dates outside this range are misreadings, not publication dates.
_YEARS = range(1990, 2101)


def printed_date(line: str) -> tuple[dt.date, str] | None:
    """(date, the date text) when the line only prints a publication date, with labels,
    clock times, a byline or an "Updated" date beside it; None otherwise.

    An "Updated" date is never taken for the publication date: a page that prints only
    when it was updated stays undated rather than misdated.
    """
    if len(line) > 160:
        return None
    line = line.replace("*", "").replace("_", " ")  # Markdown emphasis, before any offset
    if not _YEAR_DIGITS_RE.search(line):
        return None  # every date form read here has a four-digit year
    matches = list(_DATE_RE.finditer(line))
    if not matches:
        return _numeric_printed_date(line)
    who = byline(line)
    rest = line.split(who, 1)[1] if who is not None else line
    # "Priya Venn · Feb 12, 2025": a name set apart from the date is a byline too.
    rest = _NAME_BEFORE_SEPARATOR.sub(" ", rest)
    residue = _DATE_RE.sub(" ", rest)
    residue = _TIME_ZONE.sub(" ", _DATE_LINE_LABELS.sub(" ", residue))
    if re.search(r"[^\W\d_]{2,}", residue):
        return None
    both = bool(_POSTED_UPDATED.search(line))
    for match in matches:
        if not both and _UPDATED_BEFORE.search(line[: match.start()][-30:]):
            continue
        date = _date_from_match(match)
        if date is not None and date.year in _YEARS:
            return date, match.group(0)
    return None


def _numeric_printed_date(line: str) -> tuple[dt.date, str] | None:
    match = _NUMERIC_DATE_RE.search(line)
    if not match:
        return None
    residue = _DATE_LINE_LABELS.sub(" ", _NUMERIC_DATE_RE.sub(" ", line))
    if re.search(r"[^\W\d_]{2,}", _TIME_ZONE.sub(" ", residue)):
        return None
    if match["y2"]:
        year, month, day = int(match["y2"]), int(match["m2"]), int(match["d2"])
    else:
        first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            day, month = second, first
        else:
            return None  # 03/04/2025: March 4 or 3 April
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return None
    return (found, match.group(0)) if found.year in _YEARS else None


def is_published_label(line: str) -> bool:
    return bool(_PUBLISHED_LABEL.match(line))


_COPYRIGHT_HOLDER_RE = re.compile(
    _COPYRIGHT_AFTER + r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4}\s*(?:[-–]\s*\d{4}\s*)?)?,?\s*"
    r"(?P<who>[A-Z][\w&'’.-]*(?: [A-Z&][\w&'’.-]*){0,5})",
    re.I,
)


def copyright_holder(line: str) -> str | None:
    """ "© 2025 The Harbour Gazette. All rights reserved." names the publisher."""
    match = _COPYRIGHT_HOLDER_RE.search(line)
    if not match:
        return None
    who = re.split(r"\.\s|\s+all rights\b", match["who"], maxsplit=1, flags=re.I)[0].rstrip(".,")
    return None if who.lower().startswith("all rights") or not who else who
