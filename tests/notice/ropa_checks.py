"""Checks of the record of processing shared by the fixture and example tests."""

from __future__ import annotations

import csv
import io
import warnings

import rdflib
from openpyxl import load_workbook
from rdflib.namespace import RDF

from persondata.i18n import t
from persondata.policy.model import Basis, Policy
from persondata.policy.ropa import render_ropa, ropa_language
from persondata.policy.ropa.records import CONTROLLER_COLUMNS, PROCESSOR_COLUMNS

DPV = rdflib.Namespace("https://w3id.org/dpv#")
GDPR = rdflib.Namespace("https://w3id.org/dpv/legal/eu/gdpr#")
BASIS_TERMS = {Basis.consent: "A6-1-a", Basis.contract: "A6-1-b", Basis.legal_obligation: "A6-1-c",
               Basis.vital_interest: "A6-1-d", Basis.public_task: "A6-1-e",
               Basis.legitimate_interest: "A6-1-f"}


def check_csv(policy: Policy) -> list[dict[str, str]]:
    """The Art. 30(1) CSV parses with one row per purpose and the localised columns."""
    lang = ropa_language(policy)
    text = render_ropa(policy, "csv")
    assert isinstance(text, str)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [t(lang, f"ropa.{k}") for k in CONTROLLER_COLUMNS]
    assert [r[0] for r in rows[1:]] == list(policy.purposes)
    assert all(len(r) == len(CONTROLLER_COLUMNS) for r in rows)
    records = list(csv.DictReader(io.StringIO(text)))
    for record in records:
        assert record[t(lang, "ropa.controller")].startswith(policy.controller.name)
        assert record[t(lang, "ropa.legal_basis")]
        assert record[t(lang, "ropa.retention")]
    processor = render_ropa(policy, "csv", processor=True)
    assert isinstance(processor, str)
    prow = list(csv.reader(io.StringIO(processor)))
    assert prow[0] == [t(lang, f"ropa.{k}") for k in PROCESSOR_COLUMNS]
    assert [r[0] for r in prow[1:]] == list(policy.processor_activities)
    return records


def check_xlsx(policy: Policy) -> None:
    """The workbook opens, has a styled frozen header and one sheet per record."""
    lang = ropa_language(policy)
    data = render_ropa(policy, "xlsx")
    assert isinstance(data, bytes)
    wb = load_workbook(io.BytesIO(data))
    expected = [t(lang, "ropa.sheet_controller")]
    if policy.processor_activities:
        expected.append(t(lang, "ropa.sheet_processor"))
    assert wb.sheetnames == expected
    ws = wb[expected[0]]
    header = [c.value for c in ws[1]]
    assert header == [t(lang, f"ropa.{k}") for k in CONTROLLER_COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    assert ws.max_row == len(policy.purposes) + 1
    assert [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)] == list(policy.purposes)
    assert all((ws.column_dimensions[c].width or 0) >= 12 for c in "ABCDEFGHIJKLMNOPQ")
    if policy.processor_activities:
        ps = wb[expected[1]]
        assert [c.value for c in ps[1]] == [t(lang, f"ropa.{k}") for k in PROCESSOR_COLUMNS]
        assert ps.max_row == len(policy.processor_activities) + 1


def check_jsonld(policy: Policy) -> rdflib.Graph:
    """The JSON-LD parses as RDF with one process per purpose and the right legal bases."""
    text = render_ropa(policy, "jsonld")
    assert isinstance(text, str)
    g = rdflib.Graph()
    with warnings.catch_warnings():  # rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        g.parse(data=text, format="json-ld")
    with_purpose = list(g.subject_objects(DPV.hasPurpose))
    assert len(with_purpose) == len(policy.purposes)
    identifier = rdflib.URIRef("http://purl.org/dc/terms/identifier")
    by_id = {str(g.value(s, identifier)): s for s, _ in with_purpose}
    assert set(by_id) == set(policy.purposes)
    for key, p in policy.purposes.items():
        process = by_id[key]
        assert (process, RDF.type, DPV.Process) in g
        bases = set(g.objects(process, DPV.hasLegalBasis))
        assert GDPR[BASIS_TERMS[p.basis]] in bases, key
        others = {b for b in bases if isinstance(b, rdflib.URIRef) and str(b).startswith(str(GDPR) + "A6")}
        assert others == {GDPR[BASIS_TERMS[p.basis]]}, key
        if p.art9 is not None:
            assert any(str(b).startswith(str(GDPR) + "A9-2-") for b in bases)
        assert len(list(g.objects(process, DPV.hasPersonalData))) == len(set(p.categories))
        assert len(list(g.objects(process, DPV.hasDataSubject))) == len(set(p.subjects))
        assert len(list(g.objects(process, DPV.hasRecipient))) == len(set(p.recipients))
        assert g.value(process, DPV.hasDataController) is not None
        storage = g.value(process, DPV.hasStorageCondition)
        assert storage is not None and (storage, RDF.type, DPV.StorageDuration) in g
        assert g.value(storage, DPV.hasDuration) is not None
    processor_runs = list(g.subjects(DPV.hasDataProcessor, None))
    assert len(processor_runs) == len(policy.processor_activities)
    return g
