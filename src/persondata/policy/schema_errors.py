"""pydantic ValidationErrors as `file:line: dotted.path: message`, and a best-effort model for the checks.

pydantic reports a location such as ("systems", "db", "tables", "t", "fields", "x", "Field_",
"category"): the union branch names ("Field_", "str", "dict[str,str]") are not in the file,
so they are dropped, and of the branches only the one matching what was written is reported
(a mapping where text was expected is judged by the mapping branch).
"""

from __future__ import annotations

import copy
import difflib
import enum
import types
import typing
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from persondata.errors import Problem
from persondata.policy.model import Policy
from persondata.policy.source import Locator, PathKey

_MISSING = object()
_SCALAR_TYPES = {"string_type", "int_type", "int_parsing", "float_type", "bool_type", "bool_parsing",
                 "date_type", "date_parsing", "date_from_datetime_parsing", "enum", "string_pattern_mismatch"}
_COUNTRY_PATTERN = "^[A-Z]{2}$"
_KEY_PATTERN = r"^[a-z0-9][a-z0-9_.\-]*$"


def _child(value: Any, key: Any) -> Any:
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return _MISSING


def _clean(loc: tuple[Any, ...], err_type: str, data: Any) -> tuple[PathKey, PathKey | None, bool]:
    """(path in the file, the union point when a branch tag was dropped, whether the error is about a key)."""
    path: list[Any] = []
    point: PathKey | None = None
    value = data
    about_key = False
    for i, part in enumerate(loc):
        nxt = _child(value, part)
        if nxt is not _MISSING:
            path.append(part)
            value = nxt
        elif part == "[key]":
            about_key = True
        elif i == len(loc) - 1 and err_type in ("missing", "extra_forbidden"):
            path.append(part)
        elif isinstance(part, str):
            point = tuple(path)  # a union branch tag such as "str" or "Field_"
        else:
            path.append(part)
    return tuple(path), point, about_key


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"'{value}'"


def _expected(err: dict[str, Any]) -> str | None:
    """'expected ...' phrase for type errors, so alternatives of a union can be joined."""
    return {
        "string_type": "text",
        "dict_type": "a mapping (key: value)",
        "model_type": "a mapping (key: value)",
        "model_attributes_type": "a mapping (key: value)",
        "list_type": "a list",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "date_type": "a date (YYYY-MM-DD)",
        "date_parsing": "a date (YYYY-MM-DD)",
        "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
        "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    }.get(err["type"])


def _annotation_at(path: PathKey) -> Any:
    """The type the schema expects at path (None when the path leaves the schema)."""
    annotation: Any = Policy
    for part in path:
        model = _as_model(annotation)
        if model is not None:
            if part not in model.model_fields:
                return None
            annotation = model.model_fields[part].annotation
            continue
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin is dict:
            annotation = args[1]
        elif origin is list:
            annotation = args[0]
        else:
            return None
    return annotation


def _model_at(path: PathKey) -> type[BaseModel] | None:
    """The pydantic model describing the mapping at path (for 'did you mean' suggestions)."""
    return _as_model(_annotation_at(path))


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [m for a in typing.get_args(annotation) if (m := _as_model(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def _message(err: dict[str, Any], path: PathKey, about_key: bool) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if about_key:
        return (f"'{path[-1]}' is not a valid key: use lower-case letters, digits, '_', '.' and '-', "
                "starting with a letter or digit")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        key = str(path[-1])
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean '{close[0]}'?"
            else:
                hint = f"; known keys: {', '.join(model.model_fields)}"
        return f"unknown key '{key}'{hint}"
    if kind == "enum":
        return f"{_describe(value)} is not allowed; expected one of {ctx.get('expected', '')}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _COUNTRY_PATTERN:
            return f"{_describe(value)} is not a country code; use two upper-case letters (ISO 3166), e.g. DK"
        return f"{_describe(value)} does not have the required form {ctx.get('pattern')}"
    expected = _expected(err)
    if expected:
        quote = kind == "string_type" and isinstance(value, int | float | date)
        hint = " (put it in quotes)" if quote else ""
        return f"expected {expected}, got {_describe(value)}{hint}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def schema_problems(exc: ValidationError, data: Any, locator: Locator) -> list[Problem]:
    """Map a ValidationError on `data` to one Problem per wrong node, in file order."""
    found: dict[PathKey, list[tuple[dict[str, Any], bool, PathKey | None]]] = {}
    for err in exc.errors():
        error: dict[str, Any] = dict(err)
        path, point, about_key = _clean(tuple(error["loc"]), str(error["type"]), data)
        if point is not None and path == point:
            value = _child_at(data, path)
            if isinstance(value, dict) and error["type"] in _SCALAR_TYPES:
                continue  # the text branch of a union given a mapping: the mapping branch speaks
        key = (*path, "[key]") if about_key else path
        found.setdefault(key, []).append((error, about_key, point))
    problems = []
    for key, errors in found.items():
        path = key[:-1] if key and key[-1] == "[key]" else key
        expectations = [_expected(e) for e, _, point in errors if point is not None]
        if len(errors) > 1 and all(expectations) and len(expectations) == len(errors):
            value = errors[0][0].get("input")
            alternatives = " or ".join(dict.fromkeys(x for x in expectations if x))
            message = f"expected {alternatives}, got {_describe(value)}"
        else:
            message = "; ".join(dict.fromkeys(_message(e, path, about) for e, about, _ in errors))
        problems.append(locator.problem(path, message))
    return problems


def _child_at(data: Any, path: PathKey) -> Any:
    value = data
    for part in path:
        value = _child(value, part)
    return value


def _placeholder(model: type[BaseModel], name: str) -> Any:
    """A valid stand-in for a required field whose value is wrong or missing."""
    annotation = model.model_fields[name].annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation)).value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"name": "?", "country": "DK", "email": "?"} if annotation.__name__ == "Controller" else {}
    return "DK" if name == "country" else "?"


def _set(data: Any, path: PathKey, value: Any = _MISSING) -> None:
    parent = _child_at(data, path[:-1])
    if isinstance(parent, dict):
        if value is _MISSING:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = value


def _prune(data: dict[str, Any], path: PathKey, broken: set[PathKey], drop: bool = False) -> None:
    """Make the node at path valid: drop it if optional (or `drop`), else a placeholder; mark it broken."""
    if not path:
        return
    if drop:  # an unknown key, or an entry whose key is invalid
        _set(data, path)
        broken.add(path)
        return
    if len(path) >= 6 and path[0] == "systems" and path[4] == "fields":
        path = path[:6]  # a column's field spec: drop the column
    elif len(path) >= 4 and path[0] == "systems" and path[2] == "tables" and path[-1] == "primary_key":
        path = path[:4]  # a table without its key: drop the table
    elif len(path) >= 2 and path[0] == "systems" and path[-1] == "url":
        path = path[:2]
    for end in range(len(path), 0, -1):
        prefix = path[:end]
        parent = _annotation_at(prefix[:-1])
        if typing.get_origin(parent) is dict:
            _set(data, prefix)  # an entry of a mapping (a purpose, a table's field): drop it
            broken.add(prefix)
            return
        model = _as_model(parent)
        if model is None or prefix[-1] not in model.model_fields:
            continue
        field_info = model.model_fields[prefix[-1]]
        if field_info.is_required() and prefix not in broken:
            _set(data, prefix, _placeholder(model, prefix[-1]))
        else:
            _set(data, prefix)
        broken.add(prefix)
        return
    _set(data, path)
    broken.add(path)


def best_effort_policy(data: dict[str, Any]) -> tuple[Policy | None, set[PathKey]]:
    """The file with its invalid nodes dropped or stood in for, so the checks can run on the rest.

    Returns the model (None if that fails) and the paths that were changed ("broken"), which
    the checks use to stay silent about what the schema errors already reported.
    """
    pruned = copy.deepcopy(data)
    broken: set[PathKey] = set()
    for _ in range(5):
        try:
            return Policy.model_validate(pruned), broken
        except ValidationError as exc:
            cleaned = [(_clean(tuple(err["loc"]), err["type"], pruned), err["type"]) for err in exc.errors()]
            for (path, _, about_key), err_type in cleaned:
                _prune(pruned, path, broken, drop=about_key or err_type == "extra_forbidden")
    return None, broken
