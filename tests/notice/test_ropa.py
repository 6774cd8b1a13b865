"""The record of processing rendered from the compact fixture policy."""

from __future__ import annotations

import csv
import io

import pytest
import rdflib
from rdflib.namespace import RDF, XSD
from tests.notice.ropa_checks import DPV, GDPR, check_csv, check_jsonld, check_xlsx

from persondata.errors import InputError
from persondata.policy.model import Policy
from persondata.policy.ropa import render_ropa

LOC = rdflib.Namespace("https://w3id.org/dpv/loc#")


def test_csv_rows_in_danish(compact: Policy) -> None:
    rows = {r["ID"]: r for r in check_csv(compact)}
    assert rows["bookkeeping"]["Retsgrundlag"] == (
        "Retlig forpligtelse (databeskyttelsesforordningens art. 6, stk. 1, litra c)")
    assert rows["bookkeeping"]["Lov / legitim interesse"] == "Bogføringsloven § 10"
    assert rows["bookkeeping"]["Tidsfrister for sletning"] == "5 år efter udgangen af året for fakturadatoen"
    assert rows["fraud"]["Lov / legitim interesse"] == "At beskytte webshoppen mod svindel"
    assert rows["recruitment"]["Betingelse efter art. 9"] == (
        "Dit udtrykkelige samtykke (art. 9, stk. 2, litra a)")
    assert rows["recruitment"]["Fælles dataansvarlige"] == "Fjordlys Group AS (Norge)"
    assert "Helbredsoplysninger (særlig kategori)" in rows["recruitment"]["Kategorier af personoplysninger"]
    assert rows["newsletter"]["Overførsler til tredjelande og garantier"].startswith(
        "Mailchimp (Intuit Inc.) (USA): EU-U.S. Data Privacy Framework")
    assert rows["orders"]["Overførsler til tredjelande og garantier"] == "Ingen"
    assert rows["orders"]["Dataansvarlig"] == (
        "Fjordlys ApS; CVR-nr. DK13585628; Havnegade 12, 8000 Aarhus C; Danmark")
    assert rows["orders"]["Databeskyttelsesrådgiver"] == "Mette Holm; dpo@fjordlys.example"
    assert rows["orders"]["Tekniske og organisatoriske sikkerhedsforanstaltninger"] == (
        "Kryptering af data i hvile og under overførsel; Adgangsstyring med tofaktorgodkendelse")


def test_processor_csv_in_english(compact: Policy) -> None:
    text = render_ropa(compact, "csv", lang="en", processor=True)
    assert isinstance(text, str)
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["ID"] == "hosting"
    assert row["Controllers on whose behalf we process"] == "Business customers with a hosting agreement"
    assert row["Sub-processors"] == "Google LLC (Data processor, United States)"
    assert row["Transfers to third countries and safeguards"].startswith(
        "Google LLC (United States): EU standard contractual clauses (Art. 46(2)(c) GDPR)")
    security = row["Technical and organisational security measures"]
    assert security.startswith("Daily backup in two data centres; ")


def test_xlsx_sheets(compact: Policy) -> None:
    check_xlsx(compact)


def test_jsonld_in_dpv_terms(compact: Policy) -> None:
    g = check_jsonld(compact)
    base = "urn:persondata:dk13585628:"
    process = rdflib.URIRef(base + "process/recruitment")
    assert GDPR["A6-1-a"] in set(g.objects(process, DPV.hasLegalBasis))
    assert GDPR["A9-2-a"] in set(g.objects(process, DPV.hasLegalBasis))
    health = rdflib.URIRef(base + "data/user.health_and_medical")
    assert (health, RDF.type, DPV.SpecialCategoryPersonalData) in g
    assert (rdflib.URIRef(base + "recipient/group"), RDF.type, DPV.DataController) in g
    controller = rdflib.URIRef(base + "controller")
    assert (controller, DPV.hasDataProtectionOfficer, rdflib.URIRef(base + "dpo")) in g
    # third-country transfer of the newsletter: US, adequacy (DPF)
    newsletter = rdflib.URIRef(base + "process/newsletter")
    (transfer,) = list(g.objects(newsletter, DPV.hasProcess))
    assert g.value(transfer, DPV.hasThirdCountry) == LOC.US
    assert g.value(transfer, DPV.hasLegalBasis) == GDPR["A45-3"]
    assert g.value(transfer, DPV.hasProcessing) == DPV.Transfer
    # machine-readable duration of a fixed-period rule
    storage = g.value(rdflib.URIRef(base + "process/orders"), DPV.hasStorageCondition)
    duration = g.value(storage, DPV.hasDuration)
    value = g.value(duration, RDF.value)
    assert isinstance(value, rdflib.Literal) and value.datatype == XSD.duration and str(value) == "P3Y"
    labels = {(str(x), x.language) for x in g.objects(duration, rdflib.RDFS.label)
              if isinstance(x, rdflib.Literal)}
    assert ("3 år efter kundeforholdets afslutning", "da") in labels
    assert ("3 years after the customer relationship ends", "en") in labels
    # Art. 30(2): we are the processor
    hosting = rdflib.URIRef(base + "processor-activity/hosting")
    assert g.value(hosting, DPV.hasDataProcessor) == rdflib.URIRef(base + "controller")


def test_bad_format_and_processor_combination(compact: Policy) -> None:
    with pytest.raises(InputError, match="csv, xlsx or jsonld"):
        render_ropa(compact, "pdf")
    with pytest.raises(InputError, match="only applies to csv"):
        render_ropa(compact, "xlsx", processor=True)
