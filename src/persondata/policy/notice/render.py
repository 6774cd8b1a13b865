"""Render the privacy notice as Markdown or a self-contained HTML page (Jinja2 stays in here).

Everything that comes from the policy is escaped: HTML by Jinja's autoescaping, Markdown by
`md_escape` applied to every `{{ }}` output (the Markdown environment's finalize hook).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup, escape

from persondata.errors import InputError
from persondata.i18n import SUPPORTED, UnsupportedLanguage, normalise_lang
from persondata.policy.model import Policy
from persondata.policy.notice.view import build_view

FORMATS = ("md", "html")

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_WS = re.compile(r"\s+")
_LINKABLE = re.compile(
    r"(https?://[^\s<>&\"']*[^\s<>&\"'.,;:!?)]|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_MD_BLOCK_START = re.compile(r"^(#{1,6}(\s|$)|[+\-](\s|$)|\d+[.)](\s|$))")


class NoticeLanguageError(InputError):
    """A notice language persondata cannot render."""


def md_escape(value: Any) -> str:
    """Policy text made inert in Markdown: whitespace collapsed, markup characters escaped."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    text = _WS.sub(" ", str(value)).strip()
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if _MD_BLOCK_START.match(text):
        text = "\\" + text
    return text


def linkify(value: Any) -> Markup:
    """HTML-escape a text, then turn the e-mail addresses and http(s) URLs in it into links."""

    def link(match: re.Match[str]) -> str:
        target = match.group(0)
        href = target if target.startswith("http") else "mailto:" + target
        return f'<a href="{href}">{target}</a>'

    return Markup(_LINKABLE.sub(link, str(escape(value))))


def _md_url(value: str) -> Markup:
    """A link target for Markdown: spaces and parentheses percent-encoded, never escaped text."""
    return Markup(str(value).strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")
                  .replace("<", "%3C").replace(">", "%3E"))


def _href(kind: str, value: str) -> str:
    """The link target of a contact field."""
    value = value.strip()
    if kind == "email":
        return "mailto:" + value
    if kind == "phone":
        return "tel:" + value.replace(" ", "")
    if kind == "url" and not re.match(r"^https?://", value):
        return "https://" + value
    return value


def _display_url(value: str) -> str:
    return re.sub(r"^https?://", "", value.strip()).rstrip("/")


@cache
def _environment(fmt: str) -> jinja2.Environment:
    loader = jinja2.PackageLoader("persondata.policy.notice", "templates")
    if fmt == "html":
        env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined)
    else:
        env = jinja2.Environment(loader=loader, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined, finalize=md_escape,
                                 keep_trailing_newline=True)
        env.filters["url"] = _md_url
    env.filters["href"] = _href
    env.filters["linkify"] = linkify
    env.filters["display_url"] = _display_url
    return env


@cache
def _css() -> str:
    return resources.files("persondata.policy.notice").joinpath("templates", "notice.css").read_text("utf-8")


def check_language(policy: Policy, lang: str) -> tuple[str, bool]:
    """The catalog language for a request, and whether the policy itself has texts in it.

    Any of da, nb, en renders (the policy's own texts fall back to another of its languages
    when it has none in the requested one); any other language is refused, even when the
    policy lists it, because the fixed texts do not exist.
    """
    try:
        code = normalise_lang(lang)
    except UnsupportedLanguage as exc:
        listed = ", ".join(policy.controller.languages)
        raise NoticeLanguageError(
            f"cannot render a notice in {lang!r}: fixed texts exist in {', '.join(SUPPORTED)} "
            f"(the policy's languages: {listed})"
        ) from exc
    own = {normalise_lang(x) if x.lower() in ("no", "nb") else x.lower() for x in policy.controller.languages}
    return code, code in own


def render_notice(policy: Policy, lang: str, fmt: str, today: date | None = None) -> str:
    """The privacy notice in a language (da, nb, en) and format (md, html)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown notice format {fmt!r}; use md or html")
    code, _ = check_language(policy, lang)
    view = build_view(policy, code, today)
    template = _environment(fmt).get_template(f"notice.{fmt}.j2")
    css = Markup(_css()) if fmt == "html" else ""
    out = template.render(v=view, css=css)
    return _tidy_markdown(out) if fmt == "md" else out


def _tidy_markdown(text: str) -> str:
    """Blank lines around headings and before lists and tables; no runs of blank lines."""
    lines: list[str] = []
    for line in text.splitlines():
        block = line.startswith(("- ", "|")) or bool(re.match(r"^\d+\. ", line))
        prev = lines[-1] if lines else ""
        prev_block = prev.startswith(("- ", "|")) or bool(re.match(r"^\d+\. ", prev))
        heading = line.startswith("#") or prev.startswith("#")
        if lines and prev.strip() and (heading or (block and not prev_block)):
            lines.append("")
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
