"""What retention needs to know about each table, resolved from the policy (no database here).

A table's purposes are its own; a table that declares none inherits its owner's (along the
first `belongs_to` edge), so order lines go with their order. An anchor, identity column or
opt-out flag the table does not map itself is looked up on its owners the same way: the SQL
joins the owner rows in (sms_log -> account for the account's e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from persondata.connectors.graph import DataMap, Edge, TableRef, split_target
from persondata.connectors.strategies import TableErasure, table_erasure
from persondata.policy.model import Basis, Policy, Table
from persondata.policy.retention import RetentionRule, parse_retention
from persondata.retention.expiry import Term

MAX_HOPS = 6


@dataclass(frozen=True)
class ColumnRef:
    """A column of the table itself (hops == ()) or of an owner reached along ownership edges."""

    hops: tuple[Edge, ...]
    column: str

    def __str__(self) -> str:
        where = self.hops[-1].parent.table if self.hops else "row"
        return f"{where}.{self.column}"


@dataclass
class TableRules:
    """A table's retention: terms, where its anchors and identities are, how it is erased."""

    ref: TableRef
    spec: Table
    terms: list[Term]
    purposes_from: TableRef | None
    anchors: dict[str, ColumnRef]
    identities: dict[str, ColumnRef]
    opt_out: ColumnRef | None
    erasure: TableErasure
    encrypted: list[str]
    children: list[Edge]
    referrers: list[Edge] = field(default_factory=list)  # non-ownership references to this table
    problems: list[str] = field(default_factory=list)

    @property
    def opt_out_declared(self) -> bool:
        """True when the table declares opt_out_flag: opting out of logging expires its rows."""
        return self.spec.opt_out_flag is not None

    @property
    def has_consent(self) -> bool:
        """True when withdrawing consent can end one of its purposes."""
        return any(t.consent for t in self.terms)

    def rule_text(self) -> str:
        """The table's rules in one line: `purpose: rule; ...`."""
        return "; ".join(f"{t.purpose}: {t.rule.text if t.rule else 'no retention rule'}"
                         for t in self.terms) or "no purpose"


@lru_cache(maxsize=512)
def _parse(text: str) -> RetentionRule:
    return parse_retention(text)


def _owner_chain(dm: DataMap, ref: TableRef) -> list[tuple[tuple[Edge, ...], TableRef]]:
    """The table and its owners along first ownership edges: [((), self), ((e1,), owner), ...]."""
    out: list[tuple[tuple[Edge, ...], TableRef]] = [((), ref)]
    hops: tuple[Edge, ...] = ()
    seen = {ref}
    current = ref
    while len(hops) < MAX_HOPS:
        owners = dm.owners(current)
        if not owners or owners[0].parent in seen:
            break
        edge = owners[0]
        hops = (*hops, edge)
        current = edge.parent
        seen.add(current)
        out.append((hops, current))
    return out


def _flag_ref(dm: DataMap, chain: list[tuple[tuple[Edge, ...], TableRef]], flag: str) -> ColumnRef:
    """`column` on the table itself, or `owner_table.column` on one of its owners."""
    if "." not in flag:
        return ColumnRef((), flag)
    table, column = split_target(flag)
    for hops, ref in chain:
        if ref.table == table:
            return ColumnRef(hops, column)
    return ColumnRef((), flag)


def table_rules(policy: Policy, dm: DataMap, ref: TableRef) -> TableRules:
    """Resolve a table's retention from the policy and the data map."""
    spec = dm.spec(ref)
    chain = _owner_chain(dm, ref)
    problems: list[str] = []
    purposes: list[str] = []
    purposes_from: TableRef | None = None
    for _hops, owner in chain:
        if dm.spec(owner).purposes:
            purposes, purposes_from = list(dm.spec(owner).purposes), owner
            break
    terms: list[Term] = []
    for key in purposes:
        purpose = policy.purposes.get(key)
        if purpose is None:
            problems.append(f"purpose {key!r} is not defined; its rows are kept")
            terms.append(Term(key, Basis.contract, None))
            continue
        rule = _parse(purpose.retention) if purpose.retention else None
        terms.append(Term(key, purpose.basis, rule))
    anchors: dict[str, ColumnRef] = {}
    for term in terms:
        if term.anchor is None or term.anchor in anchors:
            continue
        for hops, owner in chain:
            column = dm.spec(owner).anchors.get(term.anchor)
            if column is not None:
                anchors[term.anchor] = ColumnRef(hops, column)
                break
        else:
            problems.append(f"anchor {term.anchor!r} of purpose {term.purpose} is not mapped to a column;"
                            f" under that purpose the rows are kept")
    identities: dict[str, ColumnRef] = {}
    for hops, owner in chain:
        if dm.spec(owner).identities:
            identities = {k: ColumnRef(hops, c) for k, c in dm.spec(owner).identities.items()}
            break
    opt_out = _flag_ref(dm, chain, spec.opt_out_flag) if spec.opt_out_flag else None
    encrypted = [c for c in spec.fields if spec.field_spec(c).encrypted]
    if not terms:
        problems.append("no purpose (own or inherited): its rows are kept")
    return TableRules(ref=ref, spec=spec, terms=terms, purposes_from=purposes_from, anchors=anchors,
                      identities=identities, opt_out=opt_out,
                      erasure=table_erasure(policy, ref.table, spec), encrypted=encrypted,
                      children=dm.children(ref),
                      referrers=[e for e in dm.edges if e.parent == ref and not e.ownership],
                      problems=problems)


def all_rules(policy: Policy, dm: DataMap | None = None) -> list[TableRules]:
    """Every table's rules, per system in erasing order (children before parents)."""
    dm = dm or DataMap(policy)
    return [table_rules(policy, dm, ref) for system in dm.systems() for ref in dm.erase_order(system)]
