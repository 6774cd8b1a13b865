"""Access and portability (Art. 15, Art. 20): everything held on one subject, with the Art. 15 information."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from persondata.connectors.found import Discovery
from persondata.connectors.graph import DataMap
from persondata.connectors.sql import Systems
from persondata.connectors.walk import discover
from persondata.db.base import utcnow
from persondata.dsr import repository
from persondata.dsr.art15 import authority_out, controller_out, rights_out, table_out
from persondata.dsr.common import (
    Decrypt,
    audit,
    identity_hashes,
    identity_strings,
    require_identities,
    subject_hash,
    systems_for,
)
from persondata.dsr.results import AccessResult, TableOut
from persondata.i18n import normalise_lang
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy


def access(
    session: Session,
    policy: Policy,
    identities: Sequence[Identity],
    *,
    hasher: Hasher,
    actor: str,
    lang: str | None = None,
    now: datetime | None = None,
    systems: Systems | None = None,
    env: Mapping[str, str] | None = None,
    decrypt: Decrypt | None = None,
    expand: bool = True,
    request_ref: str | None = None,
) -> AccessResult:
    """Find every row held on the subject (read-only) and describe it per Art. 15; audited."""
    ids = require_identities(identities)
    now = now or utcnow()
    lang = normalise_lang(lang or policy.controller.languages[0])
    dm = DataMap.of(policy)
    order = {ref: i for i, ref in enumerate(r for s in dm.systems() for r in dm.order(s))}

    def described(found: Discovery) -> tuple[list[TableOut], bool]:
        """The subject's tables per Art. 15, and whether any of the identities is restricted."""
        tables = [table_out(policy, ref, dm.spec(ref), found.tables[ref], lang, decrypt=decrypt)
                  for ref in sorted(found.tables, key=order.__getitem__)]
        return tables, bool(repository.restricted_among(session, identity_hashes(hasher, found.identities)))

    ahead: list[tuple[Discovery, tuple[list[TableOut], bool]]] = []  # while identity expansion runs
    with systems_for(policy, systems, env) as sy:
        found = discover(dm, sy.get, ids, country=policy.controller.country, expand=expand,
                         ahead=lambda so_far: ahead.append((so_far, described(so_far))))
    tables, restricted = (ahead[-1][1] if ahead and found.same_finds(ahead[-1][0])
                          else described(found))
    references = [table_out(policy, ref, dm.spec(ref), found.references[ref], lang, reached="reference",
                            decrypt=decrypt)
                  for ref in sorted(found.references, key=order.__getitem__)]
    audit(session, actor=actor, action="dsr.access", subject=subject_hash(hasher, ids),
          target=",".join(sorted({r.system for r in found.tables})) or None,
          details={"identities": sorted({i.kind for i in found.identities}),
                   "rows": {str(r): len(t.rows) for r, t in sorted(found.tables.items())},
                   "referenced": {str(r): len(t.rows) for r, t in sorted(found.references.items())},
                   "request": request_ref},
          at=now)
    return AccessResult(
        generated_at=now, lang=lang, controller=controller_out(policy),
        requested=identity_strings(ids), identities=identity_strings(found.identities),
        tables=tables, references=references, rights=rights_out(lang), authority=authority_out(policy, lang),
        restricted=restricted, row_count=found.row_count(), queries=found.queries,
    )
