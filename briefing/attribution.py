"""Who speaks in a sentence: the subject of its reporting verb, not any name in it.

"Hamas said Israel had violated the truce" is Hamas's statement about Israel; "Cases
rose to 146, the health department said on Monday" is the department's; '"The vaccine
is free," she said' is the person the article last named. The reporter and the outlet
are not the speaker. When the grammar gives no clear subject the answer is None: an
unattributed sentence is the outlet's own report, and a guessed speaker is worse than
none (it files one party's words under another's name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefing.lexicon import Lexicon

# Verbs that report speech or a stated position, in the past and present.
REPORTING_VERBS = (
    "said|says|say|stated|states|told|tells|warned|warns|claimed|claims|noted|notes|added|adds"
    "|insisted|insists|stressed|stresses|emphasi[sz]ed|reiterated|asked|announced|announces"
    "|declared|declares|argued|argues|wrote|writes|confirmed|confirms|denied|denies|accused"
    "|accuses|urged|urges|responded|replied|acknowledged|admitted|estimated|estimates"
    "|reported|reports|predicted|explained|explains|maintained|maintains|countered"
)
_VERB = rf"(?:{REPORTING_VERBS})"
# '"...," she said.' / '"...," Jane Roe, the health chief, told a news conference.'
_AFTER_QUOTE = re.compile(
    # a closing quote: after the quotation's own comma or full stop
    rf"(?<=[,.!?])[\"”’]\s*,?\s*(?P<who>[^,;\"“”]{{1,80}}?)(?:,\s+(?P<apposition>[^,;\"“”]{{2,80}}),)?"
    rf"\s+{_VERB}\b"
)
# "..., the health department said on Monday." / "..., their union said.": an
# attribution that closes the sentence names who speaks, whoever the sentence opens with
# ("The government denied the report, the opposition said").
_TRAILING = re.compile(
    rf",\s*(?P<who>[^,;\"“”]{{1,80}}?)\s+{_VERB}\b"
    r"(?:\s+(?:on|late|early|last|this|in|at|to|from)(?:\s+[\w.]+){1,3})?\s*[.!]?[\"”’]?$"
)
# "..., said the health department." / '..." said Jane Roe, the health chief.'
_TRAILING_INVERTED = re.compile(
    r"(?:,|[\"”’])\s*(?:said|says|added|adds|wrote|asked|noted)\s+(?P<who>[^,;\"“”]{2,80}?)"
    r"\s*(?:,[^,]{0,80})?[.!]?$"
)
# "The union said ...", "Jane Roe, the health chief, said ...".
_LEADING = re.compile(
    rf"^(?P<who>[^,;]{{2,80}}?)(?:,\s+(?P<apposition>[^,;\"“”]{{2,80}}),)?"
    rf"(?:\s+(?:has|have|had|also|again|later|previously|repeatedly|publicly|on\s+\w+day))*"
    rf"\s+{_VERB}\b"
)
_ACCORDING = re.compile(
    r"\baccording to (?:a statement (?:by|from) |figures from |data from )?(?P<who>[^,;.\"“”]{2,80}?)"
    r"(?=[,;.]|\s+(?:which|who|on|in)\b|$)"
    # "according to the group's chair, Jane Roe, the ...": the person in apposition speaks
    r"(?:,\s+(?P<apposition>[^,;.\"“”]{2,60}),)?",
    re.I,
)
_LEADING_CLAUSE = re.compile(
    r"^(?:(?:On|In|At|By|After|Before|Earlier|Later|Late|Meanwhile|However|Separately|Still"
    r"|Speaking|Asked|Despite|Following|Last|This|Overnight)\b[^,]{0,60},\s+)+"
)
_PRONOUNS = {"he", "she", "him", "her"}
# Capitalised words that open sentences without naming anyone.
_NON_NAME_OPENERS = frozenset(
    "About After Before During In On At By For From With Without Despite Following Some Many"
    " Most All Two Three Four Five Six Seven Eight Nine Ten Several Dozens Hundreds Thousands"
    " This That These Those It They He She We Our Their His Her Its".split()
)
_NOT_SPEAKERS = frozenset(
    "it this that these those they we i you there which who what one some many most all"
    " its their his her our".split()
)
# "the Gazette's calculations", "the ministry's figures": the owner speaks.
_OWNED_SOURCE = re.compile(
    r"^(?P<owner>.+?)['’]s\s+(?:own\s+)?(?:calculations?|count|tally|figures|data|estimates?"
    r"|analysis|reporting|statement|survey|records?|review)$",
    re.I,
)
_SUBORDINATE_START = re.compile(r"^\s*(?:as|while|when|after|because|since|though|where)\s", re.I)
_DOCUMENT_NOUNS = frozenset(
    "statement report study survey data figures letter post document release notice memo"
    " filing ruling order".split()
)
_CONJUNCTION = re.compile(r"^(?:and|but|as|while|when|after|because|since|though|so)\s+", re.I)
_SUBORDINATE = re.compile(r"\s+(?:as|while|when|after|because|since|though|where)\s+")
# "the ministry still officially maintains": the adverbs are not part of the name.
_TRAILING_ADVERBS = re.compile(r"(?:\s+(?:still|also|now|again|already|\w+ly))+$")
_CLAUSE_WORDS = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|could|should|to|up|an|that|which|be|been"
    r"|being|it|its)\b"
)
_DETERMINER = re.compile(r"^(?:the|a|an)\s+", re.I)
MAX_SPEAKER_WORDS = 8


def speaker_of(
    sentence: str,
    lexicon: Lexicon,
    people_before: Sequence[str] = (),
    speakers_before: Sequence[str] = (),
    names_before: Sequence[str] = (),
) -> str | None:
    """Who the sentence reports as speaking, or None. `people_before` are the people the
    article named before this sentence, latest last: "she said" is the latest of them.
    "The federation said" is the latest of `speakers_before`, then of `names_before` (the
    proper names the article used before), whose name ends in "federation"."""
    text = " ".join(sentence.split())
    body = _LEADING_CLAUSE.sub("", text)
    candidates: list[str] = []
    closing = _TRAILING.search(text)
    if closing:
        candidates.append(closing["who"])
    for pattern in (_AFTER_QUOTE, _LEADING, None, _TRAILING_INVERTED):
        if pattern is None:
            candidates.extend(_before_last_verb(text))
            continue
        matches = [pattern.match(body)] if pattern is _LEADING else pattern.finditer(text)
        for match in matches:
            if match is None:
                continue
            apposition = match.groupdict().get("apposition")
            # "The department's head, Dr Jane Roe, said": the person in apposition speaks.
            if apposition and _names_a_person(apposition, lexicon):
                candidates.append(apposition)
            candidates.append(match["who"])
    according = _ACCORDING.search(text)
    if according:
        if according["apposition"] and _names_a_person(according["apposition"], lexicon):
            candidates.append(according["apposition"])
        candidates.append(according["who"])
    for raw in candidates:
        who = _clean(raw, lexicon, people_before, speakers_before, names_before)
        if who:
            return who
    return None


_VERB_RE = re.compile(rf"\b{_VERB}\b")


def _before_last_verb(text: str) -> list[str]:
    """ "..., the first death reported in the outbreak, the state health service confirmed
    on Wednesday": the clause before the LAST reporting verb, back to its comma."""
    verbs = list(_VERB_RE.finditer(text))
    if not verbs:
        return []
    found = []
    for verb in reversed(verbs):
        comma = text.rfind(",", 0, verb.start())
        if comma == -1 or text.rfind('"', comma, verb.start()) != -1:
            continue
        clause = text[comma + 1 : verb.start()]
        if _SUBORDINATE_START.match(clause):
            continue  # "..., as officials urged calm": an aside, not the attribution
        found.append(clause)
    return found


def _clean(
    raw: str,
    lexicon: Lexicon,
    people_before: Sequence[str],
    speakers_before: Sequence[str] = (),
    names_before: Sequence[str] = (),
) -> str | None:
    who = _CONJUNCTION.sub("", re.sub(r"[\"“”]", "", raw).strip(" ,.:;'’"))
    who = _TRAILING_ADVERBS.sub("", who)
    # "Prices rose as traders said ...": the subject is the one after the last conjunction.
    who = _SUBORDINATE.split(who)[-1]
    owned = _OWNED_SOURCE.match(who)
    if owned:
        who = owned["owner"]
    lowered = who.lower()
    if lowered in _PRONOUNS:
        return people_before[-1] if people_before else None
    if not who or lowered.split()[0] in _NOT_SPEAKERS or len(who.split()) > MAX_SPEAKER_WORDS:
        return None
    # A clause, not a noun phrase: "cases rose to 146" before "officials said" is not a name,
    # nor is "the strike threatens to plug up an".
    if re.search(r"\d", who) or _CLAUSE_WORDS.search(" ".join(who.split()[1:])):
        return None
    generic = re.fullmatch(r"(?i:the|a|an)\s+(?P<noun>[a-z]+)", who)
    if generic:
        # "the department said": the department named (or heard) before, if one was.
        noun = generic["noun"].lower()
        earlier = [s for s in speakers_before if s.lower().split()[-1] == noun]
        if earlier:
            return earlier[-1]
        named = [n for n in names_before if n.lower().split()[-1] == noun]
        if named:
            return named[-1]
        # Unresolved, "the department" is still who spoke (vague, not wrong); "the
        # statement said" names a document, not who issued it.
        return None if noun in _DOCUMENT_NOUNS else noun
    person = _names_a_person(who, lexicon)
    if person:
        return person
    known = lexicon.known_actors(who)
    if known and len(who.split()) <= 2:
        return known[0]
    return _DETERMINER.sub("", who)


_PROPER_NAME = re.compile(r"\b[A-Z][\w'’.&-]*(?:\s+(?:of\s+|for\s+|and\s+)?[A-Z][\w'’.&-]*){1,5}")


def proper_names(text: str) -> list[str]:
    """Multi-word capitalised names in the order they appear ("Vell Valley Regional Council")."""
    return [m.group(0) for m in _PROPER_NAME.finditer(text)]


def _names_a_person(text: str, lexicon: Lexicon) -> str | None:
    """A person the text names; a known organisation is not one however its name looks."""
    named = lexicon.known_actors(text)
    people = [a for a in named if lexicon.kind(a) == "person"]
    people = people or [a for a in named if lexicon.kind(a) is None and lexicon.is_person(a)]
    return people[0] if people else None


# "The Vell Water Board has rejected ...", "The Regional Council ordered ...": with no
# reporting verb, a named subject before its verb is who acted.
_NAMED_DOER = re.compile(
    r"^(?P<who>(?:The\s+)?[A-Z][\w'’.&-]*(?:\s+(?:of|for|and|[A-Z][\w'’.&-]*)){0,6})"
    r"\s+(?:(?:has|have|had|was|were)\s+\w+|\w+ed|began|won|lost|kept|held|sent|made|took"
    r"|gave|set|cut|put|left|met|told|said)\b"
)


def named_doer(sentence: str, lexicon: Lexicon) -> str | None:
    """The named subject of a sentence's first verb, when the sentence opens with one."""
    match = _NAMED_DOER.match(" ".join(sentence.split()))
    if not match:
        return None
    who = re.sub(r"(?:\s+(?:of|for|and))+$", "", _DETERMINER.sub("", match["who"]).strip())
    words = who.split()
    if len(words) < 2 and lexicon.kind(who) is None:
        return None  # "Officials", "Residents": a capitalised word opening a sentence
    if words[0] in _NON_NAME_OPENERS:
        return None
    person = _names_a_person(who, lexicon)
    return person or who
