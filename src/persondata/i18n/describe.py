"""Policy facts in plain words: legal bases, Art. 9 conditions, recipients, transfers, retention.

Shared by the notice and the record of processing so that both say the same thing.
"""

from __future__ import annotations

from persondata.i18n import country_name, duration_words, t
from persondata.policy.model import Art9Condition, Basis, Policy, Purpose, Recipient, Role, text_in


def basis_name(basis: Basis, lang: str) -> str:
    """The short name of an Art. 6(1) basis ('Legitimate interest')."""
    return t(lang, f"basis.{basis.value}.name")


def basis_ref(basis: Basis, lang: str) -> str:
    """The article reference of an Art. 6(1) basis ('Art. 6(1)(f) GDPR')."""
    return t(lang, f"basis.{basis.value}.ref")


def basis_plain(basis: Basis, lang: str) -> str:
    """What an Art. 6(1) basis means for the reader, in one or two sentences."""
    return t(lang, f"basis.{basis.value}.plain")


def basis_detail(purpose: Purpose, lang: str) -> str:
    """The statute (legal obligation, public task) or the interest pursued (legitimate interest)."""
    if purpose.basis in (Basis.legal_obligation, Basis.public_task) and purpose.law:
        return purpose.law
    if purpose.basis is Basis.legitimate_interest and purpose.interest:
        return text_in(purpose.interest, lang)
    return ""


def art9_words(condition: Art9Condition | None, lang: str) -> str:
    """The Art. 9(2) condition in words ('' when there is none)."""
    return t(lang, f"art9.{condition.value}") if condition is not None else ""


def role_words(role: Role, lang: str) -> str:
    """What a recipient is to the controller ('Data processor')."""
    return t(lang, f"roles.{role.value}.name")


def role_note(role: Role, lang: str) -> str:
    """What the role means ('processes data on our behalf and on our instructions')."""
    return t(lang, f"roles.{role.value}.note")


def in_eea(country: str) -> bool:
    """Whether a country is in the EU/EEA."""
    from persondata.policy.geo import in_eea as _in_eea

    return _in_eea(country.upper())


def transfer_words(recipient: Recipient, lang: str) -> str:
    """The Chapter V safeguard of a recipient in words, with the policy's note."""
    if in_eea(recipient.country):
        words = t(lang, "transfer.inside")
    elif recipient.transfer is None:
        words = t(lang, "transfer.missing")
    else:
        words = t(lang, f"transfer.{recipient.transfer.value}")
    note = text_in(recipient.transfer_note, lang)
    return f"{words}. {note}" if note else words


def recipient_line(recipient: Recipient, lang: str) -> str:
    """'Name (role, country)' for lists and the record of processing."""
    role = role_words(recipient.role, lang)
    return f"{recipient.name_in(lang)} ({role}, {country_name(recipient.country, lang)})"


def anchor_words(policy: Policy | None, anchor: str, lang: str) -> str | None:
    """An anchor event in words: the policy's `anchors:` name, else the catalog's (None if neither)."""
    if policy is not None and anchor in policy.anchors:
        return text_in(policy.anchors[anchor], lang)
    try:
        return t(lang, f"anchors.{anchor}")
    except KeyError:
        return None


def retention_words(purpose: Purpose, lang: str, policy: Policy | None = None) -> str:
    """A purpose's retention rule in words, with the policy's note."""
    if purpose.retention:
        from persondata.policy.retention import parse_retention

        rule = parse_retention(purpose.retention)
        words = rule.describe(lang, anchor_words=anchor_words(policy, rule.anchor, lang))
    else:
        words = t(lang, "retention.none")
    note = text_in(purpose.retention_note, lang)
    return f"{words}. {note}" if note else words


def subject_name(policy: Policy, key: str, lang: str) -> str:
    """A data subject category's name in a language."""
    subject = policy.subjects.get(key)
    return text_in(subject.name, lang) if subject is not None else key


def purpose_name(policy: Policy, key: str, lang: str) -> str:
    """A purpose's name in a language."""
    purpose = policy.purposes.get(key)
    return text_in(purpose.name, lang) if purpose is not None else key


def category_name(policy: Policy, key: str, lang: str) -> str:
    """A data category's name in a language (the policy's own name first)."""
    from persondata.policy.taxonomy import category_name as _name

    return _name(key, lang, policy)


def category_label(policy: Policy, key: str, lang: str) -> str:
    """A data category's name, marked when it is an Art. 9 or Art. 10 category."""
    from persondata.policy.taxonomy import is_criminal, is_special

    name = category_name(policy, key, lang)
    if is_special(key, policy):
        return f"{name} ({t(lang, 'labels.special')})"
    if is_criminal(key, policy):
        return f"{name} ({t(lang, 'labels.criminal')})"
    return name


def registration_label(country: str, lang: str) -> str:
    """'CVR no.' for DK, 'Org. no.' for NO/SE, else 'Registration no.'."""
    key = f"labels.registration_{country.upper()}"
    try:
        return t(lang, key)
    except KeyError:
        return t(lang, "labels.registration")


def duration_in(text: str, lang: str) -> str:
    """A duration such as '2 business days' in words, or the text itself if it does not parse."""
    from persondata.errors import InputError

    try:
        return duration_words(text, lang)
    except InputError:
        return text
