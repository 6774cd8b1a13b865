"""The data taxonomy: fideslang / IAB Tech Lab data categories, data uses and data subjects.

Keys and English names come from the `fideslang` package (Apache-2.0, Ethyca), loaded
lazily on first use and cached. Danish and Norwegian names of the data categories are
shipped in `taxonomy_names.yaml` beside this module. A policy may declare its own
category keys (`categories:`) with names in its languages; those names win.

Special categories (Art. 9): the fideslang keys for biometric, health (incl. genetic),
political opinion, race/ethnicity, religion and sexual orientation, their children, and
any declared category with `special: true` or a special parent. fideslang has no key for
trade-union membership: declare one with `special: true`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from persondata.policy.model import Policy

SPECIAL_KEYS = (
    "user.biometric",
    "user.authorization.biometric",
    "user.health_and_medical",
    "user.demographic.political_opinion",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
)
"""fideslang keys of Art. 9(1) special categories (their children are special too)."""

CRIMINAL_KEYS = ("user.criminal_history",)
"""fideslang keys of Art. 10 data (criminal convictions and offences)."""

NATIONAL_ID_KEYS = ("user.government_id.national_identification_number",)
"""National identity numbers (CPR, fødselsnummer): national law restricts their use."""


@cache
def data_categories() -> dict[str, str]:
    """fideslang data category keys -> English names."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: str(c.name or c.fides_key) for c in DEFAULT_TAXONOMY.data_category}


@cache
def data_uses() -> dict[str, str]:
    """fideslang data use keys -> English names."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: str(c.name or c.fides_key) for c in DEFAULT_TAXONOMY.data_use}


@cache
def data_subjects() -> dict[str, str]:
    """fideslang data subject keys -> English names."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: str(c.name or c.fides_key) for c in DEFAULT_TAXONOMY.data_subject}


@cache
def _translations() -> dict[str, dict[str, str]]:
    """Category names by language (da, nb) from the shipped data file."""
    text = resources.files("persondata.policy").joinpath("taxonomy_names.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {lang: dict(names) for lang, names in data.items()}


def is_taxonomy_category(key: str) -> bool:
    """True for a fideslang data category key."""
    return key in data_categories()


def taxonomy_parent(key: str) -> str | None:
    """The longest fideslang key that is a dotted prefix of key (None when there is none)."""
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in data_categories():
            return prefix
    return None


def category_exists(key: str, policy: Policy | None = None) -> bool:
    """True when key is a fideslang category or declared by the policy."""
    return is_taxonomy_category(key) or (policy is not None and key in policy.categories)


def category_name(key: str, lang: str = "en", policy: Policy | None = None) -> str:
    """A category's name in a language: the policy's own name first, then the taxonomy's, else the key."""
    from persondata.policy.model import text_in

    if policy is not None and key in policy.categories:
        return text_in(policy.categories[key].name, lang)
    lang = "nb" if lang == "no" else lang
    translated = _translations().get(lang, {}).get(key)
    if translated:
        return translated
    return data_categories().get(key, key)


def _ancestors(key: str) -> list[str]:
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _flagged(key: str, policy: Policy | None, keys: tuple[str, ...], attr: str, depth: int = 0) -> bool:
    if any(a in keys for a in _ancestors(key)):
        return True
    if policy is None or depth > 20:
        return False
    for ancestor in _ancestors(key):
        declared = policy.categories.get(ancestor)
        if declared is None:
            continue
        if getattr(declared, attr):
            return True
        if declared.parent and _flagged(declared.parent, policy, keys, attr, depth + 1):
            return True
    return False


def is_special(key: str, policy: Policy | None = None) -> bool:
    """True for an Art. 9 special category: a special taxonomy key (or child), or declared special."""
    return _flagged(key, policy, SPECIAL_KEYS, "special")


def is_criminal(key: str, policy: Policy | None = None) -> bool:
    """True for Art. 10 data on criminal convictions and offences."""
    return _flagged(key, policy, CRIMINAL_KEYS, "criminal")


def is_national_id(key: str, policy: Policy | None = None) -> bool:
    """True for a national identity number category (CPR, fødselsnummer) or a child of it."""
    if any(a in NATIONAL_ID_KEYS for a in _ancestors(key)):
        return True
    declared = policy.categories.get(key) if policy is not None else None
    parent = declared.parent if declared is not None else None
    return bool(parent and any(a in NATIONAL_ID_KEYS for a in _ancestors(parent)))
