"""briefing: turn a folder of news articles into a dated situation brief with verbatim citations.

    import datetime as dt
    from pathlib import Path
    import briefing

    result = briefing.generate(dt.date(2025, 2, 1), corpus=Path("seeds"))
    print(result.brief.title, result.paths)

`build_brief` (or `abuild_brief` inside an event loop) builds without writing;
`write_brief` writes; `Settings` chooses the backend; any object that follows the
`Backend` protocol may be passed as `backend=`.
"""

from importlib.metadata import version

from briefing.backend import Backend, Composition, Related, make_backend
from briefing.config import Settings
from briefing.corpus import Corpus, FileProblem, load_corpus
from briefing.errors import (
    BriefFileError,
    BriefingError,
    BudgetExceeded,
    ConfigurationError,
    CorpusError,
    ExtractionError,
    LLMCallFailed,
    LLMError,
    StoreError,
)
from briefing.grounding import GroundingFailure, ground_claim, ground_quote
from briefing.pipeline import (
    BuildResult,
    GenerateResult,
    RunStats,
    abuild_brief,
    build_brief,
    generate,
    write_brief,
)
from briefing.review import load_brief, recheck_citations
from briefing.schemas import Article, Brief, Claim, Evidence, Finding

__version__ = version("briefing")

__all__ = [
    "Article",
    "Backend",
    "Brief",
    "BriefFileError",
    "BriefingError",
    "BudgetExceeded",
    "BuildResult",
    "Claim",
    "Composition",
    "ConfigurationError",
    "Corpus",
    "CorpusError",
    "Evidence",
    "ExtractionError",
    "FileProblem",
    "Finding",
    "GenerateResult",
    "GroundingFailure",
    "LLMCallFailed",
    "LLMError",
    "Related",
    "RunStats",
    "Settings",
    "StoreError",
    "abuild_brief",
    "build_brief",
    "generate",
    "ground_claim",
    "ground_quote",
    "load_brief",
    "load_corpus",
    "make_backend",
    "recheck_citations",
    "write_brief",
]
