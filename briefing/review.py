"""Citation review: check every quote against its source once more, and record decisions.

An analyst accepts or rejects claims (`briefing review`); the decision is stored with
who and when, a rejected claim is left out of every later brief and listed in its
review appendix, and `briefing citations` shows each row's status.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from briefing import config
from briefing.corpus import load_corpus
from briefing.errors import BriefFileError, ConfigurationError, CorpusError
from briefing.grounding import verify_evidence
from briefing.quotes import keyed
from briefing.schemas import Brief, CitationRow, Evidence
from briefing.store import DB_FILENAME, Review, Store


def load_brief(path: Path) -> Brief:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BriefFileError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BriefFileError(f"{path} is not a UTF-8 JSON file") from None
    try:
        brief = Brief.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise BriefFileError(f"{path} is not a brief JSON file: {where}: {first['msg']}") from None
    return keyed(brief)  # a brief written before quotes had keys gets them as its renderers would


def recheck_citations(brief: Brief, corpus: Path | None = None) -> tuple[list[CitationRow], bool]:
    """Rows with `verified` recomputed from the corpus files; False if the corpus is gone.

    `corpus` is where the articles are now, when the folder was moved or copied since the
    brief was made; files are matched by their path inside the folder, not its name.
    """
    try:
        loaded = load_corpus(corpus if corpus is not None else Path(brief.corpus))
    except CorpusError:
        return brief.citations, False

    def inside_corpus(path: str) -> str:  # a source path without the corpus folder's name
        return path.split("/", 1)[-1]

    raw_by_path = {inside_corpus(article.path): article.raw_text for article in loaded.articles}
    rows = []
    for row in brief.citations:
        raw = raw_by_path.get(inside_corpus(row.path))
        evidence = Evidence(quote=row.quote, start=row.start, end=row.end)
        verified = raw is not None and verify_evidence(evidence, raw)
        rows.append(row.model_copy(update={"verified": verified}))
    return rows, True


def reviewer_name() -> str:
    """Who is reviewing: BRIEFING_REVIEWER, else the login name."""
    return os.environ.get("BRIEFING_REVIEWER") or getpass.getuser()


def record_decision(claim_id: str, decision: str, note: str | None, corpus: Path) -> Review:
    """Store an analyst's accept/reject decision on a claim; later briefs honour it."""
    if decision not in ("accepted", "rejected"):
        raise ConfigurationError("give exactly one of --accept or --reject")
    store = Store.open(config.store_home(corpus))
    try:
        if not store.has_claim(claim_id):
            raise ConfigurationError(
                f"no claim {claim_id!r} in the store at {store.path}: take the id from"
                " `briefing citations BRIEF.json` (and --corpus if it is not seeds/)"
            )
        store.record_review(claim_id, decision, reviewer_name(), note)
        return store.reviews()[claim_id]
    finally:
        store.close()


ReviewFilter = Literal["all", "rejected", "pending"]


def review_status(brief: Brief, corpus: Path | None = None) -> dict[str, Review]:
    """The latest decision on each claim of the brief, from the store beside its corpus
    (or beside `corpus`, where the articles are now). Only reads: the store is opened
    read-only, so a store the user cannot write (a shared or archived copy) still answers."""
    home = config.store_home(corpus if corpus is not None else Path(brief.corpus))
    if not (home / DB_FILENAME).exists():
        return {}
    store = Store.open(home, read_only=True)
    try:
        return store.reviews()
    finally:
        store.close()
