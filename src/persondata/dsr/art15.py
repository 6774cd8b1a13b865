"""The Art. 15 information per table: purposes, categories, recipients, retention, source; rights."""

from __future__ import annotations

from typing import Any

from persondata.authorities import authority_for
from persondata.connectors.found import FoundTable
from persondata.connectors.graph import TableRef
from persondata.dsr.common import Decrypt, json_value, recipients_of
from persondata.dsr.results import AuthorityOut, ColumnOut, PurposeOut, RightOut, TableOut
from persondata.i18n import t
from persondata.i18n.describe import basis_detail, basis_name, retention_words
from persondata.policy.model import Basis, Policy, Table, text_in
from persondata.policy.taxonomy import category_name

RIGHTS = ("access", "rectification", "erasure", "restriction", "portability", "objection", "withdraw",
          "complaint")
PORTABLE_BASES = (Basis.consent, Basis.contract)


def purposes_out(policy: Policy, keys: list[str], lang: str) -> list[PurposeOut]:
    """A table's purposes in words."""
    out = []
    for key in keys:
        p = policy.purposes.get(key)
        if p is None:
            continue
        out.append(PurposeOut(key=key, name=text_in(p.name, lang) or key, basis=p.basis.value,
                              basis_text=basis_name(p.basis, lang), detail=basis_detail(p, lang),
                              retention=p.retention, retention_text=retention_words(p, lang)))
    return out


def source_text(policy: Policy, spec: Table, lang: str) -> str:
    """Where the table's data comes from: the table's source, its purposes' sources, else the subject."""
    if spec.source is not None:
        return text_in(spec.source, lang)
    sources = [text_in(policy.purposes[p].source, lang) for p in spec.purposes
               if p in policy.purposes and policy.purposes[p].source is not None]
    return "; ".join(dict.fromkeys(sources)) if sources else t(lang, "notice.from_you")


def table_portable(policy: Policy, spec: Table) -> bool:
    """Art. 20: the table's data was provided under consent or contract."""
    return any(p in policy.purposes and policy.purposes[p].basis in PORTABLE_BASES for p in spec.purposes)


def columns_out(policy: Policy, spec: Table, names: list[str], lang: str, decrypted: bool) -> list[ColumnOut]:
    """Each exported column with its category and whether it is portable."""
    portable = table_portable(policy, spec)
    out = []
    for name in names:
        if name in spec.fields:
            f = spec.field_spec(name)
            out.append(ColumnOut(
                name=name, category=f.category, category_name=category_name(f.category, lang, policy),
                portable=f.portable if f.portable is not None else portable, encrypted=f.encrypted,
                decrypted=f.encrypted and decrypted))
        else:
            out.append(ColumnOut(name=name, portable=portable))
    return out


def _row_values(row: dict[str, Any], encrypted: set[str], decrypt: Decrypt | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, value in row.items():
        if column in encrypted and decrypt is not None and value is not None:
            value = decrypt(value)
        out[column] = json_value(value)
    return out


_INFO: dict[tuple[int, str, str, str, tuple[str, ...], bool], tuple[Policy, dict[str, Any]]] = {}


def _info(policy: Policy, ref: TableRef, spec: Table, names: list[str], lang: str,
          decrypted: bool) -> dict[str, Any]:
    """The table's Art. 15 information (the same for every subject: cached per policy)."""
    key = (id(policy), ref.system, ref.table, lang, tuple(names), decrypted)
    hit = _INFO.get(key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    categories = [spec.field_spec(c).category for c in spec.fields]
    info: dict[str, Any] = {
        "description": text_in(spec.description, lang),
        "columns": columns_out(policy, spec, names, lang, decrypted),
        "purposes": purposes_out(policy, spec.purposes, lang),
        "categories": list(dict.fromkeys(category_name(c, lang, policy) for c in categories)),
        "recipients": recipients_of(policy, spec.purposes, lang),
        "source": source_text(policy, spec, lang),
    }
    if len(_INFO) > 1024:
        _INFO.clear()
    _INFO[key] = (policy, info)
    return info


def table_out(
    policy: Policy,
    ref: TableRef,
    spec: Table,
    found: FoundTable,
    lang: str,
    *,
    reached: str = "subject",
    decrypt: Decrypt | None = None,
) -> TableOut:
    """One table's rows and Art. 15 information."""
    keys = sorted(found.rows, key=lambda k: (str(type(k)), k))
    rows = [found.rows[k] for k in keys]
    names = list(rows[0]) if rows else []
    encrypted = {c for c in spec.fields if spec.field_spec(c).encrypted}
    return TableOut(
        system=ref.system, table=ref.table, reached="reference" if reached == "reference" else "subject",
        rows=[_row_values(r, encrypted, decrypt) for r in rows],
        **_info(policy, ref, spec, names, lang, decrypt is not None),
    )


def rights_out(lang: str) -> list[RightOut]:
    """Every right in words."""
    return [RightOut(key=k, title=t(lang, f"rights.{k}.title"), text=t(lang, f"rights.{k}.text"))
            for k in RIGHTS]


def authority_out(policy: Policy, lang: str) -> AuthorityOut:
    """The supervisory authority of the controller's country."""
    a = authority_for(policy.controller.country)
    return AuthorityOut(name=a.name_in(lang), address=list(a.postal_address), email=a.email, phone=a.phone,
                        website=a.website, complaint_url=a.complaint_url)


def controller_out(policy: Policy) -> dict[str, Any]:
    """The controller's contact details."""
    c = policy.controller
    return {"name": c.name, "email": c.email, "address": c.address, "phone": c.phone,
            "registration": c.registration,
            "dpo": c.dpo.model_dump(exclude_none=True) if c.dpo is not None else None,
            "rights_contact": policy.rights.contact or c.email}
