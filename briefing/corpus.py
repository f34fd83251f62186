"""Load a corpus folder into `Article` records: decode, clean, date, and report bad files.

Citations point into `Article.raw_text`, so nothing here ever rewrites the raw text
(no newline translation, no normalisation): cleaning only chooses which raw lines to
keep, and `Article.segments` maps every kept run back to its raw offsets.
A bad file or record is never an exception: it becomes a `FileProblem` in
`Corpus.skipped` and the rest of the corpus still loads.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import Any

from briefing import boilerplate as bp
from briefing.dates import infer_publication
from briefing.errors import CorpusError
from briefing.lexicon import active
from briefing.schemas import Article, DateSource, Segment

SUPPORTED = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")
_UNSUPPORTED = "unsupported file type '{}' (expected .txt, .md, .html, .json, .jsonl)"


@dataclass(frozen=True)
class FileProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Corpus:
    root: Path
    articles: list[Article]
    skipped: list[FileProblem]
    warnings: list[FileProblem]


@dataclass(frozen=True)
class CleanInfo:
    """What cleaning learnt about the article besides its text."""

    title: str | None = None
    outlet: str | None = None  # named by a dropped disclaimer ("MENAFN provides ...")
    copyright_holder: str | None = None  # "© 2025 The Harbour Gazette"
    masthead: str | None = None  # the site's name printed above the headline
    origin: str | None = None  # credited: "(Reuters)" dateline, agency byline, "— AP"
    header_line: str | None = None  # the scraper's " date YYYY-MM-DD NNN" line, verbatim
    header_date: str | None = None  # its date, as written (not yet validated)
    header_status: int | None = None
    printed_date: dt.date | None = None  # a "Published: Mar 2, 2025" line
    printed_evidence: str | None = None
    dateline_date: dt.date | None = None  # "PORTVALE, March 3, 2025 (Reuters) -"
    dateline_evidence: str | None = None
    byline: str | None = None
    credited: str | None = None  # "With files from Reuters", "— AP"
    dropped: tuple[tuple[str, str], ...] = ()  # (rule, line) for every dropped line


class _Skip(Exception):
    """A file or record that cannot become an article; the message is the reason."""


# --- cleaning ---------------------------------------------------------------------------

_LINE_RE = re.compile(r"[^\r\n]+")
# Kept lines separated only by these stay one segment; anything else (a dropped line,
# a bullet, a row of non-breaking spaces) starts a new one.
_PLAIN_SEPARATOR_RE = re.compile(r"^[ \t\r\n]*$")
_BREAK_RE = re.compile(r"\r\n|\r|\n")
_SENTENCE_END_RE = re.compile(r"\.[\"'\u201d\u2019)]*$")  # a period, maybe inside quotes


def _content(raw: str, start: int, end: int) -> bp.Line | None:
    """The meaningful part of one raw line, or None when it is only whitespace."""
    line = raw[start:end]
    stripped = line.strip()
    if not stripped:
        return None
    lead = start + line.index(stripped)
    heading = bool(bp.HEADING_PREFIX_RE.match(stripped))
    prefix = bp.PREFIX_RE.match(stripped)
    if prefix and prefix.end() < len(stripped):
        lead += prefix.end()
    text = raw[lead : start + len(line.rstrip())]
    return bp.Line(lead, lead + len(text), text, bp.normalise(text), heading)


def clean_text(raw: str) -> tuple[str, list[Segment], CleanInfo]:
    """Cleaned text, its segments into `raw`, and what was learnt on the way."""
    kept = bp.KeptLines()
    dropped: list[tuple[str, str]] = []
    info: dict[str, Any] = {}
    english = bp.is_english(raw)
    prev_rule: str | None = None  # why the previous non-blank line was dropped, if it was
    prev_end = 0
    matches = list(_LINE_RE.finditer(raw))
    for number, match in enumerate(matches):
        line = _content(raw, match.start(), match.end())
        if line is None:
            continue
        header = bp.HEADER_WITH_TEXT_RE.match(line.text) if number == 0 else None
        if header:
            # " date 2024-09-30 US port strike by 45,000 ...": the scraper's header, then
            # the page's first line on the same line. The header is dropped, the rest kept.
            info.update(header_line=header["header"].strip(), header_date=header["date"])
            dropped.append(("header", header["header"].strip()))
            line = _content(raw, line.start + header.start("rest"), match.end())
            if line is None:
                continue
            number = 1
        # Directly under the previous line (one line break): a credit's second line.
        adjacent = len(_BREAK_RE.findall(raw, prev_end, match.start())) <= 1
        prev_end = match.end()
        rule = bp.drop_rule(line, number, kept, prev_rule, adjacent, english, info)
        if rule == "tail":
            dropped.extend(("tail", m.group(0).strip()) for m in matches[number:])
            break
        prev_rule = rule
        if rule:
            dropped.append((rule, line.text))
        else:
            kept.append(line)

    title, masthead = _title(raw, kept, dropped)
    body = kept[1:] if title is not None and kept else kept
    date, credited, evidence = None, None, None
    # The dateline opens the body, sometimes under a credit line ("Associated Press").
    for line in body[:DATELINE_LINES]:
        date, credited, evidence = bp.parse_dateline(line.text)
        if date or credited:
            break
        if line.key in _agency_names():
            credited = line.key
            dropped.append(("credit", line.text))
            kept.remove(line)
            break
    text, segments = _assemble(raw, kept, titled=title is not None)
    origin = credited or _agency(info.get("byline")) or info.get("credited")
    clean_info = CleanInfo(
        title=title,
        dateline_date=date,
        dateline_evidence=evidence,
        origin=origin,
        masthead=masthead,
        dropped=tuple(dropped),
        **info,
    )
    return text, segments, clean_info


# The dateline is looked for in this many lines at the top of the body.
DATELINE_LINES = 3


def _agency_names() -> frozenset[str]:
    return _frozen(active().wire_agencies)


@lru_cache(maxsize=16)
def _frozen(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(names)


_AGENCY_WORDS = re.compile(r"\b(?:Press|News|Agency|Service|Wire|Newswire|Staff)\b", re.I)


def _agency(byline: str | None) -> str | None:
    """The organisation a byline credits ("THE ASSOCIATED PRESS", "AP (Associated Press)"),
    or None when it names people."""
    if not byline:
        return None
    name = byline.split("(")[0].strip() or byline
    if byline.isupper() or "(" in byline or _AGENCY_WORDS.search(byline):
        # "LENA MARSH Associated Press": the reporter's name, then the agency's.
        words = name.split()
        trailing = list(itertools.takewhile(lambda w: re.match(r"[A-Z][a-z]", w), words[::-1]))
        if trailing and not name.isupper() and len(trailing) < len(words):
            name = " ".join(reversed(trailing))
        return name.title() if name.isupper() and len(name) > 4 else name
    return None


_SENTENCE_LIKE_RE = re.compile(r"[.!?][\"'\u201d\u2019)]*$")
# "UPDATE 2-", "REFILE-", "EXCLUSIVE-": wire desks' labels in front of a headline.
_WIRE_LABEL_RE = re.compile(r"^(?:UPDATE\s*\d*|REFILE|CORRECTED|EXCLUSIVE|RPT)\s*-\s*")
# A headline has at least this many words; a masthead or a section label has fewer.
MIN_TITLE_WORDS = 5


def _title(
    raw: str, kept: list[bp.Line], dropped: list[tuple[str, str]]
) -> tuple[str | None, str | None]:
    """(headline, masthead): a leading '# ' line, or the first line of headline shape above
    the body; short lines above it (the site's name, a section label) are furniture, and
    the first of them names the site.

    Scrapers sometimes glue a section label onto the headline ("NewsUS backs ...") and then
    print the headline again; the clean repeat wins and the glued line is dropped.
    """
    if not kept:
        return None, None
    first = kept[0]
    if (
        len(kept) > 1
        and first.key != kept[1].key
        and first.key.endswith(kept[1].key)
        and len(first.key) - len(kept[1].key) <= 30
        and not _SENTENCE_END_RE.search(first.key)
    ):
        dropped.append(("glued title", first.text))
        del kept[0]
    headings = [i for i, line in enumerate(kept[:MAX_HEADINGS_SEEN]) if line.heading]
    if headings:
        # "# The Site" then "## The headline": the first heading of headline shape wins.
        chosen = next((i for i in headings if _headline_shaped(kept[i])), headings[0])
        masthead = kept[headings[0]].key if chosen != headings[0] else None
        title = bp.HEADING_PREFIX_RE.sub("", kept[chosen].key)
        return title, bp.HEADING_PREFIX_RE.sub("", masthead) if masthead else None
    body = next((i for i, line in enumerate(kept) if _reads_as_body(line)), len(kept))
    # A line that runs on into a sentence on the next line is the body's first line.
    body = next((i for i in range(body) if _runs_into_sentence(raw, kept, i)), body)
    pick = next((i for i in range(body) if _headline_shaped(kept[i])), None)
    if pick is None:
        pick = 0 if body > 0 and _headline_shaped(kept[0], MIN_WORDS_FALLBACK) else None
    if pick is None:
        return None, None
    masthead = None
    for line in kept[:pick]:
        dropped.append(("masthead", line.text))
        name = re.split(r"\s+[—–|-]\s+", line.key, maxsplit=1)[0]  # without its tagline
        # A site's name: two to five words, or one in capitals ("KRDO"); a lone section
        # label ("Health", "Culture") names no site.
        words = name.split()
        named = (2 <= len(words) <= 5 and _MASTHEAD_WORD.search(name)) or (
            name.replace(" ", "").isalpha() and name.isupper() and len(name) > 2
        )
        if masthead is None and named and not name.endswith(":"):
            masthead = name.title() if name.isupper() and len(words) > 1 else name
    del kept[:pick]
    title = _WIRE_LABEL_RE.sub("", kept[0].key)
    following = kept[1] if len(kept) > 1 else None
    if (
        following is not None
        and following.text[:1].islower()
        and len(_BREAK_RE.findall(raw, kept[0].end, following.start)) == 1
        and len(title) + len(following.key) < 200
    ):
        # A headline wrapped onto a second line: one title, and not a body line.
        dropped.append(("title", following.text))
        del kept[1]
        title = f"{title} {following.key}"
    return title, masthead


MIN_WORDS_FALLBACK = 2
# A line above the headline names the site when it is set in capitals or ends like a
# publication's name; "Real Estate" or "Loyal to the Pledge" above a headline do not.
_MASTHEAD_WORD = re.compile(
    r"\b(?:News|Times|Post|Herald|Gazette|Observer|Journal|Tribune|Daily|Weekly|Review|Standard"
    r"|Echo|Voice|Live|Radio|TV|Dispatch|Letter|Wire|Desk|Ledger|Courier|Star|Examiner"
    r"|Chronicle|Mail|Express|Telegraph|Guardian|Independent|Record|Bulletin|Press|Sun|Mirror"
    r"|Monitor|Reporter|Register|Sentinel|Today|Online|Report|Times-\w+)$"
)


def _runs_into_sentence(raw: str, kept: list[bp.Line], index: int) -> bool:
    following = kept[index + 1] if index + 1 < len(kept) else None
    return (
        following is not None
        and following.text[:1].islower()
        and len(_BREAK_RE.findall(raw, kept[index].end, following.start)) == 1
        and bool(_SENTENCE_LIKE_RE.search(following.key))
    )


def _reads_as_body(line: bp.Line) -> bool:
    return len(line.key.split()) >= 8 and bool(_SENTENCE_LIKE_RE.search(line.key))


def _headline_shaped(line: bp.Line, min_words: int = MIN_TITLE_WORDS) -> bool:
    """Words enough, not a sentence, not shouted (mastheads and section labels are), not a
    site's name with its tagline ("Valley Voice — independent news for the valley")."""
    key = bp.HEADING_PREFIX_RE.sub("", line.key)
    return (
        len(key) < 200
        and len(key.split()) >= min_words
        and not _SENTENCE_END_RE.search(key)
        and not key.isupper()
        and not _TAGLINE_RE.match(key)
        and not _DATED_LINE_RE.search(key)
        and not _PLACE_LINE_RE.match(key)
    )


# A heading this far down is the body's, not the page's title.
MAX_HEADINGS_SEEN = 6
# "Sunday, April 28, 2024 77° Today's Paper": a line naming a whole day is the site's date
# line, not a headline.
_DATED_LINE_RE = re.compile(bp.WEEKDAY_DATE)
# "KIGALI, Rwanda": a dateline's place on its own line.
_PLACE_LINE_RE = re.compile(r"^[A-Z][A-Z.'’ -]{2,30},\s+[A-Z][\w.'’ -]{1,30}$")
_TAGLINE_RE = re.compile(r"^[A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*){0,3}\s+[—–|-]\s+[a-z]")


def _assemble(raw: str, kept: list[bp.Line], titled: bool = False) -> tuple[str, list[Segment]]:
    """Join kept lines; raw-contiguous lines share a segment, others are split by a blank
    line. A headline (`titled`: the first line) is its own paragraph, so that one ending
    like a wrapped line ("... as strike drags on") never runs into the lead."""
    parts: list[str] = []
    segments: list[Segment] = []
    size = 0
    for index, line in enumerate(kept):
        separator = raw[kept[index - 1].end : line.start] if index else ""
        after_title = titled and index == 1
        if index and not after_title and _PLAIN_SEPARATOR_RE.match(separator):
            # Nothing dropped in between: copy the raw separator so the run stays one segment
            # (a hard-wrapped paragraph, or a quote across a line break, stays citable).
            parts.append(separator)
            last = segments[-1]
            segments[-1] = Segment(
                clean_start=last.clean_start,
                raw_start=last.raw_start,
                length=line.end - last.raw_start,
            )
        else:
            if index:
                separator = "\n\n"
                parts.append(separator)
            segments.append(
                Segment(
                    clean_start=size + len(separator), raw_start=line.start, length=len(line.text)
                )
            )
        parts.append(line.text)
        size += len(separator) + len(line.text)
    return "".join(parts), segments


# --- decoding ---------------------------------------------------------------------------


# Control characters that text files do not hold (tab, line breaks and form feed they do),
# mapped to None: deleting them counts them at C speed.
_CONTROLS = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r\f")


def _decode(data: bytes) -> tuple[str, str, str | None]:
    """(text, encoding, warning) for a file's bytes; raises _Skip for binary or empty data."""
    if not data:
        raise _Skip("empty file")
    encoding, warning = _sniff(data)
    text = _strict(data, encoding)
    controls = len(text) - len(text.translate(_CONTROLS))
    if controls > len(text) * 0.1:
        raise _Skip("binary file")
    if not text.strip():
        raise _Skip("only whitespace" if text else "empty file")
    return text, encoding, warning


def _sniff(data: bytes) -> tuple[str, str | None]:
    """The encoding to decode with, and a warning when it is a guess."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    if b"\x00" in data:
        # NUL is valid UTF-8, so BOM-less UTF-16 must be recognised before trying UTF-8.
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise _Skip("binary file")
        return encoding, f"no byte-order mark; decoded as {encoding.upper()}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1", "not UTF-8; decoded as Latin-1"
    return "utf-8", None


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise _Skip(f"not valid {encoding.upper()}: {err.reason}") from None


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit at alternate positions (ASCII-range UTF-16)."""
    even, odd = data[0::2], data[1::2]
    half = len(data) // 2 or 1
    if len(data) % 2 == 0 and odd.count(0) > 0.3 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if len(data) % 2 == 0 and even.count(0) > 0.3 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


# --- loading ----------------------------------------------------------------------------


@dataclass
class _Source:
    """One article's raw text and the metadata its container format supplied."""

    raw_text: str
    encoding: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: dt.date | None = None
    date_source: DateSource = "unknown"
    date_evidence: str | None = None
    header: bool = False  # honour a scraper date header (.txt/.md)


@dataclass
class _Loader:
    root: Path
    articles: list[Article] = field(default_factory=list)
    skipped: list[FileProblem] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # article_id -> path

    @cached_property
    def folder_name(self) -> str:
        # resolve(): a corpus given as "." still shows its folder's name
        return self.root.resolve().name

    def load_file(self, path: Path) -> None:
        name = f"{self.folder_name}/{path.relative_to(self.root).as_posix()}"
        # A file name that is not valid UTF-8 still gets a printable name in messages.
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        suffix = path.suffix.lower()
        try:
            # What a path is comes first: a FIFO, a device or a link out of the corpus is
            # never opened, whatever its name says.
            target = _regular_file(path, self.root)
            if suffix not in SUPPORTED:
                raise _Skip(_UNSUPPORTED.format(suffix or path.name))
            data = _read_bounded(target)
            text, encoding, warning = _decode(data)
            loaded = len(self.articles)
            if suffix in (".json", ".jsonl"):
                for number, record in _records(text, suffix):
                    self.add(f"{name}#{number}", partial(_from_record, record, encoding))
            elif suffix in (".html", ".htm"):
                self.add(name, partial(_from_html, text, encoding))
            else:
                self.add(name, partial(_Source, text, encoding, header=True))
            if warning and len(self.articles) > loaded:  # a skipped file needs no warning
                self.warnings.append(FileProblem(name, warning))
            for article in self.articles[loaded:]:
                if article.published and article.published > dt.date.today() + dt.timedelta(days=1):
                    self.warnings.append(
                        FileProblem(
                            article.path, f"publication date {article.published} is in the future"
                        )
                    )
        except _Skip as skip:
            self.skipped.append(FileProblem(name, str(skip)))
        except RecursionError:
            self.skipped.append(FileProblem(name, "JSON nested too deeply"))

    def add(self, name: str, make: Callable[[], _Source]) -> None:
        """Build one article; a _Skip here skips only this file or record."""
        try:
            self.articles.append(self.build(name, make()))
        except _Skip as skip:
            self.skipped.append(FileProblem(name, str(skip)))
        except UnicodeError:
            self.skipped.append(FileProblem(name, "text holds characters that are not Unicode"))

    def build(self, name: str, src: _Source) -> Article:
        article_id = hashlib.sha256(src.raw_text.encode("utf-8")).hexdigest()
        if article_id[:16] in self.seen:
            raise _Skip(f"same text as {self.seen[article_id[:16]]}")
        text, segments, info = clean_text(src.raw_text)
        # The scraper's header first, then the page's metadata (or the record's field), then
        # a date the page prints, then its dateline, then a date in its URL, then one the
        # text shows (inferred, and marked so).
        published, source, evidence = src.published, src.date_source, src.date_evidence
        if src.header and info.header_date is not None:
            if re.fullmatch(r"\d{4}-\d{2}", info.header_date):
                pass  # a month only: the article stays undated, not skipped
            else:
                published = bp.parse_iso(info.header_date)
                if published is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", info.header_date):
                    raise _Skip(f"line 1: header date '{info.header_date}' is not a date")
                source, evidence = "header", info.header_line
        if published is None and info.printed_date is not None:
            published, source, evidence = info.printed_date, "dateline", info.printed_evidence
        if published is None and info.dateline_date is not None:
            published, source, evidence = info.dateline_date, "dateline", info.dateline_evidence
        if published is None and src.url:
            published = _url_date(src.url)
            source, evidence = "metadata", f"url: {src.url}"
        if not text.strip():
            raise _Skip("no article text after cleaning")
        if published is None:
            inferred = infer_publication(text)
            if inferred is not None:
                published, source, evidence = inferred.date, "inferred", inferred.evidence
        self.seen[article_id[:16]] = name
        return Article(
            article_id=article_id[:16],
            path=name,
            raw_text=src.raw_text,
            text=text,
            segments=segments,
            content_hash=article_id,
            title=src.title or info.title,
            outlet=_outlet(src, info),
            origin=info.origin,
            url=src.url,
            published=published,
            date_source=source if published else "unknown",
            date_evidence=evidence if published else None,
            encoding=src.encoding,
        )


_URL_DATE_RE = re.compile(r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?:/|-|$)")


def _url_date(url: str) -> dt.date | None:
    """ "https://site/2025/03/04/story" and "/2025-03-04-story" carry their date."""
    match = _URL_DATE_RE.search(url)
    if not match:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def _outlet(src: _Source, info: CleanInfo) -> str | None:
    """The publishing site: the page's metadata, a disclaimer, a copyright line, the
    masthead, the URL's host. A copyright or masthead that names the credited agency
    ("© 2025 The Associated Press" under a reprint) says who wrote it, not who published."""
    if src.outlet or info.outlet:
        return src.outlet or info.outlet
    origin = _bare(info.origin or "")
    agencies = _bare_names(active().wire_agencies)
    for name in (info.copyright_holder, info.masthead):
        bare = _bare(name or "")
        credited = origin and (origin in bare or bare in origin)
        if bare and not credited and bare not in agencies:
            return name
    return _url_site(src.url)


@lru_cache(maxsize=16)
def _bare_names(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_bare(name) for name in names)


def _bare(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip().lower())


def _url_site(url: str | None) -> str | None:
    """The site named by its host ("news.harbourgazette.com" -> "Harbourgazette")."""
    if not url:
        return None
    host = re.match(r"^[a-z][a-z0-9+.-]*://(?:www\.)?(?P<host>[^/:?#]+)", url, re.I)
    if not host:
        return None
    labels = host["host"].lower().split(".")
    name = labels[-2] if len(labels) >= 2 else labels[0]
    return name.capitalize() if name else None


# A news article is a few hundred kilobytes at most, with its page's markup; a bigger file
# is a dump or a mistake, and reading it whole would cost memory and minutes.
MAX_FILE_BYTES = 20_000_000
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def load_corpus(corpus_dir: Path) -> Corpus:
    """Every article under corpus_dir (recursively, hidden names skipped), sorted by path.

    Only regular files inside the folder are read: a FIFO, a socket or a device is
    skipped unopened, a symlink is followed only to a file or folder inside the corpus,
    and a file over MAX_FILE_BYTES is skipped from its size.
    """
    root = Path(corpus_dir)
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    loader = _Loader(root)
    for path in _walk(root):
        loader.load_file(path)
    return Corpus(root, loader.articles, loader.skipped, loader.warnings)


def _walk(root: Path) -> Iterator[Path]:
    """Every entry under root with no hidden part, sorted by path, except the folders
    walked into; load_file says why any entry that is not a file is skipped.

    Real folders are walked first. A symlinked folder is walked afterwards, under its
    own name, when it resolves to a folder inside the corpus that no walk has reached
    (a hidden one, say); otherwise it is listed as an entry, unopened: one that points
    outside the corpus, or that repeats a folder already read (a cycle among them).
    """
    real_root = Path(os.path.realpath(root))
    walked: set[Path] = set()
    entries: list[Path] = []
    links: list[Path] = []

    def visit(folder: Path) -> None:
        walked.add(Path(os.path.realpath(folder)))
        try:
            children = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            entries.append(folder)  # load_file reports it: unreadable, or a folder
            return
        for child in children:
            if child.name.startswith("."):
                continue
            path = Path(child.path)
            if child.is_dir(follow_symlinks=False):
                visit(path)
            elif child.is_symlink() and path.is_dir():
                links.append(path)
            else:
                entries.append(path)

    visit(root)
    while links:
        link = links.pop(0)
        target = Path(os.path.realpath(link))
        if target.is_relative_to(real_root) and target not in walked:
            visit(link)
        else:
            entries.append(link)
    yield from sorted(entries, key=lambda p: p.relative_to(root).as_posix())


def _regular_file(path: Path, root: Path) -> Path:
    """The path to read for `path`: itself, or a symlink's target inside the corpus.
    Raises _Skip for anything else, from its metadata alone, without opening it."""
    try:
        info = os.lstat(path)
    except OSError as err:
        raise _Skip(f"cannot read: {err.strerror or err}") from None
    target = path
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(os.path.realpath(root)):
            raise _Skip("symlink points outside the corpus")
        try:
            info = os.stat(target)
        except OSError as err:
            raise _Skip(f"cannot read: {err.strerror or err} (a broken symlink)") from None
        if stat.S_ISDIR(info.st_mode):
            raise _Skip("symlinked folder not followed: the folder it points to is read already")
    elif stat.S_ISDIR(info.st_mode):  # listed by _walk only when it could not be read
        try:
            os.scandir(path).close()
        except OSError as err:
            raise _Skip(f"cannot read the folder: {err.strerror or err}") from None
    _check_regular(info)
    return target


def _check_regular(info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((kind for test, kind in _KINDS if test(info.st_mode)), "an unknown kind")
        raise _Skip(f"not a regular file ({kind})")
    if info.st_size > MAX_FILE_BYTES:
        raise _Skip(_too_large(info.st_size))


def _too_large(size: int) -> str:
    def mb(n: int) -> str:
        return f"{n / 1e6:.0f}" if n >= 100e6 else f"{n / 1e6:.1f}".removesuffix(".0")

    return f"file too large ({mb(size)} MB; the limit is {mb(MAX_FILE_BYTES)} MB)"


def _read_bounded(path: Path) -> bytes:
    """The bytes of a regular file, reading at most MAX_FILE_BYTES + 1 of them.

    The file is checked again once open (it may have been swapped for a FIFO since its
    path was checked: O_NONBLOCK keeps that open from waiting for a writer, O_NOFOLLOW
    refuses a symlink put in its place), and a file that grew past the limit meanwhile
    is read no further than it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise _Skip(f"cannot read: {err.strerror or err}") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            _check_regular(os.fstat(fd))
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as err:
            raise _Skip(f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_FILE_BYTES:
        raise _Skip(f"file too large (it grew past the limit of {MAX_FILE_BYTES / 1e6:.0f} MB)")
    return data


def _records(text: str, suffix: str) -> Iterator[tuple[int, Any]]:
    """(N, record) pairs; a record that is not valid JSON is yielded as a _Skip."""
    if suffix == ".jsonl":
        # only \r and \n end a record: str.splitlines() would also split on U+2028 etc.
        lines = [line for line in _BREAK_RE.split(text) if line.strip()]
        for number, line in enumerate(lines):
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as err:
                yield number, _Skip(f"invalid JSON: {err.msg} (column {err.colno})")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise _Skip(f"invalid JSON: {err.msg} (line {err.lineno})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise _Skip("expected a JSON object or a list of objects")
    if not data:
        raise _Skip("no records")
    yield from enumerate(data)


def _from_record(record: Any, encoding: str) -> _Source:
    if isinstance(record, _Skip):
        raise record
    if not isinstance(record, dict):
        raise _Skip("record is not an object")
    text = record.get("text")
    if text is None:
        raise _Skip("record has no text")
    if not isinstance(text, str):
        raise _Skip("text is not a string")
    if not text.strip():
        raise _Skip("record has empty text")
    published: dt.date | None = None
    value = record.get("published")
    if isinstance(value, str) and not value.strip():
        value = None  # an empty field: the record is undated, not broken
    if value is not None:
        published = bp.parse_iso(value) if isinstance(value, str) else None
        if published is None:
            raise _Skip(f"published '{value}' is not a date")
    outlet = record.get("outlet") or record.get("source")
    return _Source(
        text,
        encoding,
        title=_string(record.get("title")),
        outlet=_string(outlet),
        url=_string(record.get("url")),
        published=published,
        date_source="metadata" if published else "unknown",
        date_evidence=f"published: {value}" if published else None,
    )


def _string(value: Any) -> str | None:
    return bp.normalise(value) or None if isinstance(value, str) else None


def _from_html(html: str, encoding: str) -> _Source:
    import trafilatura  # heavy import: only pay for it when the corpus has HTML

    with warnings.catch_warnings():
        # htmldate/dateparser warn about deprecated calls; the test suite turns warnings
        # into errors. Dates are never guessed from today: max_date is fixed far ahead.
        warnings.simplefilter("ignore")
        doc = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "max_date": "2100-12-31",
            },
        )
    text = getattr(doc, "text", None) if doc is not None else None
    if not isinstance(text, str) or not text.strip():
        raise _Skip("no article text found in the HTML")
    site = _title_suffix_site(html, _string(getattr(doc, "title", None)))
    date_text = getattr(doc, "date", None)
    published = bp.parse_iso(date_text) if isinstance(date_text, str) else None
    return _Source(
        text,
        encoding,
        title=_string(getattr(doc, "title", None)),
        outlet=_string(getattr(doc, "sitename", None)) or site,
        url=_string(getattr(doc, "url", None)),
        published=published,
        date_source="metadata" if published else "unknown",
        date_evidence=f"html metadata date: {date_text}" if published else None,
    )


_HTML_TITLE_RE = re.compile(r"<title[^>]*>(?P<title>[^<]{1,300})</title>", re.I)


def _title_suffix_site(html: str, headline: str | None) -> str | None:
    """ "<title>Headline - Vell Valley Echo</title>": the site's name after the headline."""
    match = _HTML_TITLE_RE.search(html[:100_000])
    if not match or not headline:
        return None
    parts = re.split(r"\s+[|–—-]\s+", bp.normalise(match["title"]))
    if len(parts) < 2 or headline not in parts[0]:
        return None
    site = parts[-1].strip()
    return site if 0 < len(site.split()) <= 5 else None
