"""Checks of the data map (systems): references between tables, identities, anchors, coverage."""

from __future__ import annotations

from typing import Any

from persondata.identity import BUILTIN_KINDS
from persondata.policy.checks import Ctx, check_category, check_ref, suggest
from persondata.policy.model import Table
from persondata.policy.source import PathKey, unresolved_vars

TableRef = tuple[str, str]  # (system, table)


def table_columns(table: Table) -> set[str]:
    """Every column a table declares: key, identities, fields, anchors, edges and flags."""
    columns = {table.primary_key, *table.identities.values(), *table.fields, *table.anchors.values(),
               *table.belongs_to, *table.references}
    return columns | {c for c in (table.restricted_flag, table.opt_out_flag) if c}


def check_systems(ctx: Ctx) -> None:
    """Tables: purposes, identity kinds, field categories, edges, reachability; retention anchors."""
    if ctx.defined("systems") is None:
        return
    systems = ctx.policy.systems
    if not systems and not ctx.defined("systems"):
        if ctx.policy.purposes:
            ctx.warn((), "no systems: persondata can render the notice and the record of processing, but "
                         "cannot answer requests or enforce retention without a data map")
        return
    for sys_key, system in systems.items():
        _check_url(ctx, sys_key)
        for t_key, table in system.tables.items():
            where: PathKey = ("systems", sys_key, "tables", t_key)
            _check_table(ctx, where, table)
            for edge in ("belongs_to", "references"):
                for column, target in getattr(table, edge).items():
                    _check_target(ctx, (*where, edge, column), sys_key, target)
        _check_reachable(ctx, sys_key)
    _check_anchors(ctx)


def _written_tables(ctx: Ctx, sys_key: str) -> dict[str, Any]:
    system = ctx.raw.get("systems", {}).get(sys_key)
    tables = system.get("tables") if isinstance(system, dict) else None
    return tables if isinstance(tables, dict) else {}


def _check_url(ctx: Ctx, sys_key: str) -> None:
    written = ctx.written.get("systems", {}).get(sys_key, {})
    url = written.get("url") if isinstance(written, dict) else None
    if not isinstance(url, str):
        return
    keys: PathKey = ("systems", sys_key, "url")
    if unresolved_vars(url) and url.strip().startswith("${"):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    probe = url
    for name in unresolved_vars(url):
        probe = probe.replace("${" + name + "}", "x")
    try:
        parsed = make_url(probe)
    except (ArgumentError, ValueError):
        ctx.error(keys, "not a database URL (expected e.g. postgresql+psycopg://user@host/db or ${DB_URL})")
        return
    if parsed.password and not unresolved_vars(url.split("@")[0]):
        ctx.warn(keys, "the URL holds a password in the policy file: take it from the environment, "
                       f"e.g. url: ${{{sys_key.upper().replace('-', '_')}_DB_URL}}")


def _check_table(ctx: Ctx, where: PathKey, table: Table) -> None:
    for i, purpose in enumerate(table.purposes):
        check_ref(ctx, (*where, "purposes", i), purpose, "purposes", "purpose")
    if not table.purposes:
        ctx.warn(where, "no purposes: nothing justifies keeping this table's personal data, and retention "
                        "will never expire its rows")
    declared = ctx.defined("identities")
    for kind in table.identities:
        if kind not in BUILTIN_KINDS and declared is not None and kind not in declared:
            hint = suggest(kind, [*BUILTIN_KINDS, *declared]) or "; declare it under identities:"
            ctx.error((*where, "identities", kind), f"unknown identity kind '{kind}'{hint} "
                                                    f"(builtin: {', '.join(BUILTIN_KINDS)})")
    for column in table.fields:
        spec = table.field_spec(column)
        keys: PathKey = (*where, "fields", column)
        if not isinstance(table.fields[column], str):
            keys = (*keys, "category")
        check_category(ctx, keys, spec.category)
    _check_coverage(ctx, where, table)


def _ancestors(key: str) -> set[str]:
    parts = key.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def _check_coverage(ctx: Ctx, where: PathKey, table: Table) -> None:
    """Warn when a column's category is listed by none of the table's purposes."""
    purposes = [ctx.policy.purposes[p] for p in table.purposes if p in ctx.policy.purposes]
    if not purposes or len(purposes) != len(table.purposes):
        return
    listed = {c for p in purposes for c in p.categories}
    for column in table.fields:
        category = table.field_spec(column).category
        lineage = _ancestors(category)
        declared = ctx.policy.categories.get(category)
        if declared is not None and declared.parent:
            lineage |= _ancestors(declared.parent)
        if not lineage & listed:
            names = ", ".join(table.purposes)
            ctx.warn((*where, "fields", column), f"column '{column}' holds {category}, which none of the "
                                                 f"table's purposes ({names}) lists under categories")


def _check_target(ctx: Ctx, keys: PathKey, sys_key: str, target: str) -> None:
    table_name, dot, column = target.rpartition(".")
    if not dot or not table_name or not column:
        ctx.error(keys, f"'{target}' must name a column as table.column")
        return
    written = _written_tables(ctx, sys_key)
    if table_name not in written:
        ctx.error(keys, f"undefined table '{table_name}' in system '{sys_key}'{suggest(table_name, written)}")
        return
    table = ctx.policy.systems[sys_key].tables.get(table_name)
    if table is None:
        return  # the target table has schema errors of its own
    columns = table_columns(table)
    if column not in columns:
        ctx.error(keys, f"table '{table_name}' declares no column '{column}'{suggest(column, columns)} "
                        f"(its primary key is '{table.primary_key}')")


def _check_reachable(ctx: Ctx, sys_key: str) -> None:
    """Warn about tables that no identity column reaches, directly or through belongs_to."""
    tables = ctx.policy.systems[sys_key].tables
    reached = {name for name, t in tables.items() if t.identities}
    changed = True
    while changed:
        changed = False
        for name, t in tables.items():
            if name not in reached and any(v.rpartition(".")[0] in reached for v in t.belongs_to.values()):
                reached.add(name)
                changed = True
    referenced = {v.rpartition(".")[0] for name in reached for v in tables[name].references.values()}
    for name, t in tables.items():
        if name in reached or name in referenced:
            continue  # a row reached only by reference (a shared address) is reported, never erased
        how = "its belongs_to does not lead to a table with identities" if t.belongs_to else \
            "it has no identities and no belongs_to"
        ctx.warn(("systems", sys_key, "tables", name), f"no identity reaches this table ({how}): subject "
                                                       "requests will not find its rows")


def _check_anchors(ctx: Ctx) -> None:
    """A retention rule's anchor must be mapped by a table that lists its purpose."""
    listing: dict[str, list[tuple[str, Table]]] = {}
    everywhere: set[str] = set()
    for system in ctx.policy.systems.values():
        for t_key, table in system.tables.items():
            everywhere |= set(table.anchors)
            for purpose in table.purposes:
                listing.setdefault(purpose, []).append((t_key, table))
    for key in ctx.policy.purposes:
        rule = ctx.rule(key)
        where: PathKey = ("purposes", key)
        tables = listing.get(key, [])
        if not tables:
            ctx.warn(where, "no table in systems lists this purpose: persondata cannot enforce its retention")
        if rule is None or rule.until_consent_withdrawn:
            continue
        if tables and not any(rule.anchor in t.anchors for _, t in tables):
            names = ", ".join(dict.fromkeys(name for name, _ in tables))
            candidates = {a for _, t in tables for a in t.anchors}
            hint = suggest(rule.anchor, candidates)
            ctx.error((*where, "retention"), f"anchor '{rule.anchor}' is not mapped under `anchors:` by any "
                                             f"table listing this purpose ({names}){hint}")
        elif not tables and rule.anchor not in everywhere:
            ctx.error((*where, "retention"), f"anchor '{rule.anchor}' is not mapped under `anchors:` by any "
                                             f"table{suggest(rule.anchor, everywhere)}")
