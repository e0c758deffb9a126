"""The API's input-validation layer: what every parameter, path, cursor and body passes through.

Each parser here is strict: integers are ASCII digits, dates are exactly
YYYY-MM-DD, datetimes are ISO 8601 within what both database engines store,
text carries no NUL and no lone surrogate, and JSON is at most
`MAX_JSON_DEPTH` levels deep. A value that fails raises a DRF ValidationError
keyed by the parameter or field, so the client gets a 400 naming it.

Messages are built with f-strings from a shortened `repr()` of the input and
never passed through %-formatting afterwards, so a `%` in the input is text.
"""

import datetime
import re

import orjson
from rest_framework.exceptions import ParseError, ValidationError

MAX_JSON_DEPTH = 32
# Longer than any legitimate value of a query parameter (a search of 200
# characters, a cursor, a list of statuses), far shorter than a URL may be.
MAX_PARAMETER_LENGTH = 1000
# 18 digits fit a signed 64-bit integer, the widest column of both engines.
INTEGER_RE = re.compile(r"[0-9]{1,18}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
# One day inside Python's own range at each end, so that any offset of up to
# ±24 hours converts to UTC without overflowing.
EARLIEST = datetime.datetime(1, 1, 2, tzinfo=datetime.UTC)
LATEST = datetime.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=datetime.UTC)


def shown(value: str, limit: int = 40) -> str:
    """Return the value as it may appear in an error message: quoted, escaped and short."""
    text = value if len(value) <= limit else value[:limit] + "…"
    return repr(text)


def text_problem(value: str) -> str | None:
    """Return why a text cannot be stored by both engines, or None when it can."""
    if "\x00" in value:
        return "must not contain NUL characters (\\x00)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it contains a lone surrogate)"
    return None


def invalid(name: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({name: [message]}, code=code)


def check_text(name: str, value: str) -> str:
    """Return the text, or raise a 400 naming `name` if it holds NUL or a lone surrogate."""
    problem = text_problem(value)
    if problem:
        raise invalid(name, f"The value {problem}.")
    return value


def parse_integer(name: str, raw: str, *, minimum: int = 0) -> int:
    """Return `raw` as an integer of ASCII digits no less than `minimum`, or raise a 400."""
    if not INTEGER_RE.fullmatch(raw) or int(raw) < minimum:
        qualifier = "a positive" if minimum > 0 else "a non-negative"
        raise invalid(name, f"Must be {qualifier} whole number in ASCII digits, got {shown(raw)}.")
    return int(raw)


def parse_date(name: str, raw: str) -> datetime.date:
    """Return `raw` as a date written exactly YYYY-MM-DD, or raise a 400."""
    try:
        if DATE_RE.fullmatch(raw):
            return datetime.date.fromisoformat(raw)
    except ValueError:
        pass
    raise invalid(name, f"Must be a date as YYYY-MM-DD, got {shown(raw)}.")


def parse_datetime(name: str, raw: str) -> datetime.datetime:
    """Return `raw` (ISO 8601; UTC when it has no offset) as an aware UTC datetime, or a 400."""
    if DATETIME_RE.fullmatch(raw):
        try:
            value = datetime.datetime.fromisoformat(raw)
        except ValueError:
            value = None
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.UTC)
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                value = None
            if value is not None and EARLIEST <= value <= LATEST:
                return value
            raise invalid(
                name,
                f"Must be between {EARLIEST.date().isoformat()} and "
                f"{LATEST.date().isoformat()} in UTC, "
                f"got {shown(raw)}.",
            )
    raise invalid(
        name,
        f"Must be an ISO 8601 date and time such as 2023-04-26T09:30:00Z, got {shown(raw)}.",
    )


def check_query_parameters(query_params) -> None:
    """Raise a 400 naming the first query parameter that is too long or holds bad text."""
    for name, values in query_params.lists():
        check_text("query parameter name", name)
        for value in values:
            check_text(name, value)
            if len(value) > MAX_PARAMETER_LENGTH:
                raise invalid(name, f"Must be at most {MAX_PARAMETER_LENGTH} characters long.")


def check_form(data) -> None:
    """Raise a 400 naming the first form field (name or value) that holds bad text."""
    for name, values in data.lists():
        check_text("non_field_errors", name)
        for value in values:
            if isinstance(value, str):
                check_text(name, value)


def load_json(raw: bytes | str, *, name: str | None = None):
    """Parse JSON with a depth limit and text checks; raise ParseError or a 400 naming the place.

    orjson refuses lone surrogates and stops at 1,024 levels without recursing
    in Python; the walk below then applies the tighter depth limit.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if name is not None:
            raise invalid(name, f"Is not valid JSON: {exc}.") from None
        raise ParseError(f"JSON parse error: {exc}.") from None
    check_structure(data, root=name)
    return data


def check_structure(data, *, root: str | None = None) -> None:
    """Raise a 400 naming the place of any text with NUL or lone surrogates, or a too deep nest."""
    stack = [(data, root, 1)]
    while stack:
        value, place, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise invalid(
                place or "non_field_errors",
                f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.",
                code="too_deep",
            )
        if isinstance(value, str):
            check_text(place or "non_field_errors", value)
        elif isinstance(value, dict):
            for key, item in value.items():
                key_place = f"{place}.{key}" if place else str(key)
                check_text(place or "non_field_errors", key)
                stack.append((item, key_place, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{place}.{index}" if place else str(index), depth + 1))
