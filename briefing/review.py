"""Citation review: read a brief back and check every quote against its source once more."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from briefing.corpus import load_corpus
from briefing.errors import BriefFileError, CorpusError
from briefing.grounding import verify_evidence
from briefing.schemas import Brief, CitationRow, Evidence


def load_brief(path: Path) -> Brief:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BriefFileError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BriefFileError(f"{path} is not a UTF-8 JSON file") from None
    try:
        return Brief.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise BriefFileError(f"{path} is not a brief JSON file: {where}: {first['msg']}") from None


def recheck_citations(brief: Brief) -> tuple[list[CitationRow], bool]:
    """Rows with `verified` recomputed from the corpus files; False if the corpus is gone."""
    try:
        corpus = load_corpus(Path(brief.corpus))
    except CorpusError:
        return brief.citations, False
    raw_by_path = {article.path: article.raw_text for article in corpus.articles}
    rows = []
    for row in brief.citations:
        raw = raw_by_path.get(row.path)
        evidence = Evidence(quote=row.quote, start=row.start, end=row.end)
        verified = raw is not None and verify_evidence(evidence, raw)
        rows.append(row.model_copy(update={"verified": verified}))
    return rows, True
