"""Malformed variants of the good policy: each problem at its exact line, with a precise message.

Each case edits the good fixture once (old -> new); `at` is a text on the expected line of the
mutated file, so the cases keep working when the fixture grows. `errors` is how many errors the
file must have in total: no spurious follow-up errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from persondata.policy.loader import check_policy

GOOD = Path(__file__).parent / "fixtures" / "good.yaml"


@dataclass(frozen=True)
class Case:
    """One edit of the good policy and the problem it must cause."""

    id: str
    old: str
    new: str
    at: str
    message: str
    errors: int = 1


CASES = [
    # YAML itself
    Case("yaml-syntax", "  name: Nordlys Tele A/S", "  name: [Nordlys Tele A/S", "  country: DK",
         "YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence on line 4)"),
    Case("yaml-tab", "  policy_version: \"1.1\"", "\tpolicy_version: \"1.1\"", "\tpolicy_version",
         "YAML syntax error: found character '\\t' that cannot start any token"),
    Case("duplicate-key", "  phone: \"+45 70 10 20 30\"", "  phone: \"+45 70 10 20 30\"\n  email: "
                                                          "x@nordlys.example",
         "email: x@nordlys.example", "controller.email: duplicate key 'email' (first given on line 8)"),
    Case("duplicate-purpose", "  newsletter:\n", "  support:\n", "  support:\n    name: {da: Nyhedsbrev",
         "purposes.support: duplicate key 'support' (first given on line 36)", errors=2),
    # schema: unknown keys, types, enums, required fields
    Case("unknown-top-key", "security_measures:", "security_measure:", "security_measure:",
         "security_measure: unknown key 'security_measure'; did you mean 'security_measures'?"),
    Case("unknown-purpose-key", "    retention: 2 years after last_contact", "    retension: 2 years after "
                                                                             "last_contact",
         "retension:", "purposes.support.retension: unknown key 'retension'; did you mean 'retention'?"),
    Case("unknown-key-no-suggestion", "  dpo: {name: Jane Doe", "  cto: {name: Jane Doe", "  cto:",
         "controller.cto: unknown key 'cto'; known keys: name, country, registration"),
    Case("unknown-field-spec-key", "{category: user.financial, erasure: keep}",
         "{category: user.financial, erasur: keep}", "erasur: keep",
         "systems.billing.tables.invoice.fields.amount.erasur: unknown key 'erasur'; did you mean "
         "'erasure'?"),
    Case("list-expected", "  languages: [da, en]", "  languages: da", "  languages: da",
         "controller.languages: expected a list, got 'da'"),
    Case("enum", "    basis: legitimate_interest", "    basis: legitimate_interst", "legitimate_interst",
         "purposes.support.basis: 'legitimate_interst' is not allowed; expected one of 'consent', "
         "'contract'"),
    Case("required-missing", "    basis: legitimate_interest\n", "", "  support:",
         "purposes.support.basis: required field is missing"),
    Case("country-pattern", "  country: DK", "  country: dk", "  country: dk",
         "controller.country: 'dk' is not a country code; use two upper-case letters (ISO 3166), e.g. DK"),
    Case("number-for-text", "  policy_version: \"1.1\"", "  policy_version: 1.1", "policy_version",
         "controller.policy_version: expected text, got the number 1.1 (put it in quotes)"),
    Case("local-text-value", "name: {da: Kunde, en: Customer}", "name: {da: 5, en: Customer}", "da: 5",
         "subjects.customer.name.da: expected text, got the number 5"),
    Case("local-text-type", "name: {da: Kunde, en: Customer}", "name: [Kunde]", "name: [Kunde]",
         "subjects.customer.name: expected text or a mapping (key: value), got a list"),
    Case("bad-key", "  applicant: {name:", "  Applicant: {name:", "  Applicant:",
         "subjects.Applicant: 'Applicant' is not a valid key: use lower-case letters", errors=2),
    Case("bad-date", "dpa_signed: 2019-05-01", "dpa_signed: 2019-13-01", "dpa_signed: 2019-13-01",
         "recipients.helpdesk.dpa_signed: expected a date (YYYY-MM-DD), got '2019-13-01'"),
    Case("version", "version: 1", "version: 2", "version: 2", "version: only policy file version 1 is known"),
    # references
    Case("undefined-subject", "    subjects: [applicant]", "    subjects: [aplicant]", "subjects: [aplicant]",
         "purposes.recruitment.subjects[0]: undefined subject 'aplicant'; did you mean 'applicant'?"),
    Case("undefined-recipient", "    recipients: [helpdesk]", "    recipients: [help_desk]", "[help_desk]",
         "purposes.support.recipients[0]: undefined recipient 'help_desk'; did you mean 'helpdesk'?"),
    Case("undefined-purpose-in-table", "purposes: [invoicing, support, newsletter]",
         "purposes: [invoicing, support, newsleter]", "newsleter",
         "systems.billing.tables.customer.purposes[2]: undefined purpose 'newsleter'; did you mean "
         "'newsletter'?"),
    Case("unknown-category", "    categories: [user.contact.email]\n    retention: until",
         "    categories: [user.contact.emial]\n    retention: until", "user.contact.emial",
         "purposes.newsletter.categories[0]: data category 'user.contact.emial' is not in the fideslang "
         "taxonomy (its parent 'user.contact' is); declare it under categories: to use it; "
         "did you mean 'user.contact.email'?"),
    Case("unknown-category-root", "          calls: telecom.traffic_data", "          calls: telco.traffic",
         "calls: telco.traffic", "systems.billing.tables.invoice.fields.calls: unknown data category "
         "'telco.traffic'; did you mean 'telecom.traffic_data'?"),
    Case("category-parent", "    special: true", "    special: true\n    parent: user.health", "parent: "
                                                                                               "user.health",
         "categories.user.health_and_medical.allergies.parent: data category 'user.health' is not in the "
         "fideslang taxonomy (its parent 'user' is)"),
    Case("identity-kind", "customer_no: number}", "customer_nr: number}", "customer_nr: number",
         "systems.billing.tables.customer.identities.customer_nr: unknown identity kind 'customer_nr'; "
         "did you mean 'customer_no'?"),
    Case("anchor-unmapped", "{invoice_date: issued_on}", "{invoiced: issued_on}", "retention: 5 years after "
                                                                                  "end",
         "purposes.invoicing.retention: anchor 'invoice_date' is not mapped under `anchors:` by any table "
         "listing this purpose (customer, invoice)"),
    Case("belongs-to-table", "{customer_id: customer.id}", "{customer_id: customers.id}", "customers.id",
         "systems.billing.tables.invoice.belongs_to.customer_id: undefined table 'customers' in system "
         "'billing'; did you mean 'customer'?"),
    Case("belongs-to-column", "{customer_id: customer.id}", "{customer_id: customer.uid}", "customer.uid",
         "systems.billing.tables.invoice.belongs_to.customer_id: table 'customer' declares no column 'uid'"),
    Case("belongs-to-form", "{customer_id: customer.id}", "{customer_id: customer}", "{customer_id: "
                                                                                     "customer}",
         "systems.billing.tables.invoice.belongs_to.customer_id: 'customer' must name a column as "
         "table.column"),
    Case("cookie-vendor", "    vendors: [analytics]", "    vendors: [analytix]", "vendors: [analytix]",
         "cookies.statistics.vendors[0]: undefined recipient 'analytix'; did you mean 'analytics'?"),
    Case("sub-processor", "    sub_processors: [helpdesk]", "    sub_processors: [hosting_co]",
         "[hosting_co]",
         "processor_activities.hosting.sub_processors[0]: undefined recipient 'hosting_co'"),
    # legal checks
    Case("cvr-checksum", "\"DK12345674\"", "\"DK12345675\"", "registration:",
         "controller.registration: 'DK12345675' is not a valid CVR number: the check digit is wrong"),
    Case("cvr-length", "\"DK12345674\"", "\"DK1234567\"", "registration:",
         "controller.registration: 'DK1234567' is not a valid CVR number"),
    Case("orgnr-checksum", "  country: DK\n  registration: \"DK12345674\"",
         "  country: NO\n  registration: \"NO 123 456 786 MVA\"", "registration:",
         "controller.registration: 'NO 123 456 786 MVA' is not a valid organisasjonsnummer: the check digit "
         "is wrong"),
    Case("legitimate-interest", "    interest: {da: At kunne hjælpe kunder, en: To help customers with their "
         "questions}\n", "", "basis: legitimate_interest",
         "purposes.support.basis: basis legitimate_interest needs the interest pursued"),
    Case("consent-withdraw", "    consent:\n      withdraw: {da: Brug afmeldingslinket i hver e-mail, en: "
                             "Use the "
         "unsubscribe link in every e-mail}\n      marketing: true\n", "", "basis: consent\n    subjects: "
                                                                           "[customer]",
         "purposes.newsletter.basis: basis consent needs a way to withdraw it"),
    Case("legal-obligation-law", "    law: Bogføringsloven § 10\n", "", "basis: legal_obligation",
         "purposes.invoicing.basis: basis legal_obligation needs the law it rests on, under `law:`"),
    Case("art9-missing", "    art9: explicit_consent\n", "", "user.health_and_medical.allergies]",
         "purposes.recruitment.categories[2]: special categories of data "
         "('user.health_and_medical.allergies') "
         "need an Art. 9(2) condition under `art9:`"),
    Case("art9-taxonomy-key", "    categories: [user.name, user.contact.email, user.contact.phone_number]",
         "    categories: [user.name, user.demographic.religious_belief]", "religious_belief",
         "purposes.support.categories[1]: special categories of data ('user.demographic.religious_belief')"),
    Case("art9-explicit-consent-withdraw", "    basis: consent\n    art9: explicit_consent\n    consent:\n"
         "      withdraw: {da: Skriv til job@nordlys.example, en: Write to job@nordlys.example}\n      "
         "explicit: true\n",
         "    basis: contract\n    art9: explicit_consent\n", "art9: explicit_consent",
         "purposes.recruitment.art9: art9 explicit_consent needs a way to withdraw it"),
    Case("transfer-missing", "    transfer: dpf\n", "", "    country: US",
         "recipients.analytics.country: recipient in United States (US), outside the EU/EEA, needs a "
         "transfer "
         "mechanism"),
    Case("transfer-adequacy-stated", "country: SE, dpa_signed", "country: CH, dpa_signed", "country: CH",
         "recipients.helpdesk.country: recipient in Switzerland (CH), outside the EU/EEA, needs a transfer "
         "mechanism: `transfer:` adequacy, scc, dpf, bcr or derogation (adequacy decision: state "
         "`transfer: adequacy`)"),
    Case("adequacy-wrong", "    country: US\n    transfer: dpf", "    country: CN\n    transfer: adequacy",
         "transfer: adequacy", "recipients.analytics.transfer: China (CN) has no EU adequacy decision"),
    Case("dpf-not-us", "    country: US\n", "    country: IN\n", "transfer: dpf",
         "recipients.analytics.transfer: the EU-US Data Privacy Framework covers US recipients only, "
         "not India (IN)"),
    Case("country-uk", "country: SE, dpa_signed", "country: UK, dpa_signed", "country: UK",
         "recipients.helpdesk.country: 'UK' is not an ISO 3166 country code; use 'GB' for the United "
         "Kingdom"),
    Case("retention-syntax", "    retention: 2 years after last_contact", "    retention: 2 yeras after "
                                                                          "last_contact",
         "2 yeras", "purposes.support.retention: '2 yeras after last_contact' does not parse at column 3: "
         "expected a unit: days, weeks, months or years, found 'yeras'"),
    Case("retention-end", "5 years after end of year of invoice_date", "5 years after end of invoice_date",
         "5 years after end of invoice_date", "does not parse at column 22: expected 'year', found "
                                              "'invoice_date'"),
    Case("until-consent-wrong-basis", "    retention: 2 years after last_contact",
         "    retention: until consent withdrawn", "retention: until consent withdrawn\n  newsletter:",
         "purposes.support.retention: 'until consent withdrawn' needs basis consent, not "
         "legitimate_interest"),
    Case("verification-key", "objection: none}", "objektion: none}", "objektion",
         "rights.verification.objektion: 'objektion' is not a request type; did you mean 'objection'?"),
    Case("verification-value", "objection: none}", "objection: sms}", "objection: sms",
         "rights.verification.objection: 'sms' is not allowed; expected one of 'none', 'email_code' or "
         "'manual'"),
    Case("breach-duration", "reporter_receipt: 2 business days", "reporter_receipt: soon", "reporter_receipt",
         "breaches.reporter_receipt: 'soon' is not a duration like '2 business days' or '2 weeks'"),
    Case("language", "  languages: [da, en]", "  languages: [da, de]", "  languages:",
         "controller.languages[1]: notice language 'de' is not supported; use da, nb or en"),
    Case("email", "  email: privacy@nordlys.example", "  email: privacy.nordlys.example", "  email: privacy.",
         "controller.email: 'privacy.nordlys.example' is not a valid e-mail address"),
    Case("identity-pattern", "pattern: \"^C[0-9]{6}$\"", "pattern: \"^C[0-9{6}$\"", "pattern:",
         "identities.customer_no.pattern: not a valid regular expression"),
    Case("env-unset", "  email: privacy@nordlys.example", "  email: ${PRIVACY_EMAIL}", "${PRIVACY_EMAIL}",
         "controller.email: environment variable PRIVACY_EMAIL is not set"),
    Case("env-bad-name", "  email: privacy@nordlys.example", "  email: ${PRIVACY-EMAIL}", "${PRIVACY-EMAIL}",
         "controller.email: '${PRIVACY-EMAIL}' is not a valid variable reference"),
    Case("url", "    url: sqlite:///hr.db", "    url: not a url", "url: not a url",
         "systems.hr.url: not a database URL"),
]


def _run(tmp_path: Path, text: str) -> tuple[Path, list[str], list[tuple[int, str]]]:
    path = tmp_path / "privacy.yaml"
    path.write_text(text, encoding="utf-8")
    loaded, problems = check_policy(path, env={})
    errors = [p for p in problems if p.severity == "error"]
    assert (loaded is None) == bool(errors)
    return path, [str(p) for p in problems], [(p.line, p.message) for p in errors]


def _line_of(text: str, marker: str) -> int:
    assert text.count(marker) == 1, f"marker {marker!r} must occur once"
    return text[: text.index(marker)].count("\n") + 1


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_variant(case: Case, tmp_path: Path) -> None:
    good = GOOD.read_text(encoding="utf-8")
    assert good.count(case.old) == 1, f"{case.old!r} must occur once in the fixture"
    text = good.replace(case.old, case.new)
    path, shown, errors = _run(tmp_path, text)
    line = _line_of(text, case.at)
    matching = [m for ln, m in errors if ln == line and case.message in m]
    assert matching, f"expected {path}:{line}: ...{case.message}... in:\n" + "\n".join(shown)
    assert any(s.startswith(f"{path}:{line}: ") and case.message in s for s in shown)
    assert len(errors) == case.errors, "\n".join(shown)
