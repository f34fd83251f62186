"""The lexicon: names, aliases, parties, outlets and stance words, as data users extend.

The rules in offline/ and relations.py are mechanisms; what they know of the world is
here, read from the packaged `data/lexicon.toml` (general knowledge: states with their
demonyms and capitals, international organisations, outlets and wire agencies, title
words, stance and topic words) and from the user's files on top of it. The format is
documented at the head of that file.

People are not listed: `find_people` recognises them in the text itself (a capitalised
name after or before a title word, or before a reporting verb; a surname alone later in
the text is the full name seen earlier) and `Lexicon.with_entities` adds them for one
article or one set of findings. `find_labels` does the same for the names an article
gives in quotes (a group "dubbed the ‘coalition of the ready’").

Names only, never roles: who holds an office changes, and a brief must not assert it.

A run activates one lexicon with `use(load_lexicon(settings.lexicon_files))`; the
rules read it with `active()`, which defaults to the packaged file plus BRIEFING_LEXICON.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast
from weakref import WeakKeyDictionary

from briefing.errors import ConfigurationError
from briefing.patterns import literal_alternation

Kind = Literal["person", "state", "region", "organisation"]
KINDS: tuple[Kind, ...] = ("person", "state", "region", "organisation")
LEXICON_ENV = "BRIEFING_LEXICON"
PACKAGED = "lexicon.toml"
FORMAT_VERSION = 1
# Where names are looked for in a long text: people are introduced near the top.
MAX_PEOPLE_SCAN_CHARS = 200_000

# Capitalised words that open a sentence or a clause without being a name: English,
# not knowledge of any story.
_NON_NAME_WORDS = frozenset(
    """The A An This That These Those It Its He She His Her They Their We Our I You
    According However Meanwhile Despite Still Earlier Following Instead Previously
    Nevertheless Nonetheless Moreover Furthermore In On At During After Before While
    Although As With Amid Since Until For From By Of To And But Or If When Where Why How
    What Who Which Also Yet So Then Now Today Yesterday Tomorrow Last Next Mr Mrs Ms
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December
    Court Council Ministry Party Union Committee Department Agency Army Forces Force Navy
    Bank University House Parliament Senate Congress Assembly Commission Office Group
    Company Corporation Inc Ltd News Post Times Street Square Airport River Sea Ocean
    Island Islands Mountains War Cup League Summit Conference Treaty Act Plan Initiative
    Disclaimer Research Market Markets Trading Reports Images Media Related Content
    Comments Read Share""".split()
)
_SPEECH_VERBS = (
    r"said|says|stated|states|told|tells|warned|warns|claimed|claims|noted|notes|added|"
    r"insisted|emphasi[sz]ed|stressed|reiterated|asked|announced|declared|argued|wrote|"
    r"mentioned|confirmed|spoke|responded|indicated|acknowledged|questioned|echoed|"
    r"denied|urged|called|vowed|pledged|promised|replied|explained|admitted"
)
_NAME_WORD = r"[A-ZÀ-Þ][^\W\d_]+(?:-[^\W\d_]+|['’][A-ZÀ-Þ][^\W\d_]+)?"
_PARTICLE = r"(?:van|von|de|der|den|da|di|du|la|le|bin|ibn|al|el)"
_NAME_RUN = re.compile(rf"(?<![\w.’'-]){_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD})*")
_KNOWN_TOP_LEVEL = frozenset(
    "format entities aliases parties broad_actors title_words outlets wire_agencies "
    "stance topic_terms opposites negations hedges disputes".split()
)
_DISPUTE_KEYS = frozenset({"accuse", "deny", "deny_matters", "denials"})
_HEDGE_KEYS = frozenset({"markers", "kept_by"})
_ENTITY_KEYS = frozenset("kind spellings demonyms capitals party".split())


@dataclass(frozen=True)
class Entity:
    """One state, region, organisation or person, with every spelling that names it."""

    name: str
    kind: Kind = "organisation"
    spellings: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()
    capitals: tuple[str, ...] = ()
    party: str | None = None

    def all_spellings(self) -> tuple[str, ...]:
        """The name, its spellings, capitals and (for a state or person) demonyms."""
        names = [self.name, *self.spellings, *self.capitals]
        if self.kind != "region":
            names += [*self.demonyms, *(_plural(d) for d in self.demonyms)]
        return tuple(dict.fromkeys(n for n in names if n))


def _alternation(spellings: Iterable[str]) -> re.Pattern[str]:
    alternation = literal_alternation(spellings)
    if not alternation:
        return re.compile(r"(?!x)x")
    # "German-language" names no state: a hyphen after a name makes it an adjective.
    return re.compile(r"(?<![\w.])(?:" + alternation + r")(?![\w-])")


@lru_cache(maxsize=4096)
def _added_alternation(spellings: tuple[str, ...]) -> re.Pattern[str]:
    """`_alternation` of the names a text adds: the articles of one story name the same
    people again and again, and compiling a pattern costs more than reading an article."""
    return _alternation(spellings)


# Texts whose known actors one lexicon remembers (see Lexicon.known_actors).
KNOWN_ACTORS_MEMO_SIZE = 4096

# Compiled once per lexicon file set, whatever entities a text adds (see with_entities).
_ENTITY_FREE_PATTERNS = (
    "_all_outlets",
    "_outlet_regex",
    "_canonical_outlets",
    "positive_regex",
    "negative_regex",
    "topic_regex",
    "accuse_regex",
    "deny_regex",
    "denial_regex",
    "opposite_regexes",
    "title_regex",
)


def _plural(demonym: str) -> str:
    # "Americans", "Israelis"; "French" and "Chinese" have no plural form of their own.
    return demonym + "s" if demonym.endswith(("an", "i", "on")) else ""


@dataclass(frozen=True, eq=False)
class Lexicon:
    """What the offline rules know: entities, outlets, title, stance and topic words.

    Immutable; the compiled patterns are made once per lexicon.
    """

    entities: Mapping[str, Entity] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)  # spelling -> entity name
    broad_actors: frozenset[str] = frozenset()
    title_words: frozenset[str] = frozenset()
    outlets: tuple[str, ...] = ()
    wire_agencies: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    topic_terms: tuple[str, ...] = ()
    # States that exclude each other, as "lift*|in force": one side says the first of a
    # matter, the other the second ("the order was lifted" / "the order remains in force").
    opposites: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    # Words that soften a statement, by kind: kind -> (markers, kept_by).
    hedges: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    # Words of a dispute: one side accuses another ("accus*" + the party accused), the other
    # denies it ("deni*" + one of deny_matters: "denied any involvement"), or says a denial
    # complete in itself ("nothing to do with").
    accuse: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    deny_matters: tuple[str, ...] = ()
    denials: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # where it was read from, for messages
    # The lexicon this one adds a text's own entities to (see with_entities): its compiled
    # patterns serve this one too, and only the added spellings are compiled again, so that
    # reading an article does not recompile an alternation of every name in the lexicon.
    extends: Lexicon | None = field(default=None, repr=False)

    # -- entities ---------------------------------------------------------------------

    @cached_property
    def _canonical_of(self) -> dict[str, str]:
        # People last: a person's spelling wins over an organisation's.
        order = sorted(self.entities.values(), key=lambda e: e.kind == "person")
        canonical = {s: e.name for e in order for s in e.all_spellings()}
        canonical.update({a: n for a, n in self.aliases.items() if n in self.entities})
        return canonical

    @cached_property
    def _alias_regexes(self) -> tuple[re.Pattern[str], ...]:
        """Alternations of every spelling, longest first ("Donald Duck" before "Duck"): the
        extended lexicon's, then one of the spellings added to it."""
        if self.extends is None:
            return (_alternation(self._canonical_of),)
        inherited = self.extends._canonical_of
        added = tuple(sorted(s for s in self._canonical_of if s not in inherited))
        return (*self.extends._alias_regexes, _added_alternation(added))

    def _alias_matches(self, text: str) -> list[re.Match[str]]:
        """Spellings in the text as one alternation of them all would find them: leftmost
        first, the longest at one place, none overlapping another."""
        regexes = self._alias_regexes
        if len(regexes) == 1:
            return list(regexes[0].finditer(text))
        found = sorted(
            (m for regex in regexes for m in regex.finditer(text)),
            key=lambda m: (m.start(), -len(m.group(0))),
        )
        kept: list[re.Match[str]] = []
        for match in found:
            if not kept or match.start() >= kept[-1].end():
                kept.append(match)
        return kept

    @cached_property
    def _all_outlets(self) -> tuple[str, ...]:
        return tuple(sorted({*self.outlets, *self.wire_agencies}, key=lambda o: (-len(o), o)))

    @cached_property
    def _outlet_regex(self) -> re.Pattern[str]:
        if not self._all_outlets:
            return re.compile(r"(?!x)x")
        return re.compile(r"(?<!\w)(?:" + literal_alternation(self._all_outlets) + r")(?!\w)")

    def known_actors(self, text: str) -> list[str]:
        """Canonical names of entities mentioned in the text, in order of first mention."""
        # The rules ask this of one sentence several times (its speaker, its actors, its
        # words): each lexicon remembers its last answers (a text's own lexicon lives for
        # that text; the root one is bounded).
        memo = self._known_actors_memo
        if text not in memo:
            if len(memo) >= KNOWN_ACTORS_MEMO_SIZE:
                memo.clear()
            memo[text] = self._find_known_actors(text)
        return list(memo[text])

    @cached_property
    def _known_actors_memo(self) -> dict[str, tuple[str, ...]]:
        return {}

    def _find_known_actors(self, text: str) -> tuple[str, ...]:
        # "The Washington Post" is an outlet, not the United States: blank outlets out first.
        masked = self._outlet_regex.sub(lambda m: " " * len(m.group(0)), text)
        found: dict[str, None] = {}
        for match in self._alias_matches(masked):
            name = self._canonical_of[match.group(0)]
            if self._inside_another_name(masked, match, name):
                continue
            found.setdefault(name, None)
        return tuple(found)

    def _inside_another_name(self, text: str, match: re.Match[str], name: str) -> bool:
        """A person's surname alone ("Vell") inside a longer proper name ("River Vell",
        "Vell Valley Red Cross") is not that person."""
        spelling = match.group(0)
        if spelling == name or " " in spelling or self.kind(name) != "person":
            return False
        after = re.match(r"\s+([A-Z][\w'’-]*)", text[match.end() : match.end() + 40])
        before = re.search(
            r"([A-Z][\w'’.-]*)\s+$", text[max(0, match.start() - 40) : match.start()]
        )
        titled = before is not None and before.group(1).rstrip(".") in self.title_words
        return after is not None or (before is not None and not titled)

    def kind(self, name: str) -> Kind | None:
        entity = self.entities.get(self._canonical_of.get(name, name))
        return entity.kind if entity else None

    def is_person(self, name: str) -> bool:
        """A person of the lexicon, or a name shaped like one ("Jane Roe", not "The Times")."""
        return self.kind(name) == "person" or self.looks_like_name(name)

    def is_state(self, name: str) -> bool:
        """A state, or an institution that stands for one (the party map's "Kremlin")."""
        return self.kind(name) == "state" or self.kind(self.party(name)) == "state"

    def party(self, actor: str) -> str:
        """The side an actor speaks for: its party if the lexicon gives one, else itself."""
        entity = self.entities.get(self._canonical_of.get(actor, actor))
        return entity.party if entity and entity.party else actor

    def is_broad(self, actor: str) -> bool:
        return actor in self.broad_actors

    @cached_property
    def demonyms(self) -> tuple[str, ...]:
        """Adjectives naming a state or region: "French", "U.S.", "European"."""
        names = {d for e in self.entities.values() for d in e.demonyms}
        return tuple(sorted(names, key=lambda n: (-len(n), n)))

    @cached_property
    def _name_words(self) -> frozenset[str]:
        """Words that are never part of a person's name: titles, known names, outlets."""
        words = set(_NON_NAME_WORDS) | set(self.title_words)
        for spelling in (*self._canonical_of, *self._all_outlets):
            if self.kind(self._canonical_of.get(spelling, "")) != "person":
                words.update(spelling.split())
        return frozenset(words)

    def is_name_word(self, word: str) -> bool:
        """A capitalised word that may be part of a person's name."""
        word = re.sub(r"['’]s$", "", word)
        return bool(re.fullmatch(_NAME_WORD, word)) and word not in self._name_words

    def looks_like_name(self, name: str) -> bool:
        """Two to four capitalised name words, none of them a title or a known name."""
        words = [w for w in name.split() if not re.fullmatch(_PARTICLE, w)]
        return 2 <= len(words) <= 4 and all(self.is_name_word(w) for w in words)

    def with_entities(self, found: Iterable[Entity]) -> Lexicon:
        """This lexicon and the entities found in a text; the lexicon's own entries win."""
        added = {e.name: e for e in found if e.name not in self.entities}
        if not added:
            return self
        root = self.extends or self
        extended = replace(self, entities={**self.entities, **added}, extends=root)
        # Patterns that do not read the entities are the root's, already compiled.
        for name in _ENTITY_FREE_PATTERNS:
            if name in root.__dict__:
                extended.__dict__[name] = root.__dict__[name]
        return extended

    # -- outlets ----------------------------------------------------------------------

    @cached_property
    def _canonical_outlets(self) -> frozenset[str]:
        return frozenset(canonical_outlet(o) for o in self._all_outlets)

    def is_outlet(self, name: str) -> bool:
        return canonical_outlet(name) in self._canonical_outlets

    def outlets_in(self, text: str) -> list[str]:
        """Outlets the text names, longest first; "Times" is not listed inside "Financial Times"."""
        found: list[str] = []
        for outlet in self._all_outlets:
            if (
                outlet in text
                and re.search(r"(?<!\w)\"?" + re.escape(outlet) + r"\"?(?!\w)", text)
                and not any(outlet in longer for longer in found)
            ):
                found.append(outlet)
        return found

    # -- words ------------------------------------------------------------------------

    @cached_property
    def positive_regex(self) -> re.Pattern[str]:
        return _word_regex(self.positive)

    @cached_property
    def negative_regex(self) -> re.Pattern[str]:
        return _word_regex(self.negative)

    @cached_property
    def topic_regex(self) -> re.Pattern[str]:
        return _word_regex(self.topic_terms)

    @cached_property
    def opposite_regexes(self) -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
        pairs = (entry.split("|", 1) for entry in self.opposites if "|" in entry)
        return tuple((_word_regex([a.strip()]), _word_regex([b.strip()])) for a, b in pairs)

    @cached_property
    def accuse_regex(self) -> re.Pattern[str]:
        return _word_regex(self.accuse)

    @cached_property
    def deny_regex(self) -> re.Pattern[str]:
        return _word_regex(self.deny)

    @cached_property
    def denial_regex(self) -> re.Pattern[str]:
        """A denial word before what it denies ("denied any involvement"), or a phrase
        that denies by itself ("has nothing to do with")."""
        deny, matters = _word_regex(self.deny).pattern, _word_regex(self.deny_matters).pattern
        whole = _word_regex(self.denials).pattern
        if not self.deny or not self.deny_matters:
            return re.compile(whole, re.I)
        return re.compile(rf"{deny}(?:\s+[\w'’-]+){{0,3}}?\s+{matters}|{whole}", re.I)

    @cached_property
    def negation_regex(self) -> re.Pattern[str]:
        """The negation words, and "n't" at the end of a word ("didn't", "won’t")."""
        words = _word_regex(self.negations).pattern
        return re.compile(words + r"|n['’]t\b", re.I)

    @cached_property
    def hedge_regexes(self) -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
        """(kind, its markers, every word that keeps it: markers and kept_by)."""
        return tuple(
            (kind, _word_regex(markers), _word_regex((*markers, *kept_by)))
            for kind, (markers, kept_by) in self.hedges.items()
        )

    @cached_property
    def title_regex(self) -> re.Pattern[str]:
        return _word_regex(tuple(self.title_words), ignore_case=False)

    def without_names(self, text: str) -> str:
        """The text with entity names and quoted labels blanked: their words are not stance."""
        text = _QUOTED_LABEL.sub(_blank_label, text)
        for match in reversed(self._alias_matches(text)):
            blank = "X" + " " * (len(match.group(0)) - 1)
            text = text[: match.start()] + blank + text[match.end() :]
        return text

    @cached_property
    def fingerprint(self) -> str:
        """Changes when anything the rules read changes: part of a cache key."""
        data = json.dumps(
            [
                sorted(
                    (e.name, e.kind, e.all_spellings(), e.party) for e in self.entities.values()
                ),
                sorted(self.aliases.items()),
                sorted(self.broad_actors),
                sorted(self.title_words),
                self._all_outlets,
                self.positive,
                self.negative,
                self.topic_terms,
                self.opposites,
                self.negations,
                sorted(self.hedges.items()),
                [self.accuse, self.deny, self.deny_matters, self.denials],
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(data.encode()).hexdigest()[:12]


# A short quoted phrase after an article or "dubbed" names something: the "‘coalition of
# the ready,’" is a name, not a stance.
_QUOTED_LABEL = re.compile(
    r"\b(?:the|an?|dubbed|so-called|called|named)\s+([\"“‘'][^\"“”‘’']{1,60}[\"”’'])", re.I
)
MAX_LABEL_WORDS = 6


def _blank_label(match: re.Match[str]) -> str:
    label = match.group(1)
    if len(label.split()) > MAX_LABEL_WORDS:
        return match.group(0)
    return match.group(0)[: match.start(1) - match.start()] + " " * len(label)


def _word_regex(words: Sequence[str], ignore_case: bool = True) -> re.Pattern[str]:
    """ "support*" is a prefix, "ready" a word, "security guarantee*" a phrase."""
    parts = sorted(
        (
            re.escape(w[:-1]).replace(r"\ ", r"\s+") + r"\w*"
            if w.endswith("*")
            else re.escape(w).replace(r"\ ", r"\s+")
            for w in words
        ),
        key=len,
        reverse=True,
    )
    if not parts:
        return re.compile(r"(?!x)x")
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.I if ignore_case else 0)


@lru_cache(maxsize=8192)  # called per claim when counting origins
def canonical_outlet(name: str) -> str:
    """ "The Times", "Times" and '"Times,"' are one outlet; so are "NBC News" and "NBC"."""
    name = re.sub(r"[\"“”'‘’,.]", "", name).strip()
    name = re.sub(r"^(?:the|British|American|US)\s+", "", name, flags=re.I)
    name = re.sub(r"(?<=\S)\s+news$", "", name, flags=re.I)
    return name.lower()


# -- people found in the text ----------------------------------------------------------


_LABEL = re.compile(
    r"\b(?:the|dubbed|so-called|called|named|known as)\s+[\"“‘']"
    r"(?P<label>[^\"“”‘’'.,;:!?]{3,60})[.,]?[\"”’']",
    re.I,
)
MIN_LABEL_WORDS, MAX_LABEL_WORDS = 2, 6


def find_labels(text: str, lexicon: Lexicon) -> list[Entity]:
    """Names the text gives in quotes: a group "dubbed the ‘coalition of the ready’".

    Each becomes an organisation, spelled as quoted and with its first letter in either
    case, so that a later unquoted mention is the same actor (and never read as a stance).
    """
    text = text[:MAX_PEOPLE_SCAN_CHARS]
    found: dict[str, Entity] = {}
    for match in _LABEL.finditer(text):
        label = " ".join(match.group("label").split())
        if not (MIN_LABEL_WORDS <= len(label.split()) <= MAX_LABEL_WORDS):
            continue
        if lexicon.kind(label) is not None or lexicon.is_outlet(label):
            continue
        name = label[:1].lower() + label[1:] if label[1:2].islower() else label
        if name.lower() not in {n.lower() for n in found}:
            found[name] = Entity(name, "organisation", (name[:1].upper() + name[1:],))
    return list(found.values())


_TOKEN = re.compile(r"\S+")
_RUN_SPACE = re.compile(r"[ \t]")
_PARTICLE_RE = re.compile(_PARTICLE)
_POSSESSIVE = re.compile(r"['’]s$")
_NAME_WORD_RE = re.compile(_NAME_WORD)
_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")
_SPEAKS = re.compile(rf"\s+(?:has\s+|had\s+|also\s+)?(?:{_SPEECH_VERBS})\b")


@dataclass
class _Judged:
    """What find_people has learnt from one lexicon, kept while the lexicon lives: a corpus
    repeats its names and role phrases from article to article."""

    name_words: dict[str, bool] = field(default_factory=dict)  # word -> may be in a name
    states: dict[str, str | None] = field(default_factory=dict)  # role phrase -> its state

    # Past this many entries (a corpus of tens of thousands of names) a table starts again.
    MAX_ENTRIES = 200_000


_judged: WeakKeyDictionary[Lexicon, _Judged] = WeakKeyDictionary()


def _judged_by(lexicon: Lexicon) -> _Judged:
    judged = _judged.get(lexicon)
    if judged is None:
        judged = _judged[lexicon] = _Judged()
    for table in (judged.name_words, judged.states):
        if len(table) > _Judged.MAX_ENTRIES:
            table.clear()
    return judged


def find_people(text: str, lexicon: Lexicon) -> list[Entity]:
    """People the text names: full names with a title before or after them, or before a
    reporting verb, or whose surname recurs alone. Each has its surname as a spelling
    and, if the role phrase names a state ("French President Jane Roe"), that party."""
    text = text[:MAX_PEOPLE_SCAN_CHARS]
    candidates: list[tuple[str, int, int]] = []
    in_name = _judged_by(lexicon).name_words
    for run in _NAME_RUN.finditer(text):
        if not _RUN_SPACE.search(run.group(0)):
            continue  # one word: no full name ("Monday", "The")
        segment: list[re.Match[str]] = []
        for word in [*_TOKEN.finditer(run.group(0)), None]:
            if word is not None:
                token = word.group(0)
                may_be_name = in_name.get(token)
                if may_be_name is None:
                    may_be_name = lexicon.is_name_word(token) or bool(_PARTICLE_RE.fullmatch(token))
                    in_name[token] = may_be_name
                if may_be_name:
                    segment.append(word)
                    if not _POSSESSIVE.search(token):
                        continue
                    # a possessive ends the name: "Jane Roe’s plan"
            if not segment:
                continue
            names = [w for w in segment if not _PARTICLE_RE.fullmatch(w.group(0))]
            if 2 <= len(names) <= 4:
                start, end = run.start() + names[0].start(), run.start() + names[-1].end()
                full = _POSSESSIVE.sub("", text[start:end])
                candidates.append((" ".join(full.split()), start, end))
            segment = []
    words = Counter(_NAME_WORD_RE.findall(text))
    lower_words = set(_LOWER_WORD.findall(text))
    # How often a full name ends with each surname.
    ending_with: Counter[str] = Counter()
    for full, count in Counter(name for name, _, _ in candidates).items():
        ending_with[full.split()[-1]] += count
    people: dict[str, Entity] = {}
    for name, start, end in candidates:
        if name in people and people[name].party:
            continue
        surname = name.split()[-1]
        # A "surname" the text also writes in lower case is a common noun ("Residents").
        recurs = words[surname] > ending_with[surname] and surname.lower() not in lower_words
        if not (
            recurs
            or _SPEAKS.match(text, end)
            or _titled_before(text, start, lexicon)
            or _titled_after(text, end, lexicon)
        ):
            continue
        party = _affiliation(text, start, end, lexicon)
        previous = people.get(name)
        spellings = (surname,) if lexicon.kind(surname) is None else ()
        people[name] = Entity(
            name, "person", spellings, party=party or (previous.party if previous else None)
        )
    return list(people.values())


# Where the words before a name stop describing it: a clause break, a full stop after a
# lower-case word ("U.S. President" goes on), a dash.
_ROLE_BREAK = re.compile(r"[;:!?()\n]|(?<![A-Z])\.\s|\s[–—-]\s|—")
_TRAILING_PUNCTUATION = re.compile(r"[,’']+$")
_OF_PLACE = re.compile(r"\bof\s+(?:the\s+)?[A-Z][\w .’']{0,40},$")
_APPOSITIVE = re.compile(r",\s+([^,.;]{1,60})")
_RELATIVE = re.compile(r"(?:who|whose|which|that|where|when)\b")


def _role_before(text: str, start: int, lexicon: Lexicon) -> str:
    """The words before a name that describe its role: "the President of France,"."""
    before = _ROLE_BREAK.split(text[max(0, start - 80) : start])[-1]
    kept: list[str] = []
    for word in reversed(before.split()):
        bare = word.strip(",’'\"“”")
        if not (
            bare[:1].isupper()
            or lexicon.title_regex.fullmatch(bare)
            or bare in ("of", "the", "former", "then", "acting")
        ):
            break
        kept.insert(0, word)
    return " ".join(kept[-7:])


def _titled_before(text: str, start: int, lexicon: Lexicon) -> bool:
    role = _role_before(text, start, lexicon)
    # "Defence Minister Jane Roe", "Minister, Jane Roe", "the President of France, Jane Roe"
    last = _TRAILING_PUNCTUATION.sub("", role.split()[-1]) if role.split() else ""
    if lexicon.title_regex.fullmatch(last):
        return True
    return bool(_OF_PLACE.search(role)) and bool(lexicon.title_regex.search(role))


def _titled_after(text: str, end: int, lexicon: Lexicon) -> bool:
    # "Jane Roe, Secretary of the Council," or "Jane Roe, the defence minister,"
    after = _appositive(text, end)
    return bool(after and lexicon.title_regex.search(after))


def _appositive(text: str, end: int) -> str | None:
    """The words between commas after a name, unless they open a relative clause."""
    after = _APPOSITIVE.match(text[end : end + 80])
    if not after or _RELATIVE.match(after.group(1)):
        return None
    return " ".join(after.group(1).split()[:5])


_UNREAD = "\0unread"  # a role phrase not yet looked up (None: it names no state)


def _affiliation(text: str, start: int, end: int, lexicon: Lexicon) -> str | None:
    """The state a role phrase around the name names: "French President", "of France,"."""
    after = _appositive(text, end)
    phrases = [_role_before(text, start, lexicon)]
    if after and lexicon.title_regex.search(after):
        phrases.append(after)
    states = _judged_by(lexicon).states
    for phrase in phrases:
        state = states.get(phrase, _UNREAD)
        if state is _UNREAD:
            named = [
                lexicon.party(a)
                for a in lexicon.known_actors(phrase)
                if lexicon.is_state(a) and lexicon.kind(a) != "person"
            ]
            state = states[phrase] = named[-1] if named else None
        if state is not None:
            return state
    return None


# -- reading files ---------------------------------------------------------------------


def _strings(value: object, where: str, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"lexicon {path}: {where} must be a list of strings")
    return tuple(cast(list[str], value))


def _table(value: object, where: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"lexicon {path}: {where} must be a table")
    return cast(dict[str, Any], value)


def _more(
    spec: dict[str, Any], key: str, have: tuple[str, ...], where: str, path: str
) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*have, *_strings(spec.get(key, []), f"{where}.{key}", path)]))


def _merge(lexicon: Lexicon, data: dict[str, Any], path: str) -> Lexicon:
    """The lexicon with one file's data added; an error names the file and the field."""
    unknown = sorted(set(data) - _KNOWN_TOP_LEVEL)
    if unknown:
        raise ConfigurationError(
            f"lexicon {path}: unknown field {unknown[0]!r}"
            f" (expected one of {', '.join(sorted(_KNOWN_TOP_LEVEL))})"
        )
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        raise ConfigurationError(
            f"lexicon {path}: format must be {FORMAT_VERSION}, not {data['format']!r}"
        )
    entities = dict(lexicon.entities)
    for name, spec in _table(data.get("entities", {}), "entities", path).items():
        where = f"entities.{name}"
        spec = _table(spec, where, path)
        extra = sorted(set(spec) - _ENTITY_KEYS)
        if extra:
            raise ConfigurationError(f"lexicon {path}: {where}.{extra[0]} is not a known field")
        old = entities.get(name, Entity(name))
        kind = spec.get("kind", old.kind)
        if kind not in KINDS:
            raise ConfigurationError(
                f"lexicon {path}: {where}.kind must be one of {', '.join(KINDS)}, not {kind!r}"
            )
        party = spec.get("party", old.party)
        if party is not None and not isinstance(party, str):
            raise ConfigurationError(f"lexicon {path}: {where}.party must be a string")

        entities[name] = Entity(
            name,
            cast(Kind, kind),
            _more(spec, "spellings", old.spellings, where, path),
            _more(spec, "demonyms", old.demonyms, where, path),
            _more(spec, "capitals", old.capitals, where, path),
            party,
        )
    for name, party in _table(data.get("parties", {}), "parties", path).items():
        if not isinstance(party, str):
            raise ConfigurationError(f"lexicon {path}: parties.{name} must be a string")
        entities[name] = replace(entities.get(name, Entity(name)), party=party)
    aliases = dict(lexicon.aliases)
    for spelling, name in _table(data.get("aliases", {}), "aliases", path).items():
        if not isinstance(name, str) or name not in entities:
            raise ConfigurationError(
                f"lexicon {path}: aliases.{spelling} must name an entity, not {name!r}"
            )
        aliases[spelling] = name
    stance = _table(data.get("stance", {}), "stance", path)
    extra = sorted(set(stance) - {"positive", "negative"})
    if extra:
        raise ConfigurationError(f"lexicon {path}: stance.{extra[0]} is not a known field")

    def add(have: Iterable[str], key: str, value: object) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*have, *_strings(value, key, path)]))

    disputes = _table(data.get("disputes", {}), "disputes", path)
    extra = sorted(set(disputes) - _DISPUTE_KEYS)
    if extra:
        raise ConfigurationError(f"lexicon {path}: disputes.{extra[0]} is not a known field")

    hedges = dict(lexicon.hedges)
    for kind, spec in _table(data.get("hedges", {}), "hedges", path).items():
        where = f"hedges.{kind}"
        spec = _table(spec, where, path)
        extra = sorted(set(spec) - _HEDGE_KEYS)
        if extra:
            raise ConfigurationError(f"lexicon {path}: {where}.{extra[0]} is not a known field")
        markers, kept_by = hedges.get(kind, ((), ()))
        hedges[kind] = (
            _more(spec, "markers", markers, where, path),
            _more(spec, "kept_by", kept_by, where, path),
        )

    return Lexicon(
        entities=entities,
        aliases=aliases,
        broad_actors=frozenset(
            add(lexicon.broad_actors, "broad_actors", data.get("broad_actors", []))
        ),
        title_words=frozenset(add(lexicon.title_words, "title_words", data.get("title_words", []))),
        outlets=add(lexicon.outlets, "outlets", data.get("outlets", [])),
        wire_agencies=add(lexicon.wire_agencies, "wire_agencies", data.get("wire_agencies", [])),
        positive=add(lexicon.positive, "stance.positive", stance.get("positive", [])),
        negative=add(lexicon.negative, "stance.negative", stance.get("negative", [])),
        topic_terms=add(lexicon.topic_terms, "topic_terms", data.get("topic_terms", [])),
        opposites=add(lexicon.opposites, "opposites", data.get("opposites", [])),
        negations=add(lexicon.negations, "negations", data.get("negations", [])),
        hedges=hedges,
        accuse=add(lexicon.accuse, "disputes.accuse", disputes.get("accuse", [])),
        deny=add(lexicon.deny, "disputes.deny", disputes.get("deny", [])),
        deny_matters=add(
            lexicon.deny_matters, "disputes.deny_matters", disputes.get("deny_matters", [])
        ),
        denials=add(lexicon.denials, "disputes.denials", disputes.get("denials", [])),
        files=(*lexicon.files, path),
    )


def _parse(text: str, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"lexicon {path}: not valid TOML: {error}") from None


def env_files() -> tuple[Path, ...]:
    """The files BRIEFING_LEXICON names, separated by os.pathsep."""
    value = os.environ.get(LEXICON_ENV, "")
    return tuple(Path(p).expanduser() for p in value.split(os.pathsep) if p.strip())


def load_lexicon(extra_files: Sequence[Path] = (), *, environment: bool = True) -> Lexicon:
    """The packaged lexicon, then BRIEFING_LEXICON's files, then `extra_files`, merged."""
    packaged = resources.files("briefing").joinpath("data", PACKAGED)
    lexicon = _merge(Lexicon(), _parse(packaged.read_text("utf-8"), PACKAGED), PACKAGED)
    for path in (*(env_files() if environment else ()), *extra_files):
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigurationError(
                f"lexicon {path}: cannot be read ({error.__class__.__name__}: {error})"
            ) from None
        lexicon = _merge(lexicon, _parse(text, str(path)), str(path))
    return lexicon


# -- the active lexicon ----------------------------------------------------------------

_ACTIVE: ContextVar[Lexicon | None] = ContextVar("briefing_lexicon", default=None)
_DEFAULTS: dict[str, Lexicon] = {}


def use(lexicon: Lexicon) -> Token[Lexicon | None]:
    """Make `lexicon` the one the rules read, in this context (one run, one task)."""
    return _ACTIVE.set(lexicon)


@contextmanager
def using(lexicon: Lexicon) -> Iterator[Lexicon]:
    """`use` for a block: the lexicon before it is restored after."""
    token = _ACTIVE.set(lexicon)
    try:
        yield lexicon
    finally:
        _ACTIVE.reset(token)


def active() -> Lexicon:
    """The lexicon set by `use`, else the packaged one plus BRIEFING_LEXICON's files."""
    chosen = _ACTIVE.get()
    if chosen is not None:
        return chosen
    key = os.environ.get(LEXICON_ENV, "")
    if key not in _DEFAULTS:
        _DEFAULTS[key] = load_lexicon()
    return _DEFAULTS[key]
