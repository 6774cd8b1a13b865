"""Checks of recipients (transfers, DPAs), cookie vendors, rights handling and processor activities."""

from __future__ import annotations

from persondata.calendar import parse_duration
from persondata.errors import InputError
from persondata.i18n import country_name
from persondata.policy import geo
from persondata.policy.checks import REQUEST_TYPES, Ctx, check_category, check_email, check_ref, suggest
from persondata.policy.model import Role, Transfer
from persondata.policy.source import PathKey


def check_recipients(ctx: Ctx) -> None:
    """Countries, Chapter V transfer mechanisms, data processing agreements, unused recipients."""
    used = {r for p in ctx.policy.purposes.values() for r in p.recipients}
    used |= {v for c in ctx.policy.cookies.values() for v in c.vendors}
    used |= {s for a in ctx.policy.processor_activities.values() for s in a.sub_processors}
    for key, r in ctx.policy.recipients.items():
        where: PathKey = ("recipients", key)
        problem = geo.country_problem(r.country)
        if problem:
            ctx.error((*where, "country"), problem)
        elif not geo.in_eea(r.country) and not ctx.is_broken(*where, "transfer"):
            _check_transfer(ctx, where, r.country, r.transfer)
        if r.role in (Role.processor, Role.sub_processor):
            if r.dpa_signed is None:
                ctx.warn(where, f"{r.role.value} without `dpa_signed:` (the date the Art. 28 data processing "
                                "agreement was signed)")
            elif r.dpa_signed > ctx.today:
                ctx.warn((*where, "dpa_signed"), f"dpa_signed {r.dpa_signed.isoformat()} is in the future")
        if key not in used and ctx.defined("purposes") is not None:
            ctx.warn(where, "recipient not named by any purpose, cookie category or processor activity")


def _check_transfer(ctx: Ctx, where: PathKey, country: str, transfer: Transfer | None) -> None:
    name = country_name(country, "en")
    if transfer is None:
        options = "adequacy, scc, dpf, bcr or derogation"
        hint = " (adequacy decision: state `transfer: adequacy`)" if country in geo.ADEQUATE else ""
        hint = hint or (" (DPF-certified: `transfer: dpf`)" if country in geo.DPF_COUNTRIES else "")
        ctx.error((*where, "country"), f"recipient in {name} ({country}), outside the EU/EEA, needs a "
                                       f"transfer mechanism: `transfer:` {options}{hint}")
    elif transfer is Transfer.adequacy and country not in geo.ADEQUATE:
        extra = ("; for DPF-certified US organisations use `transfer: dpf`"
                 if country in geo.DPF_COUNTRIES else "")
        ctx.error((*where, "transfer"), f"{name} ({country}) has no EU adequacy decision{extra}")
    elif transfer is Transfer.dpf and country not in geo.DPF_COUNTRIES:
        ctx.error((*where, "transfer"), f"the EU-US Data Privacy Framework covers US recipients only, "
                                        f"not {name} ({country})")


def check_cookies(ctx: Ctx) -> None:
    """Cookie category vendors must be recipients."""
    for key, c in ctx.policy.cookies.items():
        for i, vendor in enumerate(c.vendors):
            check_ref(ctx, ("cookies", key, "vendors", i), vendor, "recipients", "recipient")
        if not c.necessary and not c.vendors and not c.cookies:
            ctx.warn(("cookies", key), "no vendors and no cookies: the banner cannot say what this "
                                       "category sets")


def check_rights(ctx: Ctx) -> None:
    """Verification per request type; breach promises that must parse as durations."""
    for kind, method in ctx.policy.rights.verification.items():
        keys: PathKey = ("rights", "verification", kind)
        if kind not in REQUEST_TYPES:
            ctx.error(keys, f"'{kind}' is not a request type{suggest(kind, REQUEST_TYPES)} "
                            f"(request types: {', '.join(REQUEST_TYPES)})")
        elif method.value == "none" and kind in ("access", "portability", "erasure", "rectification"):
            ctx.warn(keys, f"{kind} requests without identity verification risk handing data to the wrong "
                           "person (Art. 12(6))")
    if ctx.policy.rights.contact and "@" in ctx.policy.rights.contact:
        check_email(ctx, ("rights", "contact"), ctx.policy.rights.contact)
    for name in ("reporter_receipt", "reporter_feedback"):
        try:
            parse_duration(getattr(ctx.policy.breaches, name))
        except InputError as exc:
            ctx.error(("breaches", name), str(exc))
    if ctx.policy.breaches.contact and "@" in ctx.policy.breaches.contact:
        check_email(ctx, ("breaches", "contact"), ctx.policy.breaches.contact)


def check_processor_activities(ctx: Ctx) -> None:
    """Art. 30(2) activities: categories and sub-processors must exist."""
    for key, a in ctx.policy.processor_activities.items():
        where: PathKey = ("processor_activities", key)
        for i, category in enumerate(a.categories):
            check_category(ctx, (*where, "categories", i), category)
        for i, sub in enumerate(a.sub_processors):
            check_ref(ctx, (*where, "sub_processors", i), sub, "recipients", "recipient")
