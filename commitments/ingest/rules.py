"""The proposer's vocabularies, and the gazetteer that resolves names to countries and people."""

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from django.conf import settings

from ..fixture_builder import AnnotationError, read_yaml

APOSTROPHES = "'’ʼ‘`"


class RulesError(Exception):
    """The rules file cannot be used; the message names the file and the place."""


def phrase_pattern(phrase: str) -> str:
    """Return a regex for a phrase on word boundaries, any apostrophe and spacing."""
    parts = []
    for char in phrase:
        if char in APOSTROPHES:
            parts.append(f"[{APOSTROPHES}]")
        elif char.isspace():
            parts.append(r"\s+")
        elif char == "-":
            parts.append(r"[-‐‑–]\s?")
        else:
            parts.append(re.escape(char))
    body = "".join(parts)
    start = r"(?<![\w-])" if phrase[:1].isalnum() else ""
    end = r"(?![\w])" if phrase[-1:].isalnum() or phrase[-1:] == "." else ""
    return f"{start}{body}{end}"


def phrase_key(phrase: str, *, fold_case: bool = False) -> str:
    """Return the form under which phrase_pattern() matches are looked up again."""
    key = re.sub(r"[-‐‑–]\s?", "-", phrase)
    key = re.sub(r"\s+", " ", re.sub(f"[{APOSTROPHES}]", "'", key)).strip()
    return key.lower() if fold_case else key


def compile_phrases(phrases, *, flags=re.IGNORECASE) -> re.Pattern | None:
    """Return one alternation of the phrases, longest first, or None for none."""
    phrases = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile("|".join(f"(?:{phrase_pattern(p)})" for p in phrases), flags)


@dataclass(frozen=True)
class Cue:
    kind: str
    confidence: float
    pattern: re.Pattern


@dataclass
class Rules:
    """The vocabularies, compiled."""

    path: Path
    country_aliases: dict[str, list[str]]
    groups: dict[str, object]
    cities: dict[str, str]
    cues: list[Cue]
    action_verbs: set[str]
    not_commitments: dict[str, list[re.Pattern]]
    clause_stops: list[str]
    categories: dict[str, list[str]]
    facility_verbs: list[str]
    meeting_kinds: dict[str, list[str]]
    titles: list[str]
    not_parties: list[str]
    stopwords: set[str]
    not_names: set[str]
    outcome_nouns: list[str]
    category_patterns: dict[str, re.Pattern] = field(default_factory=dict)

    def __post_init__(self):
        self.category_patterns = {
            category: compile_phrases(words) for category, words in self.categories.items()
        }
        self.group_pattern = compile_phrases(self.groups)
        self.city_pattern = compile_phrases(self.cities)
        self.group_by_key = {phrase_key(g, fold_case=True): m for g, m in self.groups.items()}
        self.city_by_key = {phrase_key(c, fold_case=True): code for c, code in self.cities.items()}
        self.facility_pattern = compile_phrases(self.facility_verbs)
        self.title_pattern = compile_phrases(self.titles, flags=0)

    def category_of(self, text: str) -> str:
        """Return the category whose keywords occur most in the text ("other" for none)."""
        best, best_hits = "other", 0
        for category, pattern in self.category_patterns.items():
            hits = len(pattern.findall(text)) if pattern else 0
            if hits > best_hits:
                best, best_hits = category, hits
        return best

    def group_members(self, phrase: str):
        """Return a group's members: a list of codes, or "participants" / "guests"."""
        key = next((g for g in self.groups if re.fullmatch(phrase_pattern(g), phrase, re.I)), None)
        return None if key is None else self.groups[key]

    def city_country(self, city: str) -> str | None:
        """Return the code of the country a city is in."""
        return self.city_by_key.get(phrase_key(city, fold_case=True))


def read_yaml_file(path: Path, error_class: type[Exception]):
    """Return the YAML at path, or raise error_class naming the file and the line at fault."""
    try:
        return read_yaml(path, where=str(path))
    except OSError as error:
        raise error_class(f"{path}: cannot be read: {error.strerror or error}") from None
    except AnnotationError as error:
        raise error_class(str(error)) from None


def _problem(path: Path, place: str, message: str) -> RulesError:
    return RulesError(f"{path}: {place}: {message}")


def _string_list(path: Path, place: str, value) -> list[str]:
    if not isinstance(value, list):
        raise _problem(path, place, "expected a list of strings")
    for index, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            # YAML reads a bare on, no, yes or 2023-04-26 as something else than text.
            raise _problem(
                path, f"{place} item {index}", f"{item!r} is not a non-empty string (quote it)"
            )
    return value


def _regex(path: Path, place: str, value: str) -> re.Pattern:
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as error:
        raise _problem(path, place, f"not a valid regular expression: {error}") from None


def load_rules(path: Path | None = None) -> Rules:
    """Read and check the rules file; raise RulesError naming the place of any problem."""
    path = Path(path or settings.EXTRACTION_RULES)
    data = read_yaml_file(path, RulesError)
    if not isinstance(data, dict):
        raise RulesError(f"{path}: expected a mapping of sections")
    required = {
        "country_aliases", "groups", "cities", "cues", "action_verbs", "not_commitments",
        "clause_stops", "categories", "facility_verbs", "meeting_kinds", "titles", "not_parties",
        "stopwords", "not_names", "outcome_nouns",
    }  # fmt: skip
    missing = sorted(required - data.keys())
    if missing:
        raise RulesError(f"{path}: missing section {', '.join(missing)}")
    country_aliases = {}
    for code, names in (data["country_aliases"] or {}).items():
        if not (isinstance(code, str) and re.fullmatch("[A-Z]{2}", code)):
            raise _problem(path, f"country_aliases {code!r}", "expected an ISO alpha-2 code")
        country_aliases[code] = _string_list(path, f"country_aliases {code}", names)
    groups = {}
    for phrase, members in (data["groups"] or {}).items():
        if members not in ("participants", "guests"):
            members = _string_list(path, f"groups {phrase!r}", members)
        groups[str(phrase)] = members
    cities = {}
    for code, names in (data["cities"] or {}).items():
        for name in _string_list(path, f"cities {code}", names):
            cities[name] = code
    cues = []
    for index, cue in enumerate(data["cues"] or [], start=1):
        if not isinstance(cue, dict) or not {"kind", "confidence", "pattern"} <= cue.keys():
            raise _problem(path, f"cues item {index}", "expected kind, confidence and pattern")
        confidence = cue["confidence"]
        if not isinstance(confidence, int | float) or not 0 < confidence <= 1:
            raise _problem(path, f"cues item {index}", "confidence must be in (0, 1]")
        cues.append(
            Cue(
                str(cue["kind"]),
                float(confidence),
                _regex(path, f"cues item {index}", cue["pattern"]),
            )
        )
    not_commitments = {}
    for name, patterns in (data["not_commitments"] or {}).items():
        not_commitments[name] = [
            _regex(path, f"not_commitments {name} item {i}", p)
            for i, p in enumerate(_string_list(path, f"not_commitments {name}", patterns), 1)
        ]
    categories = {}
    for category, words in (data["categories"] or {}).items():
        categories[str(category)] = _string_list(path, f"categories {category}", words)
    from ..choices import Category, MeetingKind

    unknown = sorted(set(categories) - set(Category.values))
    if unknown:
        raise _problem(path, "categories", f"unknown category {', '.join(unknown)}")
    meeting_kinds = {
        kind: _string_list(path, f"meeting_kinds {kind}", words)
        for kind, words in (data["meeting_kinds"] or {}).items()
    }
    unknown = sorted(set(meeting_kinds) - set(MeetingKind.values))
    if unknown:
        raise _problem(path, "meeting_kinds", f"unknown meeting kind {', '.join(unknown)}")
    return Rules(
        path=path,
        country_aliases=country_aliases,
        groups=groups,
        cities=cities,
        cues=cues,
        action_verbs={v.lower() for v in _string_list(path, "action_verbs", data["action_verbs"])},
        not_commitments=not_commitments,
        clause_stops=_string_list(path, "clause_stops", data["clause_stops"]),
        categories=categories,
        facility_verbs=_string_list(path, "facility_verbs", data["facility_verbs"]),
        meeting_kinds=meeting_kinds,
        titles=_string_list(path, "titles", data["titles"]),
        not_parties=_string_list(path, "not_parties", data["not_parties"]),
        stopwords={w.lower() for w in _string_list(path, "stopwords", data["stopwords"])},
        not_names=set(_string_list(path, "not_names", data["not_names"])),
        outcome_nouns=_string_list(path, "outcome_nouns", data["outcome_nouns"]),
    )


@functools.cache
def default_rules() -> Rules:
    """Return the rules of settings.EXTRACTION_RULES, read once per process."""
    return load_rules()


@dataclass(frozen=True)
class KnownOfficial:
    slug: str
    name: str
    country: str | None
    title: str
    names: tuple[str, ...] = ()


@dataclass
class Gazetteer:
    """Names the proposer resolves: countries (ISO and the rules' aliases) and officials."""

    rules: Rules
    officials: list[KnownOfficial]
    country_names: dict[str, str]  # phrase -> code

    def __post_init__(self):
        self.country_pattern = compile_phrases(self.country_names, flags=0)
        self.official_names = {}
        for official in self.officials:
            for name in official.names or (official.name,):
                self.official_names[name] = official
        self.official_pattern = compile_phrases(self.official_names, flags=0)
        self.country_by_key = {phrase_key(n): code for n, code in self.country_names.items()}
        self.official_by_key = {phrase_key(n): o for n, o in self.official_names.items()}

    def country_of_phrase(self, phrase: str) -> str | None:
        return self.country_by_key.get(phrase_key(phrase))

    def official_of_phrase(self, phrase: str) -> KnownOfficial | None:
        return self.official_by_key.get(phrase_key(phrase))

    def country_name(self, code: str) -> str:
        country = pycountry.countries.get(alpha_2=code)
        return getattr(country, "common_name", None) or (country.name if country else code)


def iso_country_names() -> dict[str, str]:
    """Return every ISO 3166 short and common name with its alpha-2 code."""
    names = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name:
                names[name] = country.alpha_2
    return names


def build_gazetteer(rules: Rules | None = None) -> Gazetteer:
    """Return the gazetteer of the rules and the officials in the database."""
    from ..models import Country, Official, Position

    rules = rules or default_rules()
    names = iso_country_names()
    for country in Country.objects.all():
        names[country.name] = country.code
    for code, aliases in rules.country_aliases.items():
        for alias in aliases:
            names[alias] = code
    for name in rules.not_parties:
        names.pop(name, None)
    positions = {}
    for position in Position.objects.order_by("official_id", "-start_date", "pk"):
        positions.setdefault(position.official_id, position)
    officials = []
    for official in Official.objects.all():
        position = positions.get(official.pk)
        officials.append(
            KnownOfficial(
                slug=official.slug,
                name=official.name,
                country=position.country_id if position else None,
                title=position.title if position else "",
                names=(official.name, *official.aliases),
            )
        )
    return Gazetteer(rules=rules, officials=officials, country_names=names)
