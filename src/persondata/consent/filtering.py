"""`consent filter`: keep the identities of a list that may be processed for a purpose.

Built for send lists of millions: the input is read in chunks, normalised and hashed on
the fast path, and matched against the allowed set. A short list is looked up in
batches (IN chunks of 1,000); a long one loads the purpose's granted subjects once and
streams. Restricted subjects (Art. 18) are excluded through a provider of keyed hashes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import TextIO

from sqlalchemy.orm import Session

from persondata.audit import service as audit
from persondata.consent import repository
from persondata.consent.bulk import Normaliser
from persondata.consent.service import check_purpose
from persondata.errors import InputError, PersondataError
from persondata.identity import Hasher
from persondata.policy.model import Policy

CHUNK = 100_000
MAX_PROBLEMS = 20
Exclusions = Callable[[Session], Iterable[str]]


@dataclass
class FilterReport:
    """What a filter run read, kept and skipped."""

    purpose: str
    read: int = 0
    written: int = 0
    invalid: int = 0
    excluded: int = 0
    problems: list[str] = field(default_factory=list)


def default_exclusions() -> Exclusions | None:
    """The DSR engine's restricted subjects (keyed hashes), when it provides them."""
    try:
        from persondata.dsr import repository as dsr_repository
    except ImportError:
        return None
    provider = getattr(dsr_repository, "restricted_hashes", None)
    return provider if callable(provider) else None


def _sniff(first: str) -> str | None:
    for delimiter in (",", ";", "\t"):
        if delimiter in first:
            return delimiter
    return None


class _Rows:
    """The input as (line number, identity text, row to write back)."""

    def __init__(self, source: TextIO, fmt: str, column: str | None, normaliser: Normaliser) -> None:
        self.source = source
        first = source.readline()
        self.header: list[str] | None = None
        self.delimiter = _sniff(first) if fmt != "lines" else None
        columns = {column} if column else {"identity", *normaliser.kinds}
        cells = next(csv.reader([first], delimiter=self.delimiter or ",")) if first else []
        names = [c.strip().lower() for c in cells]
        is_csv = fmt == "csv" or (fmt == "auto" and any(n in columns for n in names))
        if is_csv:
            wanted = [n for n in names if n in columns]
            if not wanted:
                raise InputError(f"line 1: the header has no column {column or 'identity or a kind'} "
                                 f"(columns: {', '.join(names) or 'none'})")
            self.header = cells
            self.index = names.index(wanted[0])
            self.kind = None if wanted[0] == "identity" else wanted[0]
            self.first: list[str] = []
        else:
            self.index, self.kind = 0, None
            self.first = [first] if first else []

    def __iter__(self) -> Iterator[tuple[int, str, str | list[str]]]:
        if self.header is not None:
            reader = csv.reader(self.source, delimiter=self.delimiter or ",")
            try:
                for row in reader:
                    if not row:
                        continue
                    text = row[self.index] if self.index < len(row) else ""
                    yield reader.line_num + 1, text, row
            except csv.Error as exc:
                raise InputError(f"line {reader.line_num + 1}: broken CSV: {exc}") from exc
            return
        for lineno, line in enumerate(chain(self.first, self.source), start=1):
            text = line.strip()
            if text and not text.startswith("#"):
                yield lineno, text, text


def filter_identities(session: Session, policy: Policy, hasher: Hasher, source: TextIO, out: TextIO,
                      purpose: str, *, actor: str, fmt: str = "auto", column: str | None = None,
                      kind: str | None = None, excluded_hashes: Exclusions | None = None) -> FilterReport:
    """Write to `out` the entries of `source` that may be processed for `purpose` now."""
    check_purpose(policy, purpose, marketing_ok=True)
    if fmt not in ("auto", "csv", "lines"):
        raise InputError(f"unknown list format {fmt!r}; use auto, csv or lines")
    normaliser = Normaliser(policy, hasher)
    kind = normaliser.check_kind(kind) if kind else None
    rows = _Rows(source, fmt, column.strip().lower() if column else None, normaliser)
    kind = kind or rows.kind
    report = FilterReport(purpose)
    writer = csv.writer(out, delimiter=rows.delimiter or ",", lineterminator="\n")
    if rows.header is not None:
        writer.writerow(rows.header)
    provider = excluded_hashes or default_exclusions()
    excluded = set(provider(session)) if provider is not None else set()
    by_consent = purpose in policy.consent_purposes()
    allowed: set[str] | None = None
    fast = normaliser.fast_subject if kind in (None, "email") else None
    stream = iter(rows)
    while chunk := list(islice(stream, CHUNK)):
        subjects: list[str | None] = []
        add = subjects.append
        for lineno, text, _row in chunk:
            subject = fast(text) if fast is not None else None
            if subject is None:
                try:
                    k, raw = normaliser.split(text, kind)
                    subject = normaliser.subject(k, raw)
                except PersondataError as exc:
                    report.invalid += 1
                    if len(report.problems) < MAX_PROBLEMS:
                        report.problems.append(f"line {lineno}: {exc}")
            add(subject)
        report.read += len(chunk)
        if allowed is None and len(chunk) == CHUNK:  # a long list: load the allowed set once
            allowed = _load_all(session, purpose, by_consent)
        known = allowed if allowed is not None else _lookup(session, purpose, by_consent, subjects)
        keep = known.__contains__ if by_consent else (lambda x, _k=known: x not in _k)
        for (_lineno, text, row), subject in zip(chunk, subjects, strict=True):
            if subject is None or not keep(subject):
                continue
            if subject in excluded:
                report.excluded += 1
                continue
            report.written += 1
            if isinstance(row, list):
                writer.writerow(row)
            else:
                out.write(text + "\n")
    audit.record(session, actor=actor, action="consent.filtered", target=f"consent:{purpose}",
                 details={"read": report.read, "written": report.written, "invalid": report.invalid,
                          "excluded": report.excluded})
    return report


def _load_all(session: Session, purpose: str, by_consent: bool) -> set[str]:
    if by_consent:
        return repository.granted_subject_set(session, purpose)
    return set(repository.suppressed_subjects(session))


def _lookup(session: Session, purpose: str, by_consent: bool, subjects: list[str | None]) -> set[str]:
    wanted = {s for s in subjects if s is not None}
    if by_consent:
        return repository.granted_among(session, purpose, wanted)
    return repository.suppressed_among(session, wanted)


def filter_text(session: Session, policy: Policy, hasher: Hasher, text: str, purpose: str,
                **kwargs: object) -> tuple[str, FilterReport]:
    """filter_identities on a string (tests, small lists); returns (output, report)."""
    out = io.StringIO()
    report = filter_identities(session, policy, hasher, io.StringIO(text), out, purpose, **kwargs)  # type: ignore[arg-type]
    return out.getvalue(), report
