"""Ids of claims and findings: minted here and nowhere else, so one statement of one
article has one id whichever step produced it (and an analyst's review follows it)."""

from __future__ import annotations

import hashlib

from briefing.grounding import normalised_text


def claim_id(article_id: str, statement: str) -> str:
    """The claim's article and what it states, normalised (whitespace, quotes, dashes, case)."""
    digest = hashlib.sha1(
        normalised_text(statement).lower().encode("utf-8", "surrogatepass")
    ).hexdigest()
    return f"{article_id[:6]}-{digest[:6]}"


def finding_id(claim_ids: list[str]) -> str:
    """A finding is named by the claims it holds."""
    digest = hashlib.sha1("|".join(sorted(claim_ids)).encode()).hexdigest()
    return f"f-{digest[:8]}"
