"""The record of processing activities (Art. 30 GDPR) rendered from the policy.

Formats: `csv` (the Art. 30(1) record, or with processor=True the Art. 30(2) record),
`xlsx` (both records, one sheet each) and `jsonld` (both, in W3C DPV terms).
"""

from __future__ import annotations

from datetime import datetime, time

from persondata.errors import InputError
from persondata.policy.model import Policy
from persondata.policy.ropa.records import Record, controller_record, processor_record, ropa_language

FORMATS = ("csv", "xlsx", "jsonld")

__all__ = ["FORMATS", "Record", "controller_record", "processor_record", "render_ropa", "ropa_language"]


def render_ropa(policy: Policy, fmt: str, lang: str | None = None, processor: bool = False) -> bytes | str:
    """The record in csv (str), xlsx (bytes) or jsonld (str); lang defaults to the policy's first."""
    if fmt not in FORMATS:
        raise InputError(f"unknown record format {fmt!r}; use csv, xlsx or jsonld")
    if processor and fmt != "csv":
        raise InputError(f"processor=True only applies to csv; {fmt} always holds both records")
    if fmt == "jsonld":
        from persondata.policy.ropa.jsonld import to_jsonld

        return to_jsonld(policy)
    code = ropa_language(policy, lang)
    from persondata.policy.ropa.tabular import to_csv, to_xlsx

    if fmt == "csv":
        return to_csv(processor_record(policy, code) if processor else controller_record(policy, code))
    records = [controller_record(policy, code)]
    if policy.processor_activities:
        records.append(processor_record(policy, code))
    when = policy.controller.policy_date
    created = datetime.combine(when, time()) if when else None
    return to_xlsx(records, created)
