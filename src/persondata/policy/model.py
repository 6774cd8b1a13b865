"""The policy file's schema: pydantic models for everything a privacy notice promises.

Structural checks (types, unknown keys, enums) live here; cross-references (a purpose
naming an undefined recipient, an anchor no table maps) are checked in policy.checks so
that every problem is reported with its line at once.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
LocalText = str | dict[str, str]
"""Text in the notice languages: {da: ..., en: ...}; a plain string is used for all."""


def text_in(value: LocalText | None, lang: str, fallback: str = "en") -> str:
    """Pick the text of a LocalText in a language, falling back sensibly."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if lang in value:
        return value[lang]
    if lang == "nb" and "no" in value:
        return value["no"]
    if fallback in value:
        return value[fallback]
    return next(iter(value.values()), "")


class Strict(BaseModel):
    """Base of every policy model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Basis(StrEnum):
    """Art. 6(1) legal bases."""

    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interest = "vital_interest"
    public_task = "public_task"
    legitimate_interest = "legitimate_interest"


class Art9Condition(StrEnum):
    """Art. 9(2) conditions for special categories."""

    explicit_consent = "explicit_consent"
    employment_law = "employment_law"
    vital_interest = "vital_interest"
    nonprofit_body = "nonprofit_body"
    made_public = "made_public"
    legal_claims = "legal_claims"
    substantial_public_interest = "substantial_public_interest"
    health_care = "health_care"
    public_health = "public_health"
    archiving_research = "archiving_research"


class Role(StrEnum):
    """What a recipient is to the controller."""

    processor = "processor"
    sub_processor = "sub_processor"
    controller = "controller"  # an independent controller (e.g. a network operator)
    joint_controller = "joint_controller"
    public_authority = "public_authority"


class Transfer(StrEnum):
    """Chapter V transfer mechanisms for recipients outside the EU/EEA."""

    adequacy = "adequacy"
    scc = "scc"
    dpf = "dpf"
    bcr = "bcr"
    derogation = "derogation"


class Strategy(StrEnum):
    """How a field is erased."""

    delete = "delete"  # delete the whole row
    null = "null"
    redact = "redact"  # replace with a fixed text
    hash = "hash"  # keyed HMAC
    mask = "mask"  # keep the last N characters
    generalize = "generalize"  # date to year
    keep = "keep"  # not personal on its own; left as it is


class Contact(Strict):
    """A person or function with contact details."""

    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None


class Controller(Strict):
    """Who is responsible for the processing."""

    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    registration: str | None = None  # CVR (DK) / organisasjonsnummer (NO), checksum-validated
    address: str | None = None
    email: str
    phone: str | None = None
    website: str | None = None
    dpo: Contact | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    policy_version: str = "1"
    policy_date: date | None = None
    representative: Contact | None = None


class Subject(Strict):
    """A category of data subjects (customer, job applicant, ...)."""

    name: LocalText
    description: LocalText | None = None


class Category(Strict):
    """A data category the policy declares itself, beyond the taxonomy."""

    name: LocalText
    description: LocalText | None = None
    special: bool = False  # Art. 9 special category
    criminal: bool = False  # Art. 10 data
    parent: str | None = None
    erasure: Strategy | None = None  # default erasure strategy for fields of this category


class ConsentSettings(Strict):
    """How consent for a purpose is given and withdrawn."""

    withdraw: LocalText  # how to withdraw, e.g. "unsubscribe link in every e-mail"
    marketing: bool = False  # direct marketing (Art. 21(3) objection suppresses)
    explicit: bool = False  # explicit consent (Art. 9(2)(a) / Art. 49(1)(a))
    legacy_before: date | None = None  # consents older than this date were imported


class Purpose(Strict):
    """One processing activity with one legal basis and one retention rule."""

    name: LocalText
    description: LocalText | None = None
    basis: Basis
    law: str | None = None  # the statute for legal_obligation / public_task
    interest: LocalText | None = None  # the legitimate interest pursued
    art9: Art9Condition | None = None
    subjects: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list)
    retention: str | None = None
    retention_note: LocalText | None = None  # extra words for the notice
    source: LocalText | None = None  # where the data comes from when not from the subject
    consent: ConsentSettings | None = None
    marketing: bool = False  # direct marketing even when not consent-based
    required: LocalText | None = None  # statutory / contractual requirement and consequence
    automated_decisions: LocalText | None = None


class Recipient(Strict):
    """Someone data is disclosed to."""

    name: LocalText  # a company's name, or per language for a kind of recipient ("public authorities")
    role: Role
    country: str = Field(pattern=r"^[A-Z]{2}$")
    transfer: Transfer | None = None
    transfer_note: LocalText | None = None
    dpa_signed: date | None = None
    description: LocalText | None = None
    contact: str | None = None

    def name_in(self, lang: str) -> str:
        """The recipient's name in a language."""
        return text_in(self.name, lang)


class CookieItem(Strict):
    """One cookie or similar technology."""

    name: str
    provider: str | None = None
    duration: str
    description: LocalText | None = None


class CookieCategory(Strict):
    """A cookie category shown in the banner."""

    name: LocalText
    description: LocalText | None = None
    necessary: bool = False  # strictly necessary: no consent asked
    vendors: list[str] = Field(default_factory=list)  # recipient keys
    cookies: list[CookieItem] = Field(default_factory=list)


class Banner(Strict):
    """The cookie banner's wording."""

    accept: LocalText = Field(default_factory=lambda: {"da": "Accepter", "nb": "Godta", "en": "Accept"})
    reject: LocalText = Field(default_factory=lambda: {"da": "Afvis", "nb": "Avvis", "en": "Reject"})
    text: LocalText | None = None


class Verification(StrEnum):
    """How a requester proves who they are."""

    none = "none"
    email_code = "email_code"
    manual = "manual"


class Rights(Strict):
    """How the subject's rights are handled."""

    contact: str | None = None  # where requests go; default the controller's e-mail
    url: str | None = None  # privacy center / self-service page
    deadline_counting: str = Field(default="business_day", pattern=r"^(business_day|strict)$")
    verification: dict[str, Verification] = Field(default_factory=dict)
    self_service_erasure: bool = False
    note: LocalText | None = None


class BreachSettings(Strict):
    """Breach handling promises."""

    contact: str | None = None  # where the public reports breaches
    reporter_receipt: str = "2 business days"
    reporter_feedback: str = "2 weeks"


class ProcessorActivity(Strict):
    """Processing done on behalf of a client (Art. 30(2))."""

    name: LocalText
    clients: LocalText
    categories: list[str] = Field(default_factory=list)
    sub_processors: list[str] = Field(default_factory=list)
    security: LocalText | None = None


class Identity(Strict):
    """A custom identity kind (customer number, account id, ...)."""

    name: LocalText
    pattern: str | None = None


class Field_(Strict):
    """A column holding personal data, with its category and erasure strategy."""

    category: str
    erasure: Strategy | None = None  # default from the category
    keep_last: int = Field(default=4, ge=0)  # for mask
    redact_text: str = "[redacted]"
    encrypted: bool = False  # values are ciphertext from the crypto-shredding vault
    portable: bool | None = None  # None: derived from the purposes' bases


class Table(Strict):
    """A table of a system in the data map."""

    primary_key: str
    identities: dict[str, str] = Field(default_factory=dict)  # identity kind -> column
    belongs_to: dict[str, str] = Field(default_factory=dict)  # column -> "table.column"
    references: dict[str, str] = Field(default_factory=dict)  # non-ownership: column -> table.col
    purposes: list[str] = Field(default_factory=list)
    anchors: dict[str, str] = Field(default_factory=dict)  # anchor name -> column
    fields: dict[str, str | Field_] = Field(default_factory=dict)
    restricted_flag: str | None = None
    opt_out_flag: str | None = None  # a column; when true the rows expire at once
    source: LocalText | None = None
    description: LocalText | None = None

    def field_spec(self, column: str) -> Field_:
        """The field spec of a column, expanding the short `column: category` form."""
        spec = self.fields[column]
        return Field_(category=spec) if isinstance(spec, str) else spec


class System(Strict):
    """One of the company's databases."""

    url: str
    description: LocalText | None = None
    tables: dict[str, Table] = Field(default_factory=dict)


class Policy(Strict):
    """A whole policy file."""

    version: int = 1
    controller: Controller
    subjects: dict[Key, Subject] = Field(default_factory=dict)
    categories: dict[Key, Category] = Field(default_factory=dict)
    identities: dict[Key, Identity] = Field(default_factory=dict)
    purposes: dict[Key, Purpose] = Field(default_factory=dict)
    recipients: dict[Key, Recipient] = Field(default_factory=dict)
    cookies: dict[Key, CookieCategory] = Field(default_factory=dict)
    banner: Banner = Field(default_factory=Banner)
    rights: Rights = Field(default_factory=Rights)
    breaches: BreachSettings = Field(default_factory=BreachSettings)
    processor_activities: dict[Key, ProcessorActivity] = Field(default_factory=dict)
    security_measures: list[LocalText] = Field(default_factory=list)
    anchors: dict[Key, LocalText] = Field(default_factory=dict)  # anchor events in words for the notice
    systems: dict[Key, System] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != 1:
            raise ValueError("only policy file version 1 is known")
        return v

    def consent_purposes(self) -> list[str]:
        """Keys that consent events may name: consent-based purposes and cookie categories."""
        keys = [k for k, p in self.purposes.items() if p.basis is Basis.consent]
        keys += [f"cookies.{k}" for k, c in self.cookies.items() if not c.necessary]
        return keys

    def marketing_purposes(self) -> list[str]:
        """Purposes that are direct marketing (objection to them is absolute, Art. 21(3))."""
        return [
            k
            for k, p in self.purposes.items()
            if p.marketing or (p.consent is not None and p.consent.marketing)
        ]
