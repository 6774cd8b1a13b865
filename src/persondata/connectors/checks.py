"""`persondata validate --check-systems`: compare the data map with the real databases.

Per system: can persondata connect; does every table and every column the data map names
exist (primary key, identities, fields, anchors, edges and their targets, flags); is every
identity column and every column an edge joins on indexed (a warning with the
`CREATE INDEX` to run; e-mail identities on PostgreSQL and SQLite need an index on
`lower(column)`, as they are matched case-insensitively); can every personal field be
erased with its strategy (a NOT NULL number cannot be nulled).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError

from persondata.connectors.graph import split_target
from persondata.connectors.sql import create_system_engine, quiet_reflection, resolve_url
from persondata.connectors.strategies import table_erasure
from persondata.errors import PersondataError, Problem
from persondata.policy.model import Policy, Strategy, Table


class _Report:
    def __init__(self, loaded: Any) -> None:
        self.loaded = loaded
        self.problems: list[Problem] = []
        path = getattr(loaded, "path", None)
        self.file = str(path) if path is not None else "privacy.yaml"

    def line(self, keys: tuple[Any, ...]) -> int:
        line_of = getattr(self.loaded, "line_of", None)
        return int(line_of(*keys)) if line_of is not None else 0

    def add(self, keys: tuple[Any, ...], message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.file, self.line(keys), message, severity))


def _indexed(inspector: sa.Inspector, table: str, schema: str | None) -> set[str]:
    """Columns that lead an index, the primary key or a unique constraint."""
    first: set[str] = set()
    pk = inspector.get_pk_constraint(table, schema=schema).get("constrained_columns") or []
    if pk:
        first.add(pk[0])
    for ix in inspector.get_indexes(table, schema=schema):
        cols = [c for c in ix.get("column_names") or [] if c]
        if cols:
            first.add(cols[0])
    for uq in inspector.get_unique_constraints(table, schema=schema):
        cols = uq.get("column_names") or []
        if cols:
            first.add(cols[0])
    return first


_LOWER = re.compile(r"lower\s*\(\s*\(?\s*[\"`]?([A-Za-z_][\w$]*)[\"`]?", re.IGNORECASE)


def _lower_indexed(conn: sa.Connection, table: str, schema: str | None) -> set[str]:
    """Columns with an expression index on `lower(column)` (PostgreSQL and SQLite; else none)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        defs = conn.execute(sa.text(
            "SELECT indexdef FROM pg_indexes"
            " WHERE tablename = :t AND schemaname = coalesce(:s, current_schema())"
        ), {"t": table, "s": schema}).scalars()
    elif dialect == "sqlite":
        master = f'"{schema}".sqlite_master' if schema else "sqlite_master"
        defs = conn.execute(sa.text(
            f"SELECT sql FROM {master} WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        ), {"t": table}).scalars()
    else:
        return set()
    return {m.group(1) for d in defs for m in _LOWER.finditer(d or "")}


def _create_index(engine: sa.Engine, table: sa.Table, column: str, lower: bool = False) -> str:
    name = f"ix_{table.name}_{column}{'_lower' if lower else ''}"[:60]
    expr = sa.func.lower(table.c[column]) if lower else table.c[column]
    return str(sa.schema.CreateIndex(sa.Index(name, expr)).compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True})).strip()


def _declared(spec: Table) -> list[tuple[tuple[Any, ...], str]]:
    """(keys in the policy, column) for every column a table names."""
    out: list[tuple[tuple[Any, ...], str]] = [(("primary_key",), spec.primary_key)]
    out += [(("identities", k), c) for k, c in spec.identities.items()]
    out += [(("fields", c), c) for c in spec.fields]
    out += [(("anchors", a), c) for a, c in spec.anchors.items()]
    out += [(("belongs_to", c), c) for c in spec.belongs_to]
    out += [(("references", c), c) for c in spec.references]
    out += [
        ((flag,), c)
        for flag, c in (("restricted_flag", spec.restricted_flag), ("opt_out_flag", spec.opt_out_flag))
        if c
    ]
    return out


def _check_table(
    rep: _Report,
    engine: sa.Engine,
    conn: sa.Connection,
    inspector: sa.Inspector,
    policy: Policy,
    sys_key: str,
    name: str,
    spec: Table,
    tables: dict[str, sa.Table],
) -> None:
    where = ("systems", sys_key, "tables", name)
    t = tables[name]
    for keys, column in _declared(spec):
        if column not in t.c:
            rep.add(
                (*where, *keys),
                f"systems.{sys_key}.tables.{name}: column {column!r} does not exist "
                f"in the database table {name}",
            )
    for edge in ("belongs_to", "references"):
        for column, target in getattr(spec, edge).items():
            ptable, pcol = split_target(target)
            parent = tables.get(ptable)
            if parent is not None and pcol not in parent.c:
                rep.add(
                    (*where, edge, column),
                    f"systems.{sys_key}.tables.{name}.{edge}.{column}: column "
                    f"{pcol!r} does not exist in table {ptable}",
                )
    schema, _, bare = name.rpartition(".")
    indexed = _indexed(inspector, bare, schema or None)
    joins = [(("identities", k), c, "identity") for k, c in spec.identities.items()]
    joins += [(("belongs_to", c), c, "ownership") for c in spec.belongs_to]
    # E-mail identities are compared as lower(column) on PostgreSQL and SQLite: a plain index
    # cannot serve that lookup, an expression index on lower(column) can.
    lowered = (_lower_indexed(conn, bare, schema or None) if engine.dialect.name in ("postgresql", "sqlite")
               and "email" in spec.identities else None)
    if lowered is not None:
        column = spec.identities["email"]
        joins = [j for j in joins if j[0] != ("identities", "email")]
        if column in t.c and column not in lowered:
            rep.add(
                (*where, "identities", "email"),
                f"systems.{sys_key}.tables.{name}: e-mail identity column {column!r} is matched as "
                f"lower({column}) and has no index on lower({column}); every request scans the table. "
                f"Run: {_create_index(engine, t, column, lower=True)}",
                "warning",
            )
    for keys, column, what in joins:
        if column in t.c and column not in indexed:
            rep.add(
                (*where, *keys),
                f"systems.{sys_key}.tables.{name}: {what} column {column!r} has no index; "
                f"every request scans the table. Run: {_create_index(engine, t, column)}",
                "warning",
            )
    erasure = table_erasure(policy, name, spec)
    for rule in erasure.fields:
        col = t.c.get(rule.column)
        if col is None or col.nullable or rule.strategy in (Strategy.keep, Strategy.delete):
            continue
        try:
            kind = col.type.python_type
        except NotImplementedError:
            continue
        if kind is str or kind in (date, datetime):
            continue
        owner = any(split_target(v)[0] == name for other in policy.systems[sys_key].tables.values()
                    for v in other.belongs_to.values())
        if erasure.mode == "delete" and not owner:
            continue  # deleted, never anonymised
        when = "" if erasure.mode == "anonymise" else " when its row is kept for held rows"
        strategy = (rule.strategy or Strategy.null).value
        rep.add(
            (*where, "fields", rule.column),
            f"systems.{sys_key}.tables.{name}.fields.{rule.column}: NOT NULL {kind.__name__} column cannot "
            f"be erased with '{strategy}'{when}; use erasure: delete or keep",
            "error" if erasure.mode == "anonymise" else "warning",
        )


def _check_system(rep: _Report, policy: Policy, sys_key: str, env: Mapping[str, str] | None) -> None:
    system = policy.systems[sys_key]
    where = ("systems", sys_key, "url")
    try:
        engine = create_system_engine(resolve_url(sys_key, system.url, env))
    except PersondataError as exc:
        rep.add(where, f"systems.{sys_key}.url: {exc}")
        return
    try:
        with engine.connect() as conn, quiet_reflection():
            inspector = sa.inspect(conn)
            md = sa.MetaData()
            tables: dict[str, sa.Table] = {}
            for name in system.tables:
                schema, _, bare = name.rpartition(".")
                if not inspector.has_table(bare, schema=schema or None):
                    rep.add(
                        ("systems", sys_key, "tables", name),
                        f"systems.{sys_key}.tables.{name}: table {name!r} does not exist in the database",
                    )
                    continue
                tables[name] = sa.Table(bare, md, schema=schema or None, autoload_with=conn)
            for name in tables:
                _check_table(rep, engine, conn, inspector, policy, sys_key, name, system.tables[name], tables)
    except (OperationalError, DBAPIError) as exc:
        rep.add(
            where,
            f"systems.{sys_key}: cannot connect to "
            f"{engine.url.render_as_string(hide_password=True)}: {exc.orig}",
        )
    finally:
        engine.dispose()


def check_systems(loaded: Any, env: Mapping[str, str] | None = None) -> list[Problem]:
    """Connect to every system and report what does not match the data map (a Policy or LoadedPolicy)."""
    policy: Policy = loaded if isinstance(loaded, Policy) else loaded.policy
    rep = _Report(loaded)
    for sys_key in policy.systems:
        _check_system(rep, policy, sys_key, env)
    return rep.problems
