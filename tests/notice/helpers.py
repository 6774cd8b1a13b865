"""Assertions shared by the fixture and example tests."""

from __future__ import annotations

from html.parser import HTMLParser

from markupsafe import escape

from persondata.authorities import authority_for
from persondata.i18n import describe as d
from persondata.i18n import t
from persondata.policy.model import Policy, text_in
from persondata.policy.notice.render import md_escape

RIGHTS = ("access", "rectification", "erasure", "restriction", "portability", "objection", "withdraw",
          "complaint")


def shown(text: str, fmt: str) -> str:
    """How a policy text appears in a rendered notice of a format."""
    return str(escape(text)) if fmt == "html" else md_escape(text)


class Page(HTMLParser):
    """Collects what the HTML checks need: ids, in-page links, tags, the lang attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.lang: str | None = None
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if values.get("id"):
            self.ids.append(str(values["id"]))
        href = values.get("href") or ""
        if href.startswith("#"):
            self.links.append(href[1:])
        if tag in ("link", "script", "img", "iframe") or values.get("src"):
            self.external.append(tag)


def parse_html(html: str) -> Page:
    """Parse a rendered page."""
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_complete_notice(policy: Policy, lang: str, fmt: str, out: str) -> None:
    """The notice names every purpose, recipient, retention period, right and the authority."""
    missing = []
    for p in policy.purposes.values():
        for text in (text_in(p.name, lang), d.retention_words(p, lang, policy)):
            if shown(text, fmt) not in out:
                missing.append(text)
    for r in policy.recipients.values():
        if shown(r.name_in(lang), fmt) not in out:
            missing.append(r.name_in(lang))
    for key in RIGHTS:
        if shown(t(lang, f"rights.{key}.title"), fmt) not in out:
            missing.append(key)
    authority = authority_for(policy.controller.country)
    for text in (authority.name_in(lang), authority.email or "", authority.phone or "",
                 authority.postal_address[0] if authority.postal_address else ""):
        if shown(text, fmt) not in out:
            missing.append(text)
    if shown(t(lang, "rights.deadline"), fmt) not in out:
        missing.append("deadline")
    if shown(policy.controller.name, fmt) not in out:
        missing.append(policy.controller.name)
    if not policy.cookies and shown(t(lang, "cookies.none"), fmt) not in out:
        missing.append("no cookies statement")
    for c in policy.cookies.values():
        if shown(text_in(c.name, lang), fmt) not in out:
            missing.append(text_in(c.name, lang))
    assert not missing, f"{lang}/{fmt} notice lacks: {missing}"
    if fmt == "html":
        page = parse_html(out)
        assert page.lang == lang
        assert page.external == [], "the page must be self-contained"
        assert "style" in page.tags and "nav" in page.tags
        assert len(page.ids) == len(set(page.ids)), "duplicate ids"
        assert set(page.links) <= set(page.ids), f"dangling links: {set(page.links) - set(page.ids)}"
