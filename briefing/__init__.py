"""briefing: turn a folder of news articles into a dated situation brief with verbatim citations.

import datetime as dt
import briefing

result = briefing.generate(dt.date(2025, 2, 1), corpus=Path("seeds"))
print(result.brief.title, result.paths)
"""

from briefing.corpus import Corpus, FileProblem, load_corpus
from briefing.errors import (
    BriefFileError,
    BriefingError,
    ConfigurationError,
    CorpusError,
    StoreError,
)
from briefing.grounding import GroundingFailure, ground_claim, ground_quote
from briefing.pipeline import GenerateResult, generate
from briefing.review import load_brief, recheck_citations
from briefing.schemas import Article, Brief, Claim, Evidence, Finding

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Brief",
    "BriefFileError",
    "BriefingError",
    "Claim",
    "ConfigurationError",
    "Corpus",
    "CorpusError",
    "Evidence",
    "FileProblem",
    "Finding",
    "GenerateResult",
    "GroundingFailure",
    "StoreError",
    "generate",
    "ground_claim",
    "ground_quote",
    "load_brief",
    "load_corpus",
    "recheck_citations",
]
