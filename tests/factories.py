"""Articles for tests, built the way the corpus loader builds them."""

from __future__ import annotations

import datetime as dt
import hashlib

from briefing.corpus import clean_text
from briefing.schemas import Article, Segment


def make_article(
    text: str,
    path: str | None = None,
    published: str | dt.date | None = None,
    *,
    title: str | None = None,
    outlet: str | None = None,
    clean: bool = True,
    content_hash: str | None = None,
) -> Article:
    """An Article whose raw text is `text`.

    As briefing/corpus.py does: the id is the raw text's SHA-256 (first 16 hex digits),
    the cleaned text and its segments come from `clean_text`, and a publication date
    counts as a header date. `clean=False` keeps the raw text as the cleaned text, one
    segment. Title and outlet are what is passed, not read from the text. `content_hash`
    overrides the hash, to test articles that share one.
    """
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if clean:
        cleaned, segments, _info = clean_text(text)
    else:
        cleaned, segments = text, [Segment(clean_start=0, raw_start=0, length=len(text))]
    if isinstance(published, str):
        published = dt.date.fromisoformat(published)
    return Article(
        article_id=digest[:16],
        path=path or f"corpus/{digest[:16]}.txt",
        raw_text=text,
        text=cleaned,
        segments=segments,
        content_hash=content_hash or digest,
        title=title,
        outlet=outlet,
        published=published,
        date_source="header" if published else "unknown",
    )
