"""A small gazetteer of states, organisations and people, for the offline extractor.

Names only, never roles: who holds an office changes, and a brief must not assert it.
Each canonical name maps to the spellings that refer to it.
"""

from __future__ import annotations

import re
from functools import cache

STATES: dict[str, tuple[str, ...]] = {
    "United States": ("United States", "U.S.", "US", "USA", "Washington", "American", "Americans"),
    "United Kingdom": ("United Kingdom", "UK", "U.K.", "Britain", "British", "London"),
    "France": ("France", "French", "Paris"),
    "Germany": ("Germany", "German", "Berlin"),
    "Italy": ("Italy", "Italian"),
    "Spain": ("Spain", "Spanish"),
    "Poland": ("Poland", "Polish", "Warsaw"),
    "Russia": ("Russia", "Russian", "Moscow"),
    "Ukraine": ("Ukraine", "Ukrainian", "Kyiv", "Kiev"),
    "Netherlands": ("Netherlands", "Dutch"),
    "Sweden": ("Sweden", "Swedish", "Stockholm"),
    "Denmark": ("Denmark", "Danish"),
    "Switzerland": ("Switzerland", "Swiss"),
    "Estonia": ("Estonia",),
    "Latvia": ("Latvia",),
    "Lithuania": ("Lithuania",),
    "Baltic states": ("Baltic states", "Baltics"),
    "Turkey": ("Turkey", "Türkiye"),
    "Japan": ("Japan",),
    "Australia": ("Australia",),
    "New Zealand": ("New Zealand",),
    "China": ("China", "Chinese", "Beijing"),
    "Israel": ("Israel", "Israeli"),
    "Canada": ("Canada", "Canadian"),
    "Europe": ("Europe", "European countries", "European nations", "Europeans"),
}

ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "NATO": ("NATO",),
    "European Union": ("European Union", "EU"),
    "United Nations": ("United Nations", "UN"),
    "Kremlin": ("Kremlin",),
    "coalition of the willing": ("coalition of the willing",),
    "Ministry of Defence": ("Ministry of Defence", "Ministry of Defense"),
    "National Security Council": ("National Security Council",),
}

PEOPLE: dict[str, tuple[str, ...]] = {
    "Donald Trump": ("Donald Trump", "Trump"),
    "Emmanuel Macron": ("Emmanuel Macron", "Macron"),
    "Keir Starmer": ("Keir Starmer", "Starmer"),
    "Vladimir Putin": ("Vladimir Putin", "Putin"),
    "Volodymyr Zelensky": ("Volodymyr Zelensky", "Zelensky", "Zelenskyy"),
    "John Healey": ("John Healey", "Healey"),
    "Sergey Shoigu": ("Sergey Shoigu", "Sergei Shoigu", "Shoigu"),
    "Dmitry Medvedev": ("Dmitry Medvedev", "Medvedev"),
    "Ruben Brekelmans": ("Ruben Brekelmans", "Brekelmans"),
    "Pal Jonson": ("Pal Jonson", "Pål Jonson", "Jonson"),
    "Pope Francis": ("Pope Francis",),
    "Olaf Scholz": ("Olaf Scholz", "Scholz"),
    "Friedrich Merz": ("Friedrich Merz", "Merz"),
    "Mark Rutte": ("Mark Rutte", "Rutte"),
}

# News outlets and wire services that appear as sources in reporting chains.
OUTLETS: tuple[str, ...] = (
    "The Times",
    "Times",
    "The Telegraph",
    "Telegraph",
    "Financial Times",
    "The Washington Post",
    "Washington Post",
    "AFP",
    "Reuters",
    "Associated Press",
    "AP",
    "Bloomberg",
    "BBC",
    "CNN",
    "The Guardian",
    "Guardian",
    "The New York Times",
    "New York Times",
    "Politico",
    "Axios",
    "The Wall Street Journal",
    "Wall Street Journal",
    "TASS",
    "RIA Novosti",
    "Interfax",
    "MENAFN",
    "Le Monde",
    "Der Spiegel",
    "Ukrainska Pravda",
)

# Words that open a capitalised run without being part of a person's name.
TITLE_WORDS = frozenset(
    """Prime Minister President Secretary Defense Defence Foreign Minister Chancellor
    Former Leader Leaders Sir Dame Mr Mrs Ms Dr General Gen Admiral King Queen Pope
    Senator Ambassador Spokesman Spokeswoman Spokesperson Deputy Vice Chief Head
    Commander Foreign British French Dutch German Russian Ukrainian American European
    Swedish Italian Polish The A An According However Meanwhile Despite Still Earlier
    Following Instead Previously Nevertheless In On At During Sweden's Russia's
    Ukraine's Britain's""".split()
)


@cache
def _alias_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    """One alternation of every spelling, longest first, so "Donald Trump" wins over "Trump"."""
    canonical_of = {
        alias: canonical
        for table in (STATES, ORGANISATIONS, PEOPLE)  # later tables win a shared spelling
        for canonical, aliases in table.items()
        for alias in aliases
    }
    spellings = sorted(canonical_of, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, spellings)) + r")(?!\w)")
    return pattern, canonical_of


@cache
def _outlet_regex() -> re.Pattern[str]:
    outlets = sorted(OUTLETS, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, outlets)) + r")(?!\w)")


def known_actors(text: str) -> list[str]:
    """Canonical names of gazetteer entries mentioned in the text, in order of first mention."""
    # "The Washington Post" is an outlet, not the United States: blank outlets out first.
    masked = _outlet_regex().sub(lambda m: " " * len(m.group(0)), text)
    pattern, canonical_of = _alias_regex()
    found: dict[str, None] = {}
    for match in pattern.finditer(masked):
        found.setdefault(canonical_of[match.group(0)], None)
    return list(found)


def is_person(name: str) -> bool:
    return name in PEOPLE


def is_state(name: str) -> bool:
    return name in STATES or name == "Kremlin"


def canonical_outlet(name: str) -> str:
    """ "The Times", "Times" and '"Times,"' are one outlet."""
    name = re.sub(r"[\"“”'‘’,.]", "", name).strip()
    name = re.sub(r"^(?:the|British|American|US)\s+", "", name, flags=re.I)
    return name.lower()


_CANONICAL_OUTLETS = frozenset(canonical_outlet(o) for o in OUTLETS)


def is_outlet(name: str) -> bool:
    return canonical_outlet(name) in _CANONICAL_OUTLETS


def outlets_in(text: str) -> list[str]:
    found: list[str] = []
    for outlet in sorted(OUTLETS, key=len, reverse=True):
        if re.search(r"(?<!\w)\"?" + re.escape(outlet) + r"\"?(?!\w)", text) and not any(
            outlet in longer for longer in found
        ):
            found.append(outlet)
    return found
