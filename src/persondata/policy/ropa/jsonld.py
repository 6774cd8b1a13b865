"""The records as JSON-LD in the W3C Data Privacy Vocabulary (DPV 2) and its EU-GDPR extension.

Each purpose is a `dpv:Process` with `dpv:hasPurpose`, `dpv:hasLegalBasis` (eu-gdpr:A6-1-a..f,
plus eu-gdpr:A9-2-x for special categories), `dpv:hasPersonalData`, `dpv:hasDataSubject`,
`dpv:hasRecipient`, `dpv:hasDataController`, `dpv:hasStorageCondition` (a dpv:StorageDuration
with `dpv:hasDuration`) and `dpv:hasTechnicalOrganisationalMeasure`. Third-country transfers
are nested processes (`dpv:hasProcessing dpv:Transfer`) with `dpv:hasThirdCountry` and their
Chapter V basis. Art. 30(2) activities are processes with `dpv:hasDataProcessor` (us) and
the clients as `dpv:hasDataController`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from persondata.i18n import SUPPORTED, t
from persondata.i18n import describe as d
from persondata.policy.model import Art9Condition, Basis, LocalText, Policy, Role, Transfer, text_in

CONTEXT = {
    "dpv": "https://w3id.org/dpv#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "loc": "https://w3id.org/dpv/loc#",
    "dct": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "https://schema.org/",
}

LEGAL_BASIS = {
    Basis.consent: "eu-gdpr:A6-1-a",
    Basis.contract: "eu-gdpr:A6-1-b",
    Basis.legal_obligation: "eu-gdpr:A6-1-c",
    Basis.vital_interest: "eu-gdpr:A6-1-d",
    Basis.public_task: "eu-gdpr:A6-1-e",
    Basis.legitimate_interest: "eu-gdpr:A6-1-f",
}
"""Art. 6(1) bases as DPV EU-GDPR concepts."""

ART9 = {
    Art9Condition.explicit_consent: "eu-gdpr:A9-2-a",
    Art9Condition.employment_law: "eu-gdpr:A9-2-b",
    Art9Condition.vital_interest: "eu-gdpr:A9-2-c",
    Art9Condition.nonprofit_body: "eu-gdpr:A9-2-d",
    Art9Condition.made_public: "eu-gdpr:A9-2-e",
    Art9Condition.legal_claims: "eu-gdpr:A9-2-f",
    Art9Condition.substantial_public_interest: "eu-gdpr:A9-2-g",
    Art9Condition.health_care: "eu-gdpr:A9-2-h",
    Art9Condition.public_health: "eu-gdpr:A9-2-i",
    Art9Condition.archiving_research: "eu-gdpr:A9-2-j",
}
"""Art. 9(2) conditions as DPV EU-GDPR concepts."""

TRANSFER = {
    Transfer.adequacy: "eu-gdpr:A45-3",
    Transfer.dpf: "eu-gdpr:A45-3",  # the EU-US Data Privacy Framework is an adequacy decision
    Transfer.scc: "eu-gdpr:A46-2-c",
    Transfer.bcr: "eu-gdpr:A46-2-b",
}
"""Chapter V mechanisms as DPV EU-GDPR concepts (derogations are described, not named)."""

ROLE_TYPES = {
    Role.processor: ["dpv:Recipient", "dpv:DataProcessor"],
    Role.sub_processor: ["dpv:Recipient", "dpv:DataSubProcessor"],
    Role.controller: ["dpv:Recipient", "dpv:DataController", "dpv:ThirdParty"],
    Role.joint_controller: ["dpv:Recipient", "dpv:DataController"],
    Role.public_authority: ["dpv:Recipient", "dpv:Authority"],
}

_ISO_UNIT = {"days": "D", "weeks": "W", "months": "M", "years": "Y"}


def _langs(policy: Policy) -> list[str]:
    own = ["nb" if x.lower() in ("no", "nb") else x.lower() for x in policy.controller.languages]
    return [x for x in dict.fromkeys(own) if x in SUPPORTED] or ["en"]


def _label(value: LocalText | None, langs: list[str]) -> list[dict[str, str]] | str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return [{"@value": text_in(value, lang), "@language": lang} for lang in langs]


def _base(policy: Policy) -> str:
    ident = policy.controller.registration or policy.controller.name
    slug = re.sub(r"[^a-z0-9]+", "-", ident.lower()).strip("-") or "controller"
    return f"urn:persondata:{slug}:"


def _storage(policy: Policy, key: str, langs: list[str]) -> dict[str, Any]:
    p = policy.purposes[key]
    duration: dict[str, Any] = {
        "@type": "dpv:Duration",
        "rdfs:label": [{"@value": d.retention_words(p, lang, policy), "@language": lang} for lang in langs],
    }
    if p.retention:
        from persondata.policy.retention import parse_retention

        rule = parse_retention(p.retention)
        duration["dct:description"] = str(rule)
        if rule.n is not None and rule.unit in _ISO_UNIT:
            duration["rdf:value"] = {"@value": f"P{rule.n}{_ISO_UNIT[rule.unit]}", "@type": "xsd:duration"}
    return {"@type": "dpv:StorageDuration", "dpv:hasDuration": duration}


def _transfer_nodes(policy: Policy, base: str, keys: list[str]) -> list[dict[str, Any]]:
    out = []
    for key in keys:
        r = policy.recipients.get(key)
        if r is None or d.in_eea(r.country):
            continue
        node: dict[str, Any] = {
            "@type": "dpv:Process",
            "dpv:hasProcessing": {"@id": "dpv:Transfer"},
            "dpv:hasRecipient": {"@id": f"{base}recipient/{key}"},
            "dpv:hasThirdCountry": {"@id": f"loc:{r.country}"},
            "rdfs:label": d.transfer_words(r, "en"),
        }
        if r.transfer in TRANSFER:
            node["dpv:hasLegalBasis"] = {"@id": TRANSFER[r.transfer]}
        elif r.transfer is not None:
            node["dpv:hasLegalBasis"] = {"@type": "dpv:DataTransferLegalBasis",
                                         "rdfs:label": t("en", f"transfer.{r.transfer.value}")}
        out.append(node)
    return out


def _entities(policy: Policy, base: str, langs: list[str]) -> list[dict[str, Any]]:
    from persondata.policy.taxonomy import is_special

    c = policy.controller
    controller: dict[str, Any] = {"@id": f"{base}controller", "@type": "dpv:DataController",
                                  "rdfs:label": c.name, "schema:email": c.email,
                                  "dpv:hasCountry": {"@id": f"loc:{c.country}"}}
    for attr, prop in (("registration", "dct:identifier"), ("address", "schema:address"),
                       ("phone", "schema:telephone"), ("website", "schema:url")):
        if getattr(c, attr):
            controller[prop] = getattr(c, attr)
    nodes = [controller]
    if c.dpo is not None:
        controller["dpv:hasDataProtectionOfficer"] = {"@id": f"{base}dpo"}
        dpo: dict[str, Any] = {"@id": f"{base}dpo", "@type": "dpv:DataProtectionOfficer",
                               "rdfs:label": c.dpo.name}
        if c.dpo.email:
            dpo["schema:email"] = c.dpo.email
        nodes.append(dpo)
    if c.representative is not None:
        controller["dpv:hasRepresentative"] = {"@type": "dpv:Representative",
                                               "rdfs:label": c.representative.name}
    for key, s in policy.subjects.items():
        nodes.append({"@id": f"{base}subject/{key}", "@type": "dpv:DataSubject",
                      "rdfs:label": _label(s.name, langs)})
    categories = dict.fromkeys(
        [k for p in policy.purposes.values() for k in p.categories]
        + [k for a in policy.processor_activities.values() for k in a.categories])
    for key in categories:
        special = ["dpv:SpecialCategoryPersonalData"] if is_special(key, policy) else []
        types = ["dpv:PersonalData", *special]
        nodes.append({"@id": f"{base}data/{key}", "@type": types, "dct:identifier": key,
                      "rdfs:label": [{"@value": d.category_name(policy, key, lang), "@language": lang}
                                     for lang in langs]})
    for key, r in policy.recipients.items():
        nodes.append({"@id": f"{base}recipient/{key}", "@type": ROLE_TYPES[r.role],
                      "rdfs:label": _label(r.name, langs), "dpv:hasCountry": {"@id": f"loc:{r.country}"}})
    for i, m in enumerate(policy.security_measures, start=1):
        nodes.append({"@id": f"{base}measure/{i}", "@type": "dpv:TechnicalOrganisationalMeasure",
                      "rdfs:label": _label(m, langs)})
    return nodes


def to_jsonld(policy: Policy) -> str:
    """The Art. 30(1) and 30(2) records as a DPV JSON-LD document."""
    base = _base(policy)
    langs = _langs(policy)
    measures = [{"@id": f"{base}measure/{i}"} for i in range(1, len(policy.security_measures) + 1)]
    graph = _entities(policy, base, langs)
    processes = []
    for key, p in policy.purposes.items():
        bases = [{"@id": LEGAL_BASIS[p.basis]}] + ([{"@id": ART9[p.art9]}] if p.art9 else [])
        node: dict[str, Any] = {
            "@id": f"{base}process/{key}",
            "@type": "dpv:Process",
            "dct:identifier": key,
            "rdfs:label": _label(p.name, langs),
            "dpv:hasPurpose": {"@id": f"{base}purpose/{key}", "@type": "dpv:Purpose",
                               "rdfs:label": _label(p.name, langs)},
            "dpv:hasLegalBasis": bases,
            "dpv:hasDataController": {"@id": f"{base}controller"},
            "dpv:hasDataSubject": [{"@id": f"{base}subject/{s}"} for s in p.subjects],
            "dpv:hasPersonalData": [{"@id": f"{base}data/{c}"} for c in p.categories],
            "dpv:hasRecipient": [{"@id": f"{base}recipient/{r}"} for r in p.recipients],
            "dpv:hasStorageCondition": _storage(policy, key, langs),
            "dpv:hasTechnicalOrganisationalMeasure": measures,
        }
        if p.description:
            node["dct:description"] = _label(p.description, langs)
        detail = d.basis_detail(p, "en") if p.basis is not Basis.legitimate_interest else None
        if detail:
            node["rdfs:comment"] = f"{t('en', 'labels.law')} {detail}"
        if p.basis is Basis.legitimate_interest and p.interest:
            node["dpv:hasLegalBasis"].append({"@type": "dpv:LegitimateInterest",
                                              "rdfs:label": _label(p.interest, langs)})
        transfers = _transfer_nodes(policy, base, p.recipients)
        if transfers:
            node["dpv:hasProcess"] = transfers
        processes.append(node)
    for key, a in policy.processor_activities.items():
        node = {
            "@id": f"{base}processor-activity/{key}",
            "@type": "dpv:Process",
            "dct:identifier": key,
            "rdfs:label": _label(a.name, langs),
            "dpv:hasDataProcessor": {"@id": f"{base}controller"},
            "dpv:hasDataController": {"@type": "dpv:DataController", "rdfs:label": _label(a.clients, langs)},
            "dpv:hasPersonalData": [{"@id": f"{base}data/{c}"} for c in a.categories],
            "dpv:hasRecipient": [{"@id": f"{base}recipient/{s}"} for s in a.sub_processors],
            "dpv:hasTechnicalOrganisationalMeasure": measures + (
                [{"@type": "dpv:TechnicalOrganisationalMeasure", "rdfs:label": _label(a.security, langs)}]
                if a.security else []),
        }
        transfers = _transfer_nodes(policy, base, a.sub_processors)
        if transfers:
            node["dpv:hasProcess"] = transfers
        processes.append(node)
    graph.append({
        "@id": f"{base}record",
        "@type": "dpv:RecordsOfActivities",
        "dct:title": t(langs[0], "ropa.title"),
        "dpv:hasDataController": {"@id": f"{base}controller"},
        "dct:hasPart": [{"@id": n["@id"]} for n in processes],
    })
    graph.extend(processes)
    return json.dumps({"@context": CONTEXT, "@graph": graph}, ensure_ascii=False, indent=2) + "\n"
