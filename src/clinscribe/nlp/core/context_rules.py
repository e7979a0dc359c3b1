"""ConText rules: medspaCy's defaults, trimmed, plus rules for spoken clinical language."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

# Default rules that misfire on dialogue or medication text.
_DROP = frozenset(
    {"as needed", "any other", "checked for", "evaluate for", "test for", "return", "free", "ro"}
)
_FAMILY = [
    "mother",
    "mom",
    "father",
    "dad",
    "brother",
    "sister",
    "sibling",
    "siblings",
    "aunt",
    "uncle",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "cousin",
    "parents",
    "son",
    "daughter",
    "mother's",
    "father's",
]
_PRONOUN = {"IN": ["my", "her", "his", "their", "your", "the", "patient's"]}
_ANY = {"LOWER": {"IN": ["any", "a", "an", "the"]}, "OP": "?"}
_YEAR = {"TEXT": {"REGEX": r"^(19|20)\d\d$"}}

# (literal, category, direction, pattern or None)
_RULES: list[tuple[str, str, str, list[dict[str, Any]] | None]] = [
    # negation in speech
    ("denies", "NEGATED_EXISTENCE", "FORWARD", [{"LOWER": {"IN": ["denies", "denied", "deny"]}}]),
    (
        "haven't had",
        "NEGATED_EXISTENCE",
        "FORWARD",
        [
            {"LOWER": {"IN": ["not", "n't", "never"]}},
            {"LOWER": {"IN": ["had", "have", "got", "noticed", "experienced", "having", "get"]}},
        ],
    ),
    ("no more", "NEGATED_EXISTENCE", "FORWARD", [{"LOWER": "no"}, {"LOWER": "more"}]),
    ("none", "NEGATED_EXISTENCE", "BACKWARD", [{"LOWER": "none"}]),
    ("negative", "NEGATED_EXISTENCE", "BACKWARD", [{"LOWER": "negative"}]),
    ("gone", "NEGATED_EXISTENCE", "BACKWARD", [{"LOWER": {"IN": ["gone", "resolved"]}}]),
    ("went away", "NEGATED_EXISTENCE", "BACKWARD", [{"LOWER": "went"}, {"LOWER": "away"}]),
    ("stopped taking", "NEGATED_EXISTENCE", "FORWARD", [{"LOWER": "stopped"}, {"LOWER": "taking"}]),
    # uncertainty
    (
        "may have",
        "POSSIBLE_EXISTENCE",
        "FORWARD",
        [{"LOWER": {"IN": ["may", "might", "could"]}}, {"LOWER": {"IN": ["have", "be"]}}],
    ),
    (
        "questionable",
        "POSSIBLE_EXISTENCE",
        "FORWARD",
        [{"LOWER": {"IN": ["questionable", "query"]}}],
    ),
    ("suspect", "POSSIBLE_EXISTENCE", "FORWARD", [{"LOWER": {"IN": ["suspect", "suspected"]}}]),
    ("concern for", "POSSIBLE_EXISTENCE", "FORWARD", [{"LOWER": "concern"}, {"LOWER": "for"}]),
    (
        "maybe",
        "POSSIBLE_EXISTENCE",
        "FORWARD",
        [{"LOWER": {"IN": ["maybe", "perhaps", "probable"]}}],
    ),
    ("versus", "POSSIBLE_EXISTENCE", "BIDIRECTIONAL", [{"LOWER": {"IN": ["versus", "vs"]}}]),
    ("differential", "POSSIBLE_EXISTENCE", "FORWARD", [{"LOWER": "differential"}]),
    ("not sure if", "POSSIBLE_EXISTENCE", "FORWARD", [{"LOWER": "not"}, {"LOWER": "sure"}]),
    # hypothetical
    ("in case", "HYPOTHETICAL", "FORWARD", [{"LOWER": "in"}, {"LOWER": "case"}]),
    (
        "watch for",
        "HYPOTHETICAL",
        "FORWARD",
        [{"LOWER": {"IN": ["watch", "look"]}}, {"LOWER": "out", "OP": "?"}, {"LOWER": "for"}],
    ),
    ("unless", "HYPOTHETICAL", "FORWARD", [{"LOWER": {"IN": ["unless", "whether"]}}]),
    (
        "prevent",
        "HYPOTHETICAL",
        "FORWARD",
        [{"LOWER": {"IN": ["prevent", "prevents", "avoid"]}}],
    ),
    (
        "can cause",
        "HYPOTHETICAL",
        "FORWARD",
        [
            {"LOWER": {"IN": ["can", "could", "may", "might", "will"]}},
            {"LOWER": {"IN": ["cause", "lead"]}},
        ],
    ),
    ("side effects", "HYPOTHETICAL", "FORWARD", [{"LOWER": "side"}, {"LOWER": "effects"}]),
    (
        "return if",
        "HYPOTHETICAL",
        "FORWARD",
        [{"LOWER": {"IN": ["return", "call"]}}, {"LOWER": "if"}],
    ),
    # historical
    (
        "history of",
        "HISTORICAL",
        "FORWARD",
        [{"LOWER": {"IN": ["history", "hx"]}}, {"LOWER": "of"}],
    ),
    (
        "status post",
        "HISTORICAL",
        "FORWARD",
        [{"LOWER": {"IN": ["s/p", "status"]}}, {"LOWER": "post", "OP": "?"}],
    ),
    (
        "previous",
        "HISTORICAL",
        "FORWARD",
        [{"LOWER": {"IN": ["prior", "previous", "previously", "remote", "former"]}}],
    ),
    (
        "in the past",
        "HISTORICAL",
        "BIDIRECTIONAL",
        [{"LOWER": "in"}, {"LOWER": "the"}, {"LOWER": "past"}],
    ),
    (
        "years ago",
        "HISTORICAL",
        "BIDIRECTIONAL",
        [{"LOWER": {"IN": ["years", "year", "decades"]}}, {"LOWER": "ago"}],
    ),
    (
        "used to have",
        "HISTORICAL",
        "FORWARD",
        [{"LOWER": "used"}, {"LOWER": "to"}, {"LOWER": {"IN": ["have", "get"]}}],
    ),
    (
        "as a child",
        "HISTORICAL",
        "BIDIRECTIONAL",
        [
            {"LOWER": "as"},
            {"LOWER": {"IN": ["a", "an"]}},
            {"LOWER": {"IN": ["child", "kid", "teenager"]}},
        ],
    ),
    ("in remission", "HISTORICAL", "BACKWARD", [{"LOWER": "in"}, {"LOWER": "remission"}]),
    (
        "treated in year",
        "HISTORICAL",
        "BACKWARD",
        [{"LOWER": {"IN": ["in", "since", "treated", "diagnosed"]}}, _YEAR],
    ),
    (
        "diagnosed year",
        "HISTORICAL",
        "BACKWARD",
        [{"LOWER": {"IN": ["treated", "diagnosed", "had"]}}, {"LOWER": "in"}, _YEAR],
    ),
    # family
    (
        "family history",
        "FAMILY",
        "FORWARD",
        [{"LOWER": "family"}, {"LOWER": {"IN": ["history", "hx"]}}],
    ),
    ("fhx", "FAMILY", "FORWARD", [{"LOWER": {"IN": ["fhx", "fh"]}}]),
    (
        "runs in the family",
        "FAMILY",
        "BACKWARD",
        [{"LOWER": {"IN": ["runs", "run"]}}, {"LOWER": "in"}],
    ),
    (
        "in her mother",
        "FAMILY",
        "BACKWARD",
        [{"LOWER": "in"}, {"LOWER": _PRONOUN}, {"LOWER": {"IN": _FAMILY}}],
    ),
]
_TERMINATORS = [
    ("but", [{"LOWER": {"IN": ["but", "however", "although", "though", "except", "otherwise"]}}]),
    ("she has", [{"LOWER": {"IN": ["currently", "presently", "now", "today"]}}]),
]
# A new clause with its own subject, or a positive quantity, ends a negation's scope in
# unpunctuated speech: "no fever some chills and i feel nauseous".
_NEGATION_TERMINATORS = [
    ("new subject", [{"LOWER": {"IN": ["i", "i'm", "i've", "she", "he", "we", "they", "it's"]}}]),
    ("some", [{"LOWER": {"IN": ["some", "still", "also", "lots", "plenty"]}}]),
]


@functools.lru_cache(maxsize=1)
def _default_rule_file() -> Path:
    import importlib

    ctx = importlib.import_module("medspacy.context.context")
    return Path(str(ctx.__file__)).resolve().parents[2] / "resources" / "en" / "context_rules.json"


def _rule_class() -> Any:
    from medspacy.context import ConTextRule  # type: ignore[import-untyped]

    return ConTextRule


def _phrases(pattern: list[dict[str, Any]] | None) -> list[str] | None:
    """All literal phrases a simple token pattern matches (None when it is not simple).

    ConText matches literal phrases with spaCy's PhraseMatcher, which is many times faster
    than its token Matcher, so simple LOWER/IN/"?" patterns are expanded into phrases.
    """
    if not pattern:
        return None
    options: list[list[str]] = []
    for token in pattern:
        if set(token) - {"LOWER", "OP"} or token.get("OP") not in (None, "?"):
            return None
        value = token["LOWER"]
        words = [value] if isinstance(value, str) else list(value.get("IN", []))
        if not words or (not isinstance(value, str) and set(value) != {"IN"}):
            return None
        options.append([*words, ""] if token.get("OP") == "?" else words)
    phrases = {" ".join(w for w in combo if w) for combo in itertools.product(*options)}
    phrases.discard("")
    return sorted(phrases) if len(phrases) <= 300 else None


def _simplify(rule: Any) -> list[Any]:
    phrases = _phrases(rule.pattern)
    if phrases is None:
        return [rule]
    cls = _rule_class()
    return [
        cls(
            phrase,
            rule.category,
            direction=rule.direction,
            allowed_types=rule.allowed_types,
            excluded_types=rule.excluded_types,
            max_scope=rule.max_scope,
            max_targets=rule.max_targets,
        )
        for phrase in phrases
    ]


def default_rules() -> list[Any]:
    """medspaCy's default English ConText rules without the ones that misfire on dialogue."""
    rules = _rule_class().from_json(str(_default_rule_file()))
    return [simple for r in rules if r.literal not in _DROP for simple in _simplify(r)]


def build_rules() -> list[Any]:
    """Extra rules for spoken and dictated clinical language."""
    rule = _rule_class()
    rules = [
        simple
        for literal, category, direction, pattern in _RULES
        for simple in _simplify(rule(literal, category, pattern=pattern, direction=direction))
    ]
    for category in ("NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "FAMILY"):
        extra = _NEGATION_TERMINATORS if category == "NEGATED_EXISTENCE" else []
        for literal, pattern in [*_TERMINATORS, *extra]:
            rules.append(
                rule(f"{literal} ({category})", category, pattern=pattern, direction="TERMINATE")
            )
    return rules
