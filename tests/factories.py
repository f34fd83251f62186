"""Articles for tests, built the way the corpus loader builds them, and one-claim findings."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from briefing.corpus import clean_text
from briefing.schemas import Article, Claim, Evidence, Finding, Segment


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


def make_finding(
    statement: str, article_id: str, published: str = "2025-03-05", speaker: str | None = None
) -> Finding:
    """A finding of one claim that quotes its own statement, published on `published`."""
    claim = Claim(
        claim_id=f"{article_id}-{abs(hash(statement)) % 10**6:06d}",
        article_id=article_id,
        statement=statement,
        speaker=speaker,
        evidence=[Evidence(quote=statement, start=0, end=len(statement))],
    )
    return Finding(
        finding_id=f"f-{claim.claim_id}",
        statement=statement,
        claims=[claim],
        claim_type="statement",
        attribution="asserted",
        speaker=speaker,
        actors=[],
        event_date=None,
        published=dt.date.fromisoformat(published),
        independent_sources=1,
        salience=1.0,
    )


def tool_call_completion(name: str, arguments: str, model: str = "m") -> dict[str, Any]:
    """A chat completion's JSON whose one tool call is `name` with `arguments` (JSON text)."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call-1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
    }


def count_pools(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[object]:
    """The process pools `module` starts from now on (its ProcessPoolExecutor, counted)."""
    pools: list[object] = []

    class CountedPool(module.ProcessPoolExecutor):  # type: ignore[misc, name-defined]
        def __init__(self, *args: object, **kwargs: object) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(module, "ProcessPoolExecutor", CountedPool)
    return pools
