"""Check the development corpus gold files against their pages (stdlib only).

Run from anywhere:  python3 bench/devcorpus/check_gold.py [STORY_DIR ...]

For every <story>/gold.json under bench/devcorpus/ (or the folders given) it verifies:
- every article key names a page file in <story>/pages/, or a record "file.jsonl#N";
- every page file (and every JSONL record) has an article entry;
- every quote_contains, event and furniture fragment stands in the page's text;
- every date_printed stands in the page (its visible text or, for HTML and JSONL,
  the raw source, where dates sit in meta tags, JSON-LD or record fields);
- a date_inferred_from fragment (the text that dates a page printing no date) stands in
  the page, and only on such a page with a published date;
- published and event dates are valid ISO dates (YYYY-MM-DD) or null;
- no furniture fragment overlaps a speaker's quote fragment;
- two events of one article never sit in the same sentence with different dates (a
  sentence gets one event date, so such gold could not be met);
- the keywords of each key fact, each side of a conflict / not-conflict, and each
  update's before/after values all appear together in at least one page;
- same_event and wire_versions name known articles.

Matching is exact except that runs of whitespace count as one space, so a fragment
may cross a hard line wrap; keyword matching is case-insensitive.
Exit status 0 when everything passes, 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘A-Z])")
_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "figcaption", "figure", "nav", "br"}


def squash(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return _WS.sub(" ", text).strip()


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: no <script>/<style>, one line per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(source: str) -> str:
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Page:
    """One article: the text a quote must stand in, and the raw source for dates."""

    key: str
    text: str
    raw: str

    @property
    def flat(self) -> str:
        return squash(self.text)

    @property
    def flat_raw(self) -> str:
        return squash(html.unescape(self.raw))


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)

    def error(self, story: str, message: str) -> None:
        self.errors.append(f"{story}: {message}")


def load_pages(pages_dir: Path) -> dict[str, Page]:
    """Every article in pages_dir, keyed as gold.json keys them."""
    pages: dict[str, Page] = {}
    for path in sorted(pages_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            lines = [line for line in raw.splitlines() if line.strip()]
            for number, line in enumerate(lines):
                record = json.loads(line)
                text = f"{record.get('title', '')}\n{record.get('text', '')}"
                pages[f"{path.name}#{number}"] = Page(f"{path.name}#{number}", text, line)
        elif path.suffix in (".html", ".htm"):
            pages[path.name] = Page(path.name, html_text(raw), raw)
        else:
            pages[path.name] = Page(path.name, raw, raw)
    return pages


def valid_iso(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _has_all(pages: dict[str, Page], keywords: list[str]) -> bool:
    """True if one page holds every keyword (case-insensitive, whitespace-squashed)."""
    wanted = [squash(k).lower() for k in keywords]
    return any(all(k in page.flat.lower() for k in wanted) for page in pages.values())


def _check_article(story: str, key: str, entry: dict[str, Any], page: Page, rep: Report) -> None:
    flat = page.flat
    published = entry.get("published")
    if published is not None and not valid_iso(published):
        rep.error(story, f"{key}: published {published!r} is not an ISO date")
    printed = entry.get("date_printed")
    if printed is not None and squash(printed) not in flat and squash(printed) not in page.flat_raw:
        rep.error(story, f"{key}: date_printed {printed!r} not in page")
    inferred = entry.get("date_inferred_from")
    if inferred is not None and (printed is not None or published is None):
        rep.error(story, f"{key}: date_inferred_from is for dated pages that print no date")
    if inferred is not None and squash(inferred) not in flat:
        rep.error(story, f"{key}: date_inferred_from {inferred!r} not in page")
    for name in ("outlet", "title"):
        if not entry.get(name):
            rep.error(story, f"{key}: {name} missing")
    furniture = [squash(f) for f in entry.get("furniture", [])]
    for fragment in furniture:
        if fragment not in flat:
            rep.error(story, f"{key}: furniture {fragment!r} not in page")
    for speaker in entry.get("speakers", []):
        quote = squash(speaker.get("quote_contains", ""))
        if not quote or quote not in flat:
            rep.error(story, f"{key}: quote_contains {quote!r} not in page")
        if not speaker.get("speaker"):
            rep.error(story, f"{key}: speaker missing for {quote!r}")
        for fragment in furniture:
            if fragment in quote or quote in fragment:
                rep.error(story, f"{key}: furniture {fragment!r} overlaps quote {quote!r}")
    sentences = _SENTENCE_END.split(flat)
    dated: dict[int, str] = {}
    for event in entry.get("events", []):
        quote = squash(event.get("quote_contains", ""))
        if not quote or quote not in flat:
            rep.error(story, f"{key}: event quote {quote!r} not in page")
        if not valid_iso(event.get("date")):
            rep.error(story, f"{key}: event date {event.get('date')!r} is not an ISO date")
        for number, sentence in enumerate(sentences):
            if quote and quote in sentence:
                if dated.setdefault(number, event["date"]) != event["date"]:
                    rep.error(story, f"{key}: two event dates in one sentence ({quote!r})")
                break


def check_story(story_dir: Path, rep: Report) -> tuple[int, int]:
    """Check one story; returns (articles, key facts)."""
    story = story_dir.name
    gold = json.loads((story_dir / "gold.json").read_text(encoding="utf-8"))
    pages = load_pages(story_dir / "pages")
    articles: dict[str, Any] = gold.get("articles", {})
    for name in ("story", "title_terms", "key_facts", "conflicts", "not_conflicts"):
        if not gold.get(name):
            rep.error(story, f"gold.json has no {name}")
    for key, entry in articles.items():
        if key not in pages:
            rep.error(story, f"article {key!r} is not a page file or record")
            continue
        _check_article(story, key, entry, pages[key], rep)
    for key in pages:
        if key not in articles:
            rep.error(story, f"page {key!r} has no gold entry")
    if not _has_all(pages, gold.get("title_terms", [])):
        rep.error(story, f"title_terms {gold.get('title_terms')} not together in any page")
    facts = gold.get("key_facts", [])
    if not 8 <= len(facts) <= 12:
        rep.error(story, f"{len(facts)} key facts (want 8-12)")
    for fact in facts:
        if not fact.get("keywords") or not _has_all(pages, fact["keywords"]):
            rep.error(story, f"key fact {fact.get('id')}: keywords not together in any page")
    for group in ("conflicts", "not_conflicts"):
        for item in gold.get(group, []):
            for side in ("a", "b"):
                if not item.get(side) or not _has_all(pages, item[side]):
                    rep.error(story, f"{group} {item.get('id')}: side {side} not in any page")
    for update in gold.get("updates", []):
        for side in ("before", "after"):
            if not _has_all(pages, [update.get(side, "")]):
                rep.error(story, f"update {update.get('id')}: {side} value not in any page")
    for group in ("same_event", "wire_versions"):
        for members in gold.get(group, []):
            for key in members:
                if key not in articles:
                    rep.error(story, f"{group}: unknown article {key!r}")
    return len(articles), len(facts)


def main(argv: list[str]) -> int:
    dirs = [Path(a) for a in argv] or sorted(p.parent for p in HERE.glob("*/gold.json"))
    rep = Report()
    total = 0
    for story_dir in dirs:
        count, facts = check_story(story_dir, rep)
        total += count
        print(f"{story_dir.name}: {count} articles, {facts} key facts")
    for message in rep.errors:
        print(f"FAIL {message}")
    print(f"{total} articles, {len(rep.errors)} problems")
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
