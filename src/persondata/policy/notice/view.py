"""The notice as plain data: every sentence resolved to the reader's language.

`build_view(policy, lang, today)` turns a Policy into a NoticeView that the templates only
lay out; all wording decisions are made here and in the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from persondata.authorities import Authority, authority_for
from persondata.i18n import catalog, country_name, format_date, t
from persondata.i18n import describe as d
from persondata.policy.model import Basis, Policy, Verification, text_in


@dataclass
class Field:
    """A labelled value ('E-mail: privacy@...'); kind 'email'/'url'/'phone' makes a link."""

    label: str
    value: str
    kind: str = "text"


@dataclass
class Cat:
    """A data category's name, with a mark for Art. 9 / Art. 10 categories."""

    name: str
    mark: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.mark})" if self.mark else self.name


def _cat(policy: Policy, key: str, lang: str) -> Cat:
    from persondata.policy.taxonomy import is_criminal, is_special

    mark = ""
    if is_special(key, policy):
        mark = t(lang, "labels.special")
    elif is_criminal(key, policy):
        mark = t(lang, "labels.criminal")
    return Cat(d.category_name(policy, key, lang), mark)


@dataclass
class SubjectView:
    """What is collected about one group of people, and from where."""

    name: str
    description: str
    categories: list[Cat]
    sources: list[str]
    purposes: list[str]


@dataclass
class PurposeView:
    """One purpose with its legal basis, data and retention in words."""

    key: str
    name: str
    description: str
    basis: str  # 'Consent (Art. 6(1)(a) GDPR)'
    basis_plain: str
    details: list[Field]
    subjects: list[str]
    categories: list[Cat]
    recipients: list[str]
    retention: str


@dataclass
class RecipientView:
    """A recipient with its role, country and transfer safeguard."""

    name: str
    role: str
    role_note: str
    country: str
    safeguard: str
    third_country: bool
    description: str
    used_for: list[str]


@dataclass
class CookieItemView:
    """One cookie."""

    name: str
    provider: str
    duration: str
    description: str


@dataclass
class CookieView:
    """A cookie category with its vendors and cookies."""

    name: str
    description: str
    consent: str
    vendors: list[str]
    cookies: list[CookieItemView]


@dataclass
class RightView:
    """One right of the data subject."""

    key: str
    title: str
    text: str
    extra: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass
class Section:
    """A heading in the table of contents."""

    id: str
    title: str


@dataclass
class NoticeView:
    """Everything a notice template needs, in one language."""

    lang: str
    t: dict[str, object]
    title: str
    controller_name: str
    intro: str
    version: str
    sections: list[Section]
    controller: list[Field]
    dpo: list[Field]
    representative: list[Field]
    subjects: list[SubjectView]
    has_special: bool
    purposes: list[PurposeView]
    recipients: list[RecipientView]
    transfers: list[RecipientView]
    retention: list[tuple[str, str]]
    cookies: list[CookieView]
    rights: list[RightView]
    rights_how: list[str]
    deadline: str
    automated: list[tuple[str, str]]
    security: list[str]
    breach: list[str]
    authority: Authority
    authority_name: str
    authority_intro: str
    authority_fields: list[Field]


def _contact_fields(lang: str, *, email: str | None = None, phone: str | None = None,
                    address: str | None = None, website: str | None = None) -> list[Field]:
    out: list[Field] = []
    if address:
        out.append(Field(t(lang, "labels.address"), address))
    if email:
        out.append(Field(t(lang, "labels.email"), email, "email"))
    if phone:
        out.append(Field(t(lang, "labels.phone"), phone, "phone"))
    if website:
        out.append(Field(t(lang, "labels.website"), website, "url"))
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _subjects(policy: Policy, lang: str) -> list[SubjectView]:
    groups: list[tuple[str, list[str]]] = []
    for key in policy.subjects:
        keys = [k for k, p in policy.purposes.items() if key in p.subjects or not p.subjects]
        groups.append((key, keys))
    unassigned = [k for k, p in policy.purposes.items() if not p.subjects]
    if not policy.subjects and unassigned:
        groups.append(("", unassigned))
    views = []
    for key, purpose_keys in groups:
        if not purpose_keys:
            continue
        members = [policy.purposes[k] for k in purpose_keys]
        categories = _unique([c for p in members for c in p.categories])
        sources = [t(lang, "notice.from_you")] if any(p.source is None for p in members) else []
        sources += [text_in(p.source, lang) for p in members if p.source is not None]
        sources += [text_in(tb.source, lang) for s in policy.systems.values() for tb in s.tables.values()
                    if tb.source is not None and set(tb.purposes) & set(purpose_keys)]
        subject = policy.subjects.get(key)
        views.append(SubjectView(
            name=d.subject_name(policy, key, lang) if key else t(lang, "notice.all_subjects"),
            description=text_in(subject.description, lang) if subject else "",
            categories=[_cat(policy, c, lang) for c in categories],
            sources=_unique(sources),
            purposes=[d.purpose_name(policy, k, lang) for k in purpose_keys],
        ))
    return views


def _purposes(policy: Policy, lang: str) -> list[PurposeView]:
    views = []
    for key, p in policy.purposes.items():
        details: list[Field] = []
        detail = d.basis_detail(p, lang)
        if detail and p.basis is Basis.legitimate_interest:
            details.append(Field(t(lang, "labels.interest"), detail))
        elif detail:
            details.append(Field(t(lang, "labels.law"), detail))
        if p.art9 is not None:
            details.append(Field(t(lang, "labels.art9"), d.art9_words(p.art9, lang)))
        if p.consent is not None:
            details.append(Field(t(lang, "labels.withdraw"), text_in(p.consent.withdraw, lang)))
        if p.source is not None:
            details.append(Field(t(lang, "labels.source"), text_in(p.source, lang)))
        if p.required is not None:
            details.append(Field(t(lang, "labels.required"), text_in(p.required, lang)))
        if p.automated_decisions is not None:
            details.append(Field(t(lang, "labels.automated"), text_in(p.automated_decisions, lang)))
        views.append(PurposeView(
            key=key,
            name=text_in(p.name, lang),
            description=text_in(p.description, lang),
            basis=f"{d.basis_name(p.basis, lang)} ({d.basis_ref(p.basis, lang)})",
            basis_plain=d.basis_plain(p.basis, lang),
            details=details,
            subjects=[d.subject_name(policy, s, lang) for s in p.subjects],
            categories=[_cat(policy, c, lang) for c in p.categories],
            recipients=[policy.recipients[r].name_in(lang) for r in p.recipients if r in policy.recipients],
            retention=d.retention_words(p, lang, policy),
        ))
    return views


def _recipients(policy: Policy, lang: str) -> list[RecipientView]:
    views = []
    for key, r in policy.recipients.items():
        used = [text_in(p.name, lang) for p in policy.purposes.values() if key in p.recipients]
        used += [f"{t(lang, 'sections.cookies')}: {text_in(c.name, lang)}"
                 for c in policy.cookies.values() if key in c.vendors]
        views.append(RecipientView(
            name=r.name_in(lang),
            role=d.role_words(r.role, lang),
            role_note=d.role_note(r.role, lang),
            country=country_name(r.country, lang),
            safeguard=d.transfer_words(r, lang),
            third_country=not d.in_eea(r.country),
            description=text_in(r.description, lang),
            used_for=used,
        ))
    return views


def _cookie_duration(text: str, lang: str) -> str:
    if text.strip().lower() == "session":
        return t(lang, "cookies.session")
    return d.duration_in(text, lang)


def _cookies(policy: Policy, lang: str) -> list[CookieView]:
    views = []
    for c in policy.cookies.values():
        vendors = [f"{r.name_in(lang)} ({country_name(r.country, lang)})"
                   for r in (policy.recipients[v] for v in c.vendors if v in policy.recipients)]
        views.append(CookieView(
            name=text_in(c.name, lang),
            description=text_in(c.description, lang),
            consent=t(lang, "cookies.necessary" if c.necessary else "cookies.consent"),
            vendors=vendors or [t(lang, "cookies.no_vendors")],
            cookies=[CookieItemView(i.name, i.provider or "", _cookie_duration(i.duration, lang),
                                    text_in(i.description, lang)) for i in c.cookies],
        ))
    return views


def _rights(policy: Policy, lang: str) -> tuple[list[RightView], list[str]]:
    contact = policy.rights.contact or policy.controller.email
    rights = [RightView(k, t(lang, f"rights.{k}.title"), t(lang, f"rights.{k}.text"))
              for k in ("access", "rectification", "erasure", "restriction", "portability", "objection",
                        "withdraw", "complaint")]
    by_key = {r.key: r for r in rights}
    if policy.rights.self_service_erasure:
        by_key["erasure"].extra.append(t(lang, "rights.self_service"))
    li = [text_in(p.name, lang) for p in policy.purposes.values() if p.basis is Basis.legitimate_interest]
    if li:
        by_key["objection"].extra.append(f"{t(lang, 'rights.objection.applies')} {', '.join(li)}.")
    if policy.marketing_purposes():
        names = ", ".join(d.purpose_name(policy, k, lang) for k in policy.marketing_purposes())
        by_key["objection"].extra.append(
            f"{t(lang, 'rights.objection.marketing')} {t(lang, 'rights.objection.applies')} {names}.")
    for p in policy.purposes.values():
        if p.consent is not None:
            by_key["withdraw"].items.append(f"{text_in(p.name, lang)}: {text_in(p.consent.withdraw, lang)}")
    if any(not c.necessary for c in policy.cookies.values()):
        by_key["withdraw"].extra.append(t(lang, "rights.withdraw.cookies"))
    how = [t(lang, "rights.how", contact=contact)]
    if policy.rights.url:
        how.append(t(lang, "rights.how_url", url=policy.rights.url))
    if Verification.email_code in policy.rights.verification.values():
        how.append(t(lang, "rights.verification_code"))
    else:
        how.append(t(lang, "rights.verification"))
    if policy.rights.note is not None:
        how.append(text_in(policy.rights.note, lang))
    return rights, how


def _authority_fields(a: Authority, lang: str) -> list[Field]:
    out: list[Field] = []
    same = a.visiting_address == a.postal_address[: len(a.visiting_address)]
    if a.postal_address:
        label = "labels.address" if same else "labels.postal_address"
        out.append(Field(t(lang, label), ", ".join(a.postal_address)))
    if a.visiting_address and not same:
        out.append(Field(t(lang, "labels.visiting_address"), ", ".join(a.visiting_address)))
    out += _contact_fields(lang, email=a.email, phone=a.phone, website=a.website)
    if a.complaint_url:
        out.append(Field(t(lang, "labels.complaint"), a.complaint_url, "url"))
    return out


def build_view(policy: Policy, lang: str, today: date | None = None) -> NoticeView:
    """Resolve a policy into a NoticeView in one of da, nb, en."""
    c = policy.controller
    when = c.policy_date
    version = (t(lang, "notice.version_dated", version=c.policy_version, date=format_date(when, lang))
               if when else t(lang, "notice.version", version=c.policy_version))
    if when is None and today is not None:
        version += " · " + t(lang, "notice.generated", date=format_date(today, lang))
    controller = [Field(t(lang, "labels.controller"), c.name)]
    if c.registration:
        controller.append(Field(d.registration_label(c.country, lang), c.registration))
    controller += _contact_fields(lang, email=c.email, phone=c.phone, address=c.address, website=c.website)
    dpo = _contact_fields(lang, email=c.dpo.email, phone=c.dpo.phone, address=c.dpo.address) if c.dpo else []
    if c.dpo:
        dpo.insert(0, Field(t(lang, "labels.dpo"), c.dpo.name))
    rep: list[Field] = []
    if c.representative:
        rep = [Field(t(lang, "labels.representative"), c.representative.name)]
        rep += _contact_fields(lang, email=c.representative.email, phone=c.representative.phone,
                               address=c.representative.address)
    recipients = _recipients(policy, lang)
    subjects = _subjects(policy, lang)
    rights, how = _rights(policy, lang)
    authority = authority_for(c.country)
    breach: list[str] = []
    if policy.breaches.contact:
        breach = [t(lang, "breach.text", contact=policy.breaches.contact),
                  t(lang, "breach.receipt", receipt=d.duration_in(policy.breaches.reporter_receipt, lang),
                    feedback=d.duration_in(policy.breaches.reporter_feedback, lang))]
    automated = [(text_in(p.name, lang), text_in(p.automated_decisions, lang))
                 for p in policy.purposes.values() if p.automated_decisions is not None]
    section_ids = ["controller", "collected", "purposes", "recipients", "transfers", "retention", "cookies",
                   "rights", "automated"]
    if policy.security_measures:
        section_ids.append("security")
    if breach:
        section_ids.append("breach")
    section_ids += ["authority", "changes"]
    return NoticeView(
        lang=lang,
        t=dict(catalog(lang)),
        title=t(lang, "notice.title"),
        controller_name=c.name,
        intro=t(lang, "notice.intro", controller=c.name),
        version=version,
        sections=[Section(s, t(lang, f"sections.{s}")) for s in section_ids],
        controller=controller,
        dpo=dpo,
        representative=rep,
        subjects=subjects,
        has_special=any(c.mark for s in subjects for c in s.categories),
        purposes=_purposes(policy, lang),
        recipients=recipients,
        transfers=[r for r in recipients if r.third_country],
        retention=[(text_in(p.name, lang), d.retention_words(p, lang, policy))
                   for p in policy.purposes.values()],
        cookies=_cookies(policy, lang),
        rights=rights,
        rights_how=how,
        deadline=t(lang, "rights.deadline"),
        automated=automated,
        security=[text_in(m, lang) for m in policy.security_measures],
        breach=breach,
        authority=authority,
        authority_name=authority.name_in(lang),
        authority_intro=t(lang, "authority.fallback" if authority.is_fallback else "authority.intro",
                          controller=c.name),
        authority_fields=_authority_fields(authority, lang),
    )
