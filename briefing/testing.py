"""A backend for tests, in process: the seam's own test double (like httpx's MockTransport).

`FakeBackend` extracts a claim from each article's first sentence (or what `claims_for`
returns), relates and composes like the offline backend, counts what it was asked to
do, and raises the errors it is given at the step it is told to, so that a test can
drive the pipeline through any failure without a server:

    backend = FakeBackend(fail_compose=BudgetExceeded("the call budget is spent"))
    briefing.generate(since, corpus=path, backend=backend)   # raises LLMError
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from briefing.aggregate import SyndicationGroups
from briefing.assemble import BriefContext
from briefing.backend import Composition, Related
from briefing.costs import Usage
from briefing.errors import BriefingError
from briefing.grounding import ground_quote
from briefing.ids import claim_id
from briefing.offline.backend import OfflineBackend
from briefing.schemas import Article, ArticleExtraction, Claim, ExtractorInfo, Finding
from briefing.sentences import split_sentences


def first_sentence_claim(article: Article) -> list[Claim]:
    """One claim: the article's first sentence, quoted verbatim."""
    sentences = split_sentences(article.text, 1)
    if not sentences:
        return []
    evidence = ground_quote(sentences[0].text, article).evidence
    statement = " ".join(sentences[0].text.split())
    return [
        Claim(
            claim_id=claim_id(article.article_id, statement),
            article_id=article.article_id,
            statement=statement,
            evidence=[evidence],
        )
    ]


@dataclass
class FakeBackend:
    """Scripted extraction and failures; offline relating and composing."""

    claims_for: Callable[[Article], list[Claim]] = first_sentence_claim
    fail_extract: dict[str, BriefingError] = field(default_factory=dict)  # by article path
    fail_relate: BriefingError | None = None
    fail_compose: BriefingError | None = None
    name: str = "fake"
    concurrency: int = 4
    usage: Usage = field(default_factory=Usage)
    extracted: list[str] = field(default_factory=list)  # article paths, in call order
    closed: bool = False

    @property
    def info(self) -> ExtractorInfo:
        return ExtractorInfo(name=self.name)

    @property
    def cache_version(self) -> str:
        return "fake-1"

    async def extract(self, article: Article) -> ArticleExtraction:
        self.extracted.append(article.path)
        failure = self.fail_extract.get(article.path)
        if failure is not None:
            raise failure
        claims = self.claims_for(article)
        return ArticleExtraction(article_id=article.article_id, extractor=self.name, claims=claims)

    async def relate(
        self, findings: list[Finding], articles: dict[str, Article], groups: SyndicationGroups
    ) -> Related:
        if self.fail_relate is not None:
            raise self.fail_relate
        return await OfflineBackend().relate(findings, articles, groups)

    async def compose(self, related: Related, context: BriefContext) -> Composition:
        if self.fail_compose is not None:
            raise self.fail_compose
        return await OfflineBackend().compose(related, context)

    async def aclose(self) -> None:
        self.closed = True
