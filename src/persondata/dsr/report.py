"""The readable HTML report of an access request, in the subject's language (da, nb, en)."""

from __future__ import annotations

from functools import cache

import jinja2

from persondata.dsr.results import AccessResult
from persondata.i18n import country_name, format_date, t

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your personal data at {controller}",
        "intro": "This is a copy of the personal data {controller} holds about you, found with: {ids}."
                 " The file data.json and one CSV file per table hold the same data in machine-readable"
                 " form.",
        "generated": "Generated {date}",
        "rows": "Rows", "none_found": "We found no personal data about you.",
        "shared": "Data you share with others", "shared_intro":
            "These rows are linked to your data but are not yours alone (for example an address you"
            " share with someone). They are shown for completeness; they are not erased with your data.",
        "portable": "portable", "encrypted": "encrypted",
        "portable_legend": "data you gave us under a contract or your consent: you may take it with you"
                           " in a machine-readable form (Art. 20 GDPR).",
        "third_country": "outside the EU/EEA",
        "restricted": "Processing of your data is restricted (Art. 18 GDPR): we only store it.",
        "column": "Field", "no_recipients": "No recipients.",
    },
    "da": {
        "title": "Dine personoplysninger hos {controller}",
        "intro": "Dette er en kopi af de personoplysninger, {controller} har om dig, fundet ud fra: {ids}."
                 " Filen data.json og én CSV-fil pr. tabel indeholder de samme data i maskinlæsbar form.",
        "generated": "Dannet {date}",
        "rows": "Rækker", "none_found": "Vi fandt ingen personoplysninger om dig.",
        "shared": "Oplysninger, du deler med andre", "shared_intro":
            "Disse rækker hænger sammen med dine oplysninger, men er ikke kun dine (fx en adresse, du"
            " deler med en anden). De vises for fuldstændighedens skyld og slettes ikke sammen med"
            " dine data.",
        "portable": "kan overføres", "encrypted": "krypteret",
        "portable_legend": "oplysninger, du har givet os under en aftale eller med dit samtykke: du kan"
                           " få dem udleveret i maskinlæsbar form (art. 20 GDPR).",
        "third_country": "uden for EU/EØS",
        "restricted": "Behandlingen af dine oplysninger er begrænset (art. 18 GDPR): vi opbevarer dem kun.",
        "column": "Felt", "no_recipients": "Ingen modtagere.",
    },
    "nb": {
        "title": "Dine personopplysninger hos {controller}",
        "intro": "Dette er en kopi av personopplysningene {controller} har om deg, funnet ut fra: {ids}."
                 " Filen data.json og én CSV-fil per tabell inneholder de samme dataene i maskinlesbar form.",
        "generated": "Laget {date}",
        "rows": "Rader", "none_found": "Vi fant ingen personopplysninger om deg.",
        "shared": "Opplysninger du deler med andre", "shared_intro":
            "Disse radene henger sammen med opplysningene dine, men er ikke bare dine (for eksempel en"
            " adresse du deler med noen). De vises for fullstendighetens skyld og slettes ikke med"
            " dine data.",
        "portable": "kan overføres", "encrypted": "kryptert",
        "portable_legend": "opplysninger du har gitt oss under en avtale eller med ditt samtykke: du kan"
                           " få dem utlevert i maskinlesbar form (art. 20 GDPR).",
        "third_country": "utenfor EU/EØS",
        "restricted": "Behandlingen av opplysningene dine er begrenset (art. 18 GDPR): vi bare lagrer dem.",
        "column": "Felt", "no_recipients": "Ingen mottakere.",
    },
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("persondata.dsr", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )


def render_report(result: AccessResult) -> str:
    """The HTML report of an access result in the result's language."""
    lang = result.lang
    labels = LABELS[lang]
    controller = str(result.controller["name"])

    def label(key: str, **params: object) -> str:
        text = labels[key]
        return text.format(**params) if params else text

    return _environment().get_template("report.html.j2").render(
        r=result, lang=lang, label=label, t=lambda key, **p: t(lang, key, **p),
        country=lambda code: country_name(code, lang),
        title=label("title", controller=controller),
        generated=label("generated", date=format_date(result.generated_at.date(), lang)),
        intro=label("intro", controller=controller, ids=", ".join(result.requested)),
    )
