"""Warnings (exit 0), problems with the file itself, ${VAR} interpolation, many problems at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from persondata.errors import InputError, PolicyError
from persondata.policy.loader import check_policy, load_policy, resolve_env

GOOD = Path(__file__).parent / "fixtures" / "good.yaml"


def _mutate(tmp_path: Path, *edits: tuple[str, str]) -> tuple[Path, str]:
    text = GOOD.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "privacy.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def _line(text: str, marker: str) -> int:
    assert text.count(marker) == 1, marker
    return text[: text.index(marker)].count("\n") + 1


WARNINGS = [
    ("no-retention", ("    retention: 2 years after last_contact\n", ""), "  support:",
     "purposes.support: no retention rule"),
    ("no-dpa", (", dpa_signed: 2019-05-01}", "}"), "helpdesk: {",
     "recipients.helpdesk: processor without `dpa_signed:`"),
    ("dpa-future", ("dpa_signed: 2019-05-01", "dpa_signed: 2999-05-01"), "2999-05-01",
     "recipients.helpdesk.dpa_signed: dpa_signed 2999-05-01 is in the future"),
    ("table-no-purposes", ("        purposes: [recruitment]\n", ""), "      application:",
     "systems.hr.tables.application: no purposes"),
    ("unreachable-table", ("        belongs_to: {customer_id: customer.id}\n", ""), "      invoice:",
     "systems.billing.tables.invoice: no identity reaches this table (it has no identities and no "
     "belongs_to)"),
    ("coverage", ("          calls: telecom.traffic_data", "          calls: user.location.precise"),
     "calls: user.location.precise", "systems.billing.tables.invoice.fields.calls: column 'calls' holds "
     "user.location.precise, which none of the table's purposes (invoicing) lists under categories"),
    ("translation", ("name: {da: Kundeservice, en: Customer service}", "name: {da: Kundeservice}"),
     "name: {da: Kundeservice}", "purposes.support.name: no en text"),
    ("password-in-url", ("    url: sqlite:///hr.db", "    url: postgresql://hr:s3cret@db/hr"), "s3cret@db",
     "systems.hr.url: the URL holds a password in the policy file: take it from the environment, "
     "e.g. url: ${HR_DB_URL}"),
    ("unused-recipient", ("    recipients: [accountant]\n", ""), "  accountant:",
     "recipients.accountant: recipient not named by any purpose"),
    ("no-verification", ("objection: none}", "objection: none, rectification: none}"), "rectification: none",
     "rights.verification.rectification: rectification requests without identity verification"),
    ("consent-settings-unused", ("    basis: consent\n    art9: explicit_consent", "    basis: contract\n"
                                 "    art9: explicit_consent"), "art9: explicit_consent", None),
    ("duplicate-list-entry", ("    subjects: [applicant]", "    subjects: [applicant, applicant]"),
     "[applicant, applicant]", "purposes.recruitment.subjects[1]: subject 'applicant' is listed twice"),
    ("criminal", ("user.contact.phone_number]\n    recipients: [helpdesk]",
                  "user.criminal_history]\n    recipients: [helpdesk]"), "user.criminal_history]",
     "purposes.support.categories[2]: data on criminal offences ('user.criminal_history', Art. 10)"),
    ("national-id", ("user.contact.phone_number]\n    recipients: [helpdesk]",
                     "user.government_id.national_identification_number]\n    recipients: [helpdesk]"),
     "national_identification_number]", "purposes.support.categories[2]: national identity numbers"),
    ("builtin-identity", ("  customer_no: {name:", "  phone: {name: Tlf}\n  customer_no: {name:"),
     "phone: {name: Tlf}", "identities.phone: 'phone' is a builtin identity kind"),
    ("translation-nested", ("  analytics:\n    name: Google LLC", "  analytics:\n    name: Google LLC\n"
                            "    transfer_note: {da: EU-US Data Privacy Framework}"), "transfer_note",
     "recipients.analytics.transfer_note: no en text"),
    ("translation-list", ("  - {da: Kryptering af data i hvile, en: Encryption at rest}",
                          "  - {en: Encryption at rest}"), "  - {en: Encryption",
     "security_measures[0]: no da text"),
    ("unused-subject", ("    subjects: [applicant]", "    subjects: [customer]"), "  applicant: {name:",
     "subjects.applicant: subject not named by any purpose"),
    ("anchor-words-unused", ("security_measures:", "anchors:\n  last_contct: {da: sidste kontakt, "
                             "en: the last contact}\nsecurity_measures:"), "last_contct",
     "anchors.last_contct: no retention rule uses the anchor 'last_contct'; did you mean 'last_contact'?"),
    ("anchor-words-translation", ("security_measures:", "anchors:\n  last_contact: {da: sidste kontakt}\n"
                                  "security_measures:"), "last_contact: {da",
     "anchors.last_contact: no en text"),
    ("no-registration", ("  registration: \"DK12345674\"\n", ""), "controller:", "controller: no "
                                                                                 "registration"),
]


@pytest.mark.parametrize(("edit", "at", "message"), [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS])
def test_warning(tmp_path: Path, edit: tuple[str, str], at: str, message: str | None) -> None:
    path, text = _mutate(tmp_path, edit)
    loaded = load_policy(path, env={})  # warnings never make the policy invalid
    shown = [str(w) for w in loaded.warnings]
    if message is None:  # the consent settings describe the explicit consent of art9: no warning
        assert loaded.warnings == [], shown
        return
    line = _line(text, at)
    found = [w for w in loaded.warnings if (w.line, w.severity) == (line, "warning") and message in w.message]
    assert found, shown
    assert any(s.startswith(f"{path}:{line}: warning: ") for s in shown)


def test_no_systems_warns_once(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    path = tmp_path / "privacy.yaml"
    path.write_text(text[: text.index("systems:")], encoding="utf-8")
    loaded = load_policy(path, env={})
    assert [w.message for w in loaded.warnings] == [
        "no systems: persondata can render the notice and the record of processing, but cannot answer "
        "requests or enforce retention without a data map"]


@pytest.mark.parametrize(("content", "line", "message"), [
    (None, 1, "policy file not found"),
    ("", 1, "the policy file is empty"),
    ("# only a comment\n", 1, "the policy file is empty"),
    ("- a\n- b\n", 1, "the policy file must be a mapping of sections"),
    ("\n\njust text\n", 3, "the policy file must be a mapping of sections"),
    ("a: 1\n---\nb: 2\n", 2, "YAML syntax error: expected a single document in the stream, but found "
                             "another document"),
    ("a: 1\nb: [1\n", 3, "YAML syntax error: expected ',' or ']', but got '<stream end>'"),
    ("a: *missing\n", 1, "YAML syntax error: found undefined alias 'missing'"),
])
def test_file_level_problems(tmp_path: Path, content: str | None, line: int, message: str) -> None:
    path = tmp_path / "privacy.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == (str(path), line)
    assert message in problem.message


def test_directory_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=f"^{tmp_path}:1: is a directory, not a policy file$"):
        load_policy(tmp_path)
    path = tmp_path / "latin1.yaml"
    path.write_bytes("controller:\n  name: Kø\n".encode("latin-1"))
    with pytest.raises(PolicyError, match=r"latin1.yaml:2: not UTF-8 text \(byte 0xf8\)"):
        load_policy(path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "privacy.yaml"
    path.write_text("version: 1\n")
    path.chmod(0)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # root reads any file regardless of its mode; make the read fail as it would for a user
        def denied(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(PolicyError, match=r"privacy\.yaml:1: cannot read the policy file: Permission denied"):
        load_policy(path)


def test_yaml_1_2_booleans_keep_norway(tmp_path: Path) -> None:
    path, _ = _mutate(tmp_path, ("country: SE, dpa_signed", "country: NO, dpa_signed"),
                      ("  dpo: {name: Jane Doe", "  dpo: {name: yes"))
    loaded = load_policy(path, env={})
    assert loaded.policy.recipients["helpdesk"].country == "NO"
    assert loaded.policy.controller.dpo is not None and loaded.policy.controller.dpo.name == "yes"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "privacy.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    assert load_policy(path, env={}).policy.controller.country == "DK"


def test_env_interpolation(tmp_path: Path) -> None:
    path, _ = _mutate(
        tmp_path,
        ("  email: privacy@nordlys.example", "  email: ${PRIVACY_USER}@${PRIVACY_DOMAIN}"),
        ("  website: https://nordlys.example", "  website: https://nordlys.example/$${NOT_A_VAR}"),
        ("    url: sqlite:///hr.db", "    url: postgresql+psycopg://hr:${HR_PASSWORD}@${HR_HOST}/hr"),
    )
    env = {"PRIVACY_USER": "privacy", "PRIVACY_DOMAIN": "nordlys.example", "HR_PASSWORD": "pw"}
    loaded = load_policy(path, env=env)
    policy = loaded.policy
    assert policy.controller.email == "privacy@nordlys.example"
    assert policy.controller.website == "https://nordlys.example/${NOT_A_VAR}"
    assert policy.systems["hr"].url == "postgresql+psycopg://hr:pw@${HR_HOST}/hr"  # HR_HOST unset: literal
    assert loaded.warnings == []
    with pytest.raises(InputError) as info:
        resolve_env(policy.systems["hr"].url, env, where="system hr")
    assert str(info.value) == "environment variable HR_HOST is not set (system hr needs it)"
    assert "pw" not in str(info.value)
    assert resolve_env(policy.systems["hr"].url, {"HR_HOST": "db"}) == "postgresql+psycopg://hr:pw@db/hr"


def test_env_defaults_to_the_process_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = _mutate(tmp_path, ("  email: privacy@nordlys.example", "  email: ${PD_TEST_EMAIL}"))
    monkeypatch.setenv("PD_TEST_EMAIL", "dpo@nordlys.example")
    monkeypatch.setenv("BILLING_DB_URL", "sqlite:///billing.db")
    loaded = load_policy(path)
    assert loaded.policy.controller.email == "dpo@nordlys.example"
    assert loaded.policy.systems["billing"].url == "sqlite:///billing.db"
    monkeypatch.delenv("BILLING_DB_URL")
    with pytest.raises(InputError, match="BILLING_DB_URL is not set"):
        resolve_env(load_policy(path).policy.systems["billing"].url)


def test_many_problems_in_one_file_are_all_reported(tmp_path: Path) -> None:
    path, text = _mutate(
        tmp_path,
        ("\"DK12345674\"", "\"DK12345675\""),
        ("  languages: [da, en]", "  languag: [da, en]"),
        ("    basis: legitimate_interest", "    basis: legitimate_interst"),
        ("    subjects: [applicant]", "    subjects: [aplicant]"),
        ("    retention: 6 months after application_rejected", "    retention: 6 monhts after "
                                                               "application_rejected"),
        ("    transfer: dpf\n", ""),
        ("    vendors: [analytics]", "    vendors: [analytix]"),
        ("objection: none}", "objektion: none}"),
        ("{customer_id: customer.id}", "{customer_id: customers.id}"),
        ("          calls: telecom.traffic_data", "          calls: 5"),
        ("    law: Bogføringsloven § 10\n", ""),
    )
    _, problems = check_policy(path, env={})
    errors = [(p.line, p.message.split(":")[0]) for p in problems if p.severity == "error"]
    expected = [
        (_line(text, "registration:"), "controller.registration"),
        (_line(text, "languag:"), "controller.languag"),
        (_line(text, "legal_obligation"), "purposes.invoicing.basis"),
        (_line(text, "legitimate_interst"), "purposes.support.basis"),
        (_line(text, "[aplicant]"), "purposes.recruitment.subjects[0]"),
        (_line(text, "6 monhts"), "purposes.recruitment.retention"),
        (_line(text, "    country: US"), "recipients.analytics.country"),
        (_line(text, "[analytix]"), "cookies.statistics.vendors[0]"),
        (_line(text, "objektion"), "rights.verification.objektion"),
        (_line(text, "customers.id"), "systems.billing.tables.invoice.belongs_to.customer_id"),
        (_line(text, "calls: 5"), "systems.billing.tables.invoice.fields.calls"),
    ]
    assert errors == sorted(expected), "\n".join(str(p) for p in problems)
    assert [p.line for p in problems] == sorted(p.line for p in problems)  # in file order
