"""Reading a policy file: YAML with the line of every node, duplicate keys, `${VAR}` interpolation.

PyYAML's safe loader is used with two changes that matter for Nordic policy files:
booleans are only `true`/`false` (YAML 1.2), so `country: NO` stays the string "NO";
and a key given twice in one mapping is reported instead of silently overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from persondata.errors import InputError, Problem

PathKey = tuple[Any, ...]
"""A path into the policy data: mapping keys and list indexes, e.g. ("purposes", "x", "categories", 0)."""

_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
_VAR = re.compile(r"\$(\$?)\{([^}]*)\}")
_RECURSIVE = "a YAML alias refers to a node that contains it (a recursive structure)"
_MAX_NODES = 200_000
_EXPANDS = f"the file expands to more than {_MAX_NODES} values through YAML aliases"
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _construct_mapping(self: Any, node: Node, deep: bool = False) -> dict[Any, Any]:
    """A mapping whose keys are their text as written (`5:` is "5"); a list or mapping key is an error."""
    if not isinstance(node, MappingNode):
        raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
    self.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found a list or mapping used as a key", key_node.start_mark)
        mapping[key_node.value] = self.construct_object(value_node, deep=deep)
    return mapping


class _Loader(yaml.SafeLoader):
    """The pure-Python safe loader: YAML 1.2 booleans (no yes/no/on/off), keys as text; exact error texts."""

    construct_mapping = _construct_mapping


_FastLoader: type[Any] = _Loader
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        """The same loader on libyaml's parser (several times faster); errors are re-read with _Loader."""

        construct_mapping = _construct_mapping

    _FastLoader = _CLoader


def _timestamp(loader: yaml.SafeLoader, node: Node) -> Any:
    """A YAML date or timestamp; an impossible one (2019-13-01) stays text for the schema to report."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_cls: type[Any]
_loaders: list[type[Any]] = list(dict.fromkeys([_Loader, _FastLoader]))
for _cls in _loaders:
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _cls.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def dotted(keys: PathKey) -> str:
    """A path as the user reads it: purposes.newsletter.categories[0]."""
    out = ""
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool):
            out += f"[{key}]"
        else:
            out += ("." if out else "") + str(key)
    return out


@dataclass
class Locator:
    """Where things are in one policy file: file name and the line of every node."""

    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, *keys: Any) -> int:
        """The line of the node at keys, else of its nearest ancestor that exists (1 at worst)."""
        path = tuple(keys)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, keys: PathKey, message: str, severity: str = "error") -> Problem:
        """A Problem at the node of keys, its message prefixed with the dotted path."""
        where = dotted(keys)
        text = f"{where}: {message}" if where else message
        return Problem(self.file, self.line_of(*keys), text, severity)


def parse_yaml(text: str, locator: Locator) -> tuple[Any, list[Problem]]:
    """Parse YAML text, filling locator.lines; returns (data, problems) — data is None on syntax errors."""
    if _FastLoader is not _Loader:
        try:
            return _parse(text, locator, _FastLoader)
        except yaml.YAMLError:
            locator.lines.clear()  # re-read with the pure-Python parser for its precise messages
        except (ValueError, TypeError, OverflowError):
            locator.lines.clear()
    try:
        return _parse(text, locator, _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context.startswith("while"):
            where = f" on line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
            what += f" ({exc.context}{where})"
        elif exc.problem and exc.context:
            what = f"{exc.context}, {exc.problem}"
        return None, [Problem(locator.file, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(locator.file, 1, f"YAML syntax error: {exc}")]
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar PyYAML cannot build
        return None, [Problem(locator.file, 1, f"YAML error: {exc}")]


def _parse(text: str, locator: Locator, loader_class: type[Any]) -> tuple[Any, list[Problem]]:
    """Compose, record lines, construct; YAML errors propagate."""
    loader = loader_class(text)
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(locator.file, 1, "the policy file is empty")]
        _walk(node, (), locator, problems)  # before construction, which flattens `<<` merges
        if any(_RECURSIVE in p.message or _EXPANDS in p.message for p in problems):
            return None, problems
        return loader.construct_document(node), problems
    finally:
        loader.dispose()


def _walk(node: Node, path: PathKey, loc: Locator, problems: list[Problem],
          active: frozenset[int] = frozenset()) -> None:
    """Record the line of every node below `node`, reporting keys given twice."""
    if id(node) in active:
        problems.append(loc.problem(path, _RECURSIVE))
        return
    if len(loc.lines) > _MAX_NODES:
        if not any(_EXPANDS in p.message for p in problems):
            problems.append(loc.problem(path, _EXPANDS))
        return
    active = active | {id(node)}
    loc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in _entries(node):
            key = key_node.value if isinstance(key_node, ScalarNode) else repr(key_node.value)
            line = key_node.start_mark.line + 1
            child = (*path, key)
            if key in seen:
                for stale in [k for k in loc.lines if k[: len(child)] == child]:
                    del loc.lines[stale]  # the first value is discarded: forget its lines
                loc.lines[child] = line
                problems.append(loc.problem(
                    child, f"duplicate key '{key}' (first given on line {seen[key]}); "
                    "YAML would silently keep only the last one"))
            else:
                seen[key] = line
                loc.lines[child] = line
            _walk(value_node, (*path, key), loc, problems, active)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            loc.lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), loc, problems, active)


def _entries(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    """A mapping's own entries; `<<` merge entries contribute theirs (without duplicate reports)."""
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE:
            yield key_node, value_node


def _is_system_url(path: PathKey) -> bool:
    return len(path) == 3 and path[0] == "systems" and path[2] == "url"


def interpolate(
    data: Any, env: Mapping[str, str], locator: Locator
) -> tuple[Any, list[Problem], set[PathKey]]:
    """Replace ${VAR} in every string value; unset vars stay literal in systems.*.url, else are errors.

    Returns the new data, the problems and the paths of the values that could not be filled.
    """
    problems: list[Problem] = []
    unfilled: set[PathKey] = set()

    def visit(value: Any, path: PathKey) -> Any:
        if isinstance(value, dict):
            return {k: visit(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return _substitute(value, path)
        return value

    def _substitute(text: str, path: PathKey) -> str:
        def repl(match: re.Match[str]) -> str:
            escaped, name = match.group(1), match.group(2)
            if escaped:
                return "${" + name + "}"
            if not _VAR_NAME.match(name):
                problems.append(locator.problem(path, f"'${{{name}}}' is not a valid variable reference "
                                                "(letters, digits and _ only)"))
                unfilled.add(path)
                return match.group(0)
            if name in env:
                return env[name]
            if not _is_system_url(path):
                problems.append(locator.problem(path, f"environment variable {name} is not set"))
                unfilled.add(path)
            return match.group(0)

        return _VAR.sub(repl, text)

    return visit(data, ()), problems, unfilled


def unresolved_vars(text: str) -> list[str]:
    """Names of the ${VAR} references still in a text (escaped $${VAR} not counted)."""
    return [m.group(2) for m in _VAR.finditer(text) if not m.group(1)]


def resolve_env(text: str, env: Mapping[str, str], where: str | None = None) -> str:
    """Fill the ${VAR} references left in a text (a system URL); an unset variable is an InputError."""
    missing = [name for name in unresolved_vars(text) if name not in env]
    if missing:
        needed = f" ({where} needs it)" if where else ""
        names = ", ".join(dict.fromkeys(missing))
        raise InputError(f"environment variable {names} is not set{needed}")
    return _VAR.sub(lambda m: "${" + m.group(2) + "}" if m.group(1) else env[m.group(2)], text)
