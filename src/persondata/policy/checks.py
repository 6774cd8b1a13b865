"""Cross-reference and legal checks over a policy that passed the schema, each at its node's line.

Names a purpose may refer to (subjects, recipients, ...) are taken from the file as written,
so an entry dropped for a schema error elsewhere does not also show up as "undefined".
Recipients, cookies, rights and processor activities are checked in policy.checks_parties,
texts and unused declarations in policy.checks_texts, the data map in policy.checks_systems.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType
from typing import Any

from email_validator import EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_errors
from stdnum.dk import cvr
from stdnum.no import orgnr

from persondata.errors import Problem
from persondata.identity import BUILTIN_KINDS
from persondata.policy import geo, taxonomy
from persondata.policy.model import Basis, Policy
from persondata.policy.retention import RetentionRule, RetentionSyntaxError, parse_retention
from persondata.policy.source import Locator, PathKey

LANGUAGES = ("da", "nb", "en")
REQUEST_TYPES = ("access", "portability", "erasure", "rectification", "restriction", "objection",
                 "consent_withdrawal")


@dataclass
class Ctx:
    """What a check needs: the model, the file as written, where nodes are, and the findings."""

    policy: Policy
    raw: dict[str, Any]
    loc: Locator
    broken: set[PathKey] = field(default_factory=set)  # nodes the schema rejected (already reported)
    written: dict[str, Any] = field(default_factory=dict)  # the file before ${VAR} interpolation
    today: date = field(default_factory=date.today)
    problems: list[Problem] = field(default_factory=list)
    _rules: dict[str, RetentionRule | None] = field(default_factory=dict)

    def is_broken(self, *keys: Any) -> bool:
        """True when the node or one of its ancestors was rejected by the schema."""
        return any(keys[:n] in self.broken for n in range(1, len(keys) + 1))

    def _related(self, keys: PathKey) -> bool:
        return any(b[: len(keys)] == keys or keys[: len(b)] == b for b in self.broken)

    def error(self, keys: PathKey, message: str) -> None:
        """Report an error at a node (unless the schema already rejected it, its parent or a child)."""
        if not self._related(keys):
            self.problems.append(self.loc.problem(keys, message))

    def warn(self, keys: PathKey, message: str) -> None:
        """Report a warning at a node (unless the schema already rejected it, its parent or a child)."""
        if not self._related(keys):
            self.problems.append(self.loc.problem(keys, message, "warning"))

    def defined(self, section: str) -> set[str] | None:
        """Keys of a section as written in the file; None when the section is unusable (skip checks)."""
        value = self.raw.get(section, {})
        if (section,) in self.broken or not isinstance(value, dict):
            return None
        return {str(k) for k in value}

    def rule(self, purpose: str) -> RetentionRule | None:
        """A purpose's parsed retention rule (None when absent or invalid)."""
        if purpose not in self._rules:
            text = self.policy.purposes[purpose].retention
            try:
                self._rules[purpose] = parse_retention(text) if text is not None else None
            except RetentionSyntaxError:
                self._rules[purpose] = None
        return self._rules[purpose]


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, else ''."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_ref(ctx: Ctx, keys: PathKey, name: str, section: str, what: str) -> None:
    """Report name as undefined when the section (as written) does not define it."""
    defined = ctx.defined(section)
    if defined is None or name in defined:
        return
    hint = suggest(name, defined) or (f"; define it under {section}:" if not defined else "")
    ctx.error(keys, f"undefined {what} '{name}'{hint}")


def check_category(ctx: Ctx, keys: PathKey, key: str) -> None:
    """A data category must be a fideslang key or declared under categories:."""
    declared = ctx.defined("categories")
    if taxonomy.is_taxonomy_category(key) or declared is None or key in declared:
        return
    parent = taxonomy.taxonomy_parent(key)
    if parent is not None:
        ctx.error(keys, f"data category '{key}' is not in the fideslang taxonomy (its parent '{parent}' is); "
                        f"declare it under categories: to use it{suggest(key, _all_categories(declared))}")
        return
    hint = suggest(key, _all_categories(declared)) or (
        "; use a fideslang key such as user.contact.email or declare it under categories:")
    ctx.error(keys, f"unknown data category '{key}'{hint}")


def _all_categories(declared: set[str]) -> list[str]:
    return [*taxonomy.data_categories(), *declared]


def _duplicates(ctx: Ctx, keys: PathKey, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            ctx.warn((*keys, i), f"{what} '{value}' is listed twice")
        seen.add(value)


def check_email(ctx: Ctx, keys: PathKey, value: str | None) -> None:
    """Report an e-mail address whose syntax is wrong."""
    if value is None:
        return
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        ctx.error(keys, f"'{value}' is not a valid e-mail address: {exc}")


# --- controller -----------------------------------------------------------------------------------


def check_controller(ctx: Ctx) -> None:
    """Registration checksum (CVR / orgnr), e-mail addresses, notice languages."""
    if ctx.is_broken("controller"):
        return
    c = ctx.policy.controller
    where: PathKey = ("controller",)
    problem = geo.country_problem(c.country)
    if problem:
        ctx.error((*where, "country"), problem)
    if ctx.is_broken("controller", "country"):
        pass
    elif c.registration is not None:
        _check_registration(ctx, (*where, "registration"), c.country, c.registration)
    elif c.country in ("DK", "NO"):
        ctx.warn(where, "no registration: give the CVR number (DK) or organisasjonsnummer (NO); "
                        "the notice must identify the controller")
    check_email(ctx, (*where, "email"), c.email)
    for person in ("dpo", "representative"):
        contact = getattr(c, person)
        if contact is not None:
            check_email(ctx, (*where, person, "email"), contact.email)
    for i, lang in enumerate(c.languages):
        if lang not in LANGUAGES:
            ctx.error((*where, "languages", i), f"notice language '{lang}' is not supported; use da, nb or en"
                                                f"{' (Norwegian Bokmål is nb)' if lang == 'no' else ''}")
    _duplicates(ctx, (*where, "languages"), c.languages, "language")


def _check_registration(ctx: Ctx, keys: PathKey, country: str, value: str) -> None:
    compact = re.sub(r"[\s.\-]", "", value).upper()
    module: ModuleType
    if country == "DK":
        module, name = cvr, "CVR number"
        compact = compact.removeprefix("DK")
    elif country == "NO":
        module, name = orgnr, "organisasjonsnummer"
        compact = compact.removeprefix("NO").removesuffix("MVA")
    else:
        return
    try:
        module.validate(compact)
    except stdnum_errors.InvalidChecksum:
        ctx.error(keys, f"'{value}' is not a valid {name}: the check digit is wrong")
    except stdnum_errors.ValidationError as exc:
        ctx.error(keys, f"'{value}' is not a valid {name}: {exc}")


# --- purposes --------------------------------------------------------------------------------------


def check_purposes(ctx: Ctx) -> None:
    """References, legal bases, Art. 9/10 conditions and retention rules of every purpose."""
    for key, p in ctx.policy.purposes.items():
        where: PathKey = ("purposes", key)
        for i, subject in enumerate(p.subjects):
            check_ref(ctx, (*where, "subjects", i), subject, "subjects", "subject")
        for i, category in enumerate(p.categories):
            check_category(ctx, (*where, "categories", i), category)
        for i, recipient in enumerate(p.recipients):
            check_ref(ctx, (*where, "recipients", i), recipient, "recipients", "recipient")
        for attr, what in (("subjects", "subject"), ("categories", "category"), ("recipients", "recipient")):
            _duplicates(ctx, (*where, attr), getattr(p, attr), what)
        if not p.subjects:
            ctx.warn(where, "no subjects: the notice cannot say whose data this purpose uses")
        if not p.categories:
            ctx.warn(where, "no categories: the notice cannot say which data this purpose uses")
        _check_basis(ctx, where, p)
        _check_special(ctx, where, p)
        _check_retention(ctx, where, key)


def _check_basis(ctx: Ctx, where: PathKey, p: Any) -> None:
    basis = p.basis
    if ctx.is_broken(*where, "basis"):
        return
    if basis is Basis.legitimate_interest and not p.interest:
        ctx.error((*where, "basis"), "basis legitimate_interest needs the interest pursued, stated under "
                                     "`interest:` (Art. 13(1)(d))")
    if basis is Basis.consent and p.consent is None and not ctx.is_broken(*where, "consent"):
        ctx.error((*where, "basis"), "basis consent needs a way to withdraw it: add "
                                     "`consent: {withdraw: ...}` (Art. 7(3))")
    if basis in (Basis.legal_obligation, Basis.public_task) and not p.law:
        ctx.error((*where, "basis"), f"basis {basis.value} needs the law it rests on, under `law:` "
                                     "(Art. 6(3))")
    if p.consent is not None and basis is not Basis.consent and p.art9 is None:
        ctx.warn((*where, "consent"), f"consent settings on a purpose with basis {basis.value}: "
                                      "they describe a consent this purpose does not rely on")


def _check_special(ctx: Ctx, where: PathKey, p: Any) -> None:
    special = [c for c in p.categories if taxonomy.is_special(c, ctx.policy)]
    if special and p.art9 is None:
        i = p.categories.index(special[0])
        names = ", ".join(f"'{c}'" for c in special)
        ctx.error((*where, "categories", i),
                  f"special categories of data ({names}) need an Art. 9(2) condition under `art9:` "
                  "(e.g. explicit_consent, employment_law, legal_claims)")
    if p.art9 is not None and p.art9.value == "explicit_consent" and p.consent is None:
        ctx.error((*where, "art9"), "art9 explicit_consent needs a way to withdraw it: add "
                                    "`consent: {withdraw: ..., explicit: true}` (Art. 7(3))")
    criminal = [c for c in p.categories if taxonomy.is_criminal(c, ctx.policy)]
    if criminal and not p.law:
        ctx.warn((*where, "categories", p.categories.index(criminal[0])),
                 f"data on criminal offences ('{criminal[0]}', Art. 10) may only be processed as national "
                 "law allows: name that law under `law:`")
    national = [c for c in p.categories if taxonomy.is_national_id(c, ctx.policy)]
    if national and not p.law and p.basis not in (Basis.consent, Basis.legal_obligation) \
            and not ctx.is_broken(*where, "basis"):
        ctx.warn((*where, "categories", p.categories.index(national[0])),
                 f"national identity numbers ('{national[0]}') need a legal ground in national law "
                 "(DK: databeskyttelsesloven § 11, NO: personopplysningsloven § 12): name it under `law:` "
                 "or rely on consent")


def _check_retention(ctx: Ctx, where: PathKey, key: str) -> None:
    p = ctx.policy.purposes[key]
    if p.retention is None:
        ctx.warn(where, "no retention rule: the notice must say how long data is kept (Art. 13(2)(a)) "
                        "and persondata will never delete this purpose's data")
        return
    try:
        rule = parse_retention(p.retention)
    except RetentionSyntaxError as exc:
        ctx.error((*where, "retention"), f"'{p.retention}' does not parse at column {exc.column}: "
                                         f"expected {exc.expected}, found {exc.found}")
        return
    if rule.until_consent_withdrawn and p.basis is not Basis.consent and not ctx.is_broken(*where, "basis"):
        ctx.error((*where, "retention"), "'until consent withdrawn' needs basis consent, "
                                         f"not {p.basis.value}")


def check_declarations(ctx: Ctx) -> None:
    """Declared categories (parents) and identity kinds (patterns, builtin names)."""
    for key, cat in ctx.policy.categories.items():
        if cat.parent is not None:
            check_category(ctx, ("categories", key, "parent"), cat.parent)
    for key, ident in ctx.policy.identities.items():
        if key in BUILTIN_KINDS:
            ctx.warn(("identities", key), f"'{key}' is a builtin identity kind; this declaration replaces "
                                          "its name only, not its normalisation")
        if ident.pattern is not None:
            try:
                re.compile(ident.pattern)
            except re.error as exc:
                ctx.error(("identities", key, "pattern"), f"not a valid regular expression: {exc}")


def run_checks(policy: Policy, raw: dict[str, Any], locator: Locator, broken: set[PathKey] | None = None,
               today: date | None = None, written: dict[str, Any] | None = None) -> list[Problem]:
    """Every cross-reference and legal check; returns errors and warnings."""
    from persondata.policy.checks_parties import (
        check_cookies,
        check_processor_activities,
        check_recipients,
        check_rights,
    )
    from persondata.policy.checks_systems import check_systems
    from persondata.policy.checks_texts import check_translations, check_unused

    ctx = Ctx(policy=policy, raw=raw, loc=locator, broken=set(broken or ()), today=today or date.today(),
              written=raw if written is None else written)
    steps: list[Callable[[Ctx], None]] = [
        check_controller, check_declarations, check_purposes, check_recipients, check_cookies,
        check_rights, check_processor_activities, check_translations, check_unused, check_systems,
    ]
    for step in steps:
        step(ctx)
    return ctx.problems
