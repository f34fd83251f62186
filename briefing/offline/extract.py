"""The offline extractor: claims are whole sentences of the article, picked and labelled by rules.

It needs no network and no model. Its evidence is the sentence itself, so every claim
is grounded by construction; it picks the sentences that report something (an event,
a statement, a position, a figure) and labels speaker, actors, reporting chain,
attribution, type and event date with patterns and the lexicon (lexicon.py): names of
states and organisations, demonyms, title, stance and topic words come from its data,
and people from the article itself (`find_people`), so the rules hold on any news.
"""

from __future__ import annotations

import re
from functools import lru_cache

from briefing import boilerplate as bp
from briefing.attribution import named_doer, proper_names, speaker_of
from briefing.dates import event_date
from briefing.grounding import GroundedQuote, ground_quote, normalised_text
from briefing.ids import claim_id
from briefing.lexicon import Lexicon, active, find_labels, find_people
from briefing.schemas import Article, ArticleExtraction, Attribution, Claim, ClaimType, Evidence
from briefing.sentences import Sentence, split_sentences

# Bump when the rules change, so that cached extractions are recomputed.
RULES_VERSION = "offline-4"
# The brief is a brief: at most this many claims per article.
MAX_CLAIMS_PER_ARTICLE = 10
MIN_WORDS, MAX_WORDS = 8, 70
MAX_SENTENCES_READ = 400
# A sentence sharing this share of its content words with a better one already picked
# from the same article repeats it (a summary bullet restating the body, say).
MAX_CONTENT_OVERLAP = 0.45

_SPEECH_VERBS = (
    r"said|says|stated|states|told|tells|warned|warns|claimed|claims|noted|notes|added|"
    r"insisted|emphasi[sz]ed|stressed|reiterated|asked|announced|declared|argued|wrote|"
    r"mentioned|confirmed|spoke|responded|indicated|acknowledged|questioned|echoed"
)
_SPEECH_RE = re.compile(rf"\b({_SPEECH_VERBS})\b")
_ACCORDING_RE = re.compile(
    r"\baccording to (?:a report by |reports? (?:by|in) )?(?P<who>[^,.;]+?)(?=,|\.|;| which| who|$)",
    re.I,
)
_CITED_BY_RE = re.compile(
    r"\b(?:cited|quoted|reported) by (?:the )?(?P<who>[^,.;]+?)(?=,|\.|;|$)", re.I
)
_CITING_RE = re.compile(r"\b(?:citing|which cited|cited) (?P<who>[^,.;]+?)(?=,|\.|;|$)", re.I)
_REPORTED_RE = re.compile(
    r"(?:as reported by|reported|wrote|noted|reports) (?:the )?(?P<q>[\"“]?)(?P<who>[A-Z][\w ]+?)(?P=q)(?=[\s,.])"
)
# Who an unnamed source works for, besides a state or region ("a French official").
_SOURCE_QUALIFIERS = r"defen[cs]e|senior|government|military|intelligence|western|security"
_SOURCE_NOUNS = r"official|officials|diplomat|diplomats|insider|source|sources"
# Background and framing rather than news: "The discussions come amid...", "aims to create".
_BACKGROUND = re.compile(r"\b(?:amid|aims? to|intended to|includes?|comes? as|is part of)\b", re.I)
_ANAPHORA = re.compile(r"^(?:This|That|These|Those|It|Such|They|He|She)\b")
# A sentence that needs the one before it to mean anything: quoted alone it misleads.
_NEEDS_PREVIOUS = re.compile(
    r"^(?:This|That|These|Those|Such|It)\b"
    r"|\b(?:echoed|shared|repeated|voiced|rejected|dismissed)\s+(?:those|these|the same|similar)\b"
    r"|\b(?:those|these)\s+(?:doubts|concerns|fears|claims|remarks|comments|views|reports"
    r"|figures|numbers|plans|proposals)\b"
)
_PRONOUN_OPENER = re.compile(r"^(?:He|She|They|We|I)\b")
# Process, not news: "did not immediately respond to a request for comment".
_FILLER = re.compile(
    r"\bdid(?:\s+not|n[’']t)\s+(?:immediately\s+)?(?:respond|reply|return)\b"
    r"|\bdeclined to comment\b|\bcould not be reached\b|\bno immediate comment\b"
    r"|\b(?:was|were)\s+not\s+immediately\s+available\b",
    re.I,
)
_COMMENTARY = re.compile(r"\b(appears?|seems?|indicates?|suggests?|signal|remains unclear)\b", re.I)
_DISCOURSE_OPENERS = re.compile(
    r"^(?:However|Meanwhile|Still|Nevertheless|Nonetheless|Moreover|Furthermore|Instead|"
    r"At the same time|Despite this shift|In addition|Previously|Earlier|Also),\s+"
)
_STOPWORDS = frozenset(
    """the and for with from that this these those are was were been has have had its their
    his her they which who whom would could should will not but also than then there
    after before about into over under said says such any all more most some other""".split()
)
# "(MENAFN) ", "Corrow (AFP) - ", "MARROWICK, Feb 10 (Reuters) - ", "LONDON, March 3,
# 2025 /PRNewswire/ -- ": the dateline is not part of the statement.
_DATELINE_PREFIX = re.compile(
    r"^(?:[A-Z][A-Za-z.'’ -]{1,40}?(?:,\s+[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)?)?,?\s+"
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+\d{4})?\s*)?)?"
    r"(?:(?:[-—–]\s*)?\((?P<outlet>[A-Za-z][\w .&-]{0,30})\)\s*(?:--|[-–—])?\s*"
    # a press-release wire: "LONDON, March 3, 2025 /PRNewswire/ -- "
    r"|/(?P<wire>[A-Z][\w .&-]{1,30})/\s*(?:--|[-–—])\s*)"
    # "LUBBOCK, Texas — A child ...": a place in capitals and a dash, with no credit
    r"|^[A-Z][A-Z.'’ -]{2,40}(?:,\s+[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)?)?\s+[—–-]\s+"
)


def dateline_prefix(text: str) -> re.Match[str] | None:
    """The dateline opening a sentence, if it is one: "The United Nations (UN) said" opens
    with a name and its abbreviation, which stay in the statement."""
    match = _DATELINE_PREFIX.match(text)
    if (
        match
        and match["outlet"]
        and not bp.credits_in_parentheses(text[: match.start("outlet")], match["outlet"])
    ):
        return None
    return match


@lru_cache(maxsize=8)
def _source_phrases(lexicon: Lexicon) -> re.Pattern[str]:
    """ "an unnamed source", "a French official": the lexicon's demonyms name the side."""
    demonyms = "|".join(re.escape(d) for d in lexicon.demonyms)
    qualifiers = f"{demonyms}|{_SOURCE_QUALIFIERS}" if demonyms else _SOURCE_QUALIFIERS
    return re.compile(
        r"\b(?:an? |the )?(?:unnamed|anonymous)(?: \w+)? (?:source|sources|official|officials|"
        rf"diplomat)s?\b|\b(?:an?|the) (?:{qualifiers}) (?:{_SOURCE_NOUNS})\b"
        r"|\bofficials\b|\bsources\b",
        re.I,
    )


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.I) is not None


class OfflineExtractor:
    """Extractive, rule-based claims; deterministic and free."""

    def extract(self, article: Article) -> ArticleExtraction:
        candidates = []
        # News leads with its news; a 10 MB dump is read as far as its first sentences.
        sentences = split_sentences(article.text, MAX_SENTENCES_READ)
        read = article.text[: sentences[-1].end] if sentences else ""
        # The people this article names, found in it ("Defence Minister Jane Roe", "Roe"),
        # and the names it gives in quotes (a group "dubbed the ‘coalition of the ready’").
        lexicon = active()
        lexicon = lexicon.with_entities([*find_people(read, lexicon), *find_labels(read, lexicon)])
        said_by = _speakers(sentences, lexicon)
        for position, sentence in enumerate(sentences):
            claim = self._claim_from_sentence(
                article, sentence, position, lexicon, said_by[position]
            )
            if claim is not None:
                candidates.append(claim)
        best: list[Claim] = []
        picked_words: list[set[str]] = []
        for claim in sorted(candidates, key=lambda c: -c.salience):
            words = content_words(claim.statement, lexicon)
            if any(_overlap(words, other) > MAX_CONTENT_OVERLAP for other in picked_words):
                continue
            best.append(claim)
            picked_words.append(words)
            if len(best) == MAX_CLAIMS_PER_ARTICLE:
                break
        best.sort(key=lambda c: c.evidence[0].start)
        return ArticleExtraction(article_id=article.article_id, extractor="offline", claims=best)

    def _claim_from_sentence(
        self,
        article: Article,
        sentence: Sentence,
        position: int,
        lexicon: Lexicon,
        said_by: str | None,
    ) -> Claim | None:
        text = sentence.text
        words = text.split()
        if not (MIN_WORDS <= len(words) <= MAX_WORDS):
            return None
        if not re.search(r"[.!][\"”’)]*$", text) or text.rstrip('"”’)').endswith("?"):
            return None  # headlines, captions and questions do not state anything
        prefix = dateline_prefix(text)
        offset = prefix.end() if prefix else 0
        quote = text[offset:]
        grounded = _sentence_evidence(article, sentence.start + offset, sentence.end, quote)
        statement = _statement_from(quote)
        if _FILLER.search(statement) or _NEEDS_PREVIOUS.search(statement):
            return None
        chain_sources = _cited_sources(statement, lexicon)
        # Who speaks is the subject of the reporting verb; with none, the person or state
        # the sentence opens with is who acted; else nobody but the outlet.
        speaker = said_by or _subject_actor(statement, lexicon) or named_doer(statement, lexicon)
        if speaker is None and _PRONOUN_OPENER.match(statement):
            return None  # "He insisted ..." with no one to be "he"
        outlet = article.outlet or (prefix.group("outlet") if prefix else None)
        chain = ([outlet] if outlet else []) + [s for s in chain_sources if s != outlet]
        actors = lexicon.known_actors(statement)
        if speaker and speaker not in actors and lexicon.is_person(speaker):
            actors.insert(0, speaker)
        attribution = _attribution(statement, chain_sources)
        claim_type = _claim_type(lexicon.without_names(statement), speaker, attribution)
        # Only a future cue just before a date makes it a plan's day: "will publish them"
        # late in a sentence does not move its "on Saturday" to next week.
        when = event_date(statement, article.published)
        salience = _salience(statement, actors, speaker, position, lexicon)
        return Claim(
            claim_id=claim_id(article.article_id, statement),
            article_id=article.article_id,
            statement=statement,
            speaker=speaker,
            actors=actors,
            reporting_chain=chain,
            attribution=attribution,
            claim_type=claim_type,
            event_date=when.date if when else None,
            date_precision=when.precision if when else None,
            event_date_source=when.source if when else None,
            evidence=[grounded.evidence],
            salience=salience,
        )


_OPENS_QUOTE = re.compile(r"^[\"“]")
_CLOSES_QUOTE = re.compile(r"[\"”]")


def _speakers(sentences: list[Sentence], lexicon: Lexicon) -> list[str | None]:
    """Who speaks in each sentence. A quotation running over several sentences is said by
    whoever the sentence that closes it names ('"We are ready. We will wait," she said.')."""
    people_before: list[str] = []  # named so far, latest last: whom "she said" means
    names_before: list[str] = []  # every proper name so far: what "the council said" means
    found: list[str | None] = []
    first_named: dict[str, int] = {}  # each person: the sentence that first names them
    for index, sentence in enumerate(sentences):
        prefix = dateline_prefix(sentence.text)
        text = sentence.text[prefix.end() :] if prefix else sentence.text
        speaker = speaker_of(text, lexicon, people_before, [s for s in found if s], names_before)
        found.append(speaker)
        for person in [*lexicon.known_actors(text), speaker or ""]:
            if person and lexicon.is_person(person):
                first_named.setdefault(person, index)
        named = [a for a in lexicon.known_actors(text) if lexicon.is_person(a)]
        # The person who spoke last is whom a following "she said" most often means, more
        # than a name merely mentioned in passing ("villages such as Stoke Vell").
        if speaker and lexicon.kind(speaker) in (None, "person") and lexicon.is_person(speaker):
            named = [a for a in named if a != speaker] + [speaker]
        people_before.extend(a for a in named if not people_before or people_before[-1] != a)
        names_before.extend(proper_names(text))
    _name_roles(found, first_named, lexicon)
    for index, sentence in enumerate(sentences):
        text = sentence.text
        if found[index] or not _OPENS_QUOTE.match(text):
            continue
        if _CLOSES_QUOTE.search(text[1:]):
            # A whole quotation with no one named: the speaker of the sentence just before
            # goes on ('Kell said ... . "Every parent should come to us."').
            if index and _QUOTE_ONLY.match(text) and found[index - 1]:
                found[index] = found[index - 1]
            continue
        for later in range(index + 1, min(index + MAX_QUOTED_SENTENCES, len(sentences))):
            if _CLOSES_QUOTE.search(sentences[later].text):
                found[index] = found[later]
                break
    return found


# A role named in a lead ("the province's health chief said") is the person a following
# sentence, at most this many on, first names as a speaker ('..." Dr Jane Roe said').
ROLE_LOOKAHEAD = 2
_NOT_ROLES = frozenset({"former", "opposition", "leaders"})


def _name_roles(found: list[str | None], first_named: dict[str, int], lexicon: Lexicon) -> None:
    """Replace a role speaker by the person news style names just after it, when that
    person speaks there and the article had named nobody else before."""
    for index, speaker in enumerate(found):
        if speaker is None or lexicon.is_person(speaker):
            continue
        head = speaker.split()[-1]
        # A role is written in lower case ("health chief", "spokesman"); "the Ministry of
        # Health" and "the council" are bodies, "the opposition" a side.
        if head not in lexicon.title_words or not head.islower() or head in _NOT_ROLES:
            continue
        if any(at < index for at in first_named.values()):
            continue  # someone was named before: the role may be theirs or another's
        for later in found[index + 1 : index + 1 + ROLE_LOOKAHEAD]:
            if later and lexicon.is_person(later):
                if first_named.get(later, index + 1) > index:
                    found[index] = later
                break


_QUOTE_ONLY = re.compile(r"^[\"“][^\"“”]+[\"”]\s*$")


# A quotation longer than this many sentences is not followed to its end.
MAX_QUOTED_SENTENCES = 6


def _sentence_evidence(article: Article, start: int, end: int, quote: str) -> GroundedQuote:
    """The sentence's own span, mapped to the raw text: grounded by construction, checked
    anyway, and searched for only if the map fails (it does not cross removed text)."""
    raw = article.raw_span(start, end)
    if raw is not None and article.raw_text[raw[0] : raw[1]] == quote:
        return GroundedQuote(Evidence(quote=quote, start=raw[0], end=raw[1]), "exact")
    return ground_quote(quote, article, near=start)


def content_words(text: str, lexicon: Lexicon | None = None) -> set[str]:
    """Lower-case words that carry meaning, with known actors folded to one spelling."""
    words = set(re.findall(r"[a-z][a-z'’-]{2,}", normalised_text(text).lower()))
    words -= _STOPWORDS
    return words | {actor.lower() for actor in (lexicon or active()).known_actors(text)}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _statement_from(quote: str) -> str:
    text = " ".join(quote.split())
    text = _DISCOURSE_OPENERS.sub("", text)
    return text[:1].upper() + text[1:]


def _cited_sources(statement: str, lexicon: Lexicon) -> list[str]:
    """The outlets and sources the sentence cites, outermost first ("The Times, citing
    anonymous sources"); who speaks is attribution.py's to say."""
    sources: list[str] = []

    def add(name: str) -> None:
        name = name.strip().strip("\"“”'").strip()
        name = re.sub(r"^(?:the|a|an)\s+(?=[A-Z])", "", name)
        if name and name not in sources and len(name.split()) <= 8:
            sources.append(name)

    outlets = lexicon.outlets_in(statement)
    for outlet in outlets:
        add(outlet)
    for pattern in (_ACCORDING_RE, _CITED_BY_RE, _CITING_RE, _REPORTED_RE):
        for match in pattern.finditer(statement):
            add(match.group("who"))
    for match in _source_phrases(lexicon).finditer(statement):
        add(match.group(0))
    sources.sort(key=lambda s: (s not in outlets, statement.find(s)))
    return [s for s in sources if not any(s != o and s in o for o in sources)]


_LEADING_CLAUSE = re.compile(
    r"^(?:Despite|Following|After|Before|While|Although|As|In|On|With|Amid|Meanwhile)\b[^,]{0,80},\s+"
)
SUBJECT_WORDS = 6


def _subject_actor(statement: str, lexicon: Lexicon) -> str | None:
    """Who acts, named where the sentence's subject stands: a person in its first words, or
    a state that is itself the subject ("Russia has warned", "Moscow, however, said"), not a
    state's name inside a longer one ("the United States Maritime Alliance") or used as an
    adjective ("US dockworkers")."""
    clause = _LEADING_CLAUSE.sub("", statement)
    head = " ".join(clause.split()[:SUBJECT_WORDS])
    actors = lexicon.known_actors(head)
    people = [a for a in actors if lexicon.kind(a) == "person"]
    if people:
        return people[0]
    for actor in actors:
        if lexicon.is_state(actor) and _STATE_AS_SUBJECT.match(lexicon.without_names(clause)):
            return actor
    return None


# The clause opens with a name (masked to X's) and then its verb or a comma.
_STATE_AS_SUBJECT = re.compile(
    r"^(?:[Tt]he\s+)?X[X ]*(?:,|\s+(?:has|have|had|is|was|were|will|would|said|says|\w+ed)\b)"
)


def _attribution(statement: str, sources: list[str]) -> Attribution:
    if _has(r"\bden(?:y|ies|ied)\b", statement):
        return "denied"
    if _has(r"\ballege\w*|\baccus\w+", statement):
        return "alleged"
    if sources or _has(r"\breported(?:ly)?\b|\baccording to\b|\btold\b", statement):
        return "reported"
    if _has(r"\bwill\b|\bplans? to\b|\bscheduled\b|\bintend\w*\b|\bexpected to\b", statement):
        return "planned"
    if _has(r"\b(?:could|may|might|potentially|possibl[ey])\b", statement):
        return "speculative"
    return "asserted"


def _claim_type(statement: str, speaker: str | None, attribution: Attribution) -> ClaimType:
    """The statement's type; names in it are already blanked (a name is not a position)."""
    if attribution == "planned":
        return "plan"
    if _COMMENTARY.search(statement):
        return "assessment"
    if _has(
        r"\b(?:support\w*|oppos\w+|reject\w*|willing\w*|stance|accept\w*|refus\w+|"
        r"declined|backs?|dismiss\w*|condemn\w*)\b",
        statement,
    ):
        return "position"
    if speaker and _SPEECH_RE.search(statement):
        return "statement"
    if re.search(r"\d", statement) or _has(r"\b(?:six|thousands|dozens)\b", statement):
        return "figure"
    return "event"


def _salience(
    statement: str, actors: list[str], speaker: str | None, position: int, lexicon: Lexicon
) -> float:
    score = 1.5 * min(len(actors), 3)
    topics = {m.group(0).lower() for m in lexicon.topic_regex.finditer(statement)}
    score += 1.0 * min(len(topics), 3)
    if speaker:
        score += 1.0
    if re.search(r"\d", statement):
        score += 1.0
    score += max(0.0, 2.0 - 0.25 * position)  # a news article leads with its news
    if _ANAPHORA.match(statement):
        score -= 3.0  # "This indicates..." is not self-contained
    if _COMMENTARY.search(statement):
        score -= 1.5
    if _BACKGROUND.search(statement):
        score -= 1.5
    return round(score, 3)
