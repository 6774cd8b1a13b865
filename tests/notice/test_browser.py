"""The rendered notice in a real browser (Debian's Chromium via Playwright): readable, self-contained."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Request, sync_playwright

from persondata import examples
from persondata.policy.loader import load_policy
from persondata.policy.notice.render import render_notice

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.parametrize(("example", "lang", "heading"), [
    ("it-house-webshop", "da", "Dine rettigheder"),
    ("network-software-vendor", "nb", "Dine rettigheter"),
    ("business-telephony", "en", "Your rights"),
])
def test_notice_renders_self_contained_in_chromium(chromium_path: str, tmp_path: Path, example: str,
                                                   lang: str, heading: str) -> None:
    env = examples.env_for(example, "sqlite:///unused.db", os.environ)
    policy = load_policy(examples.policy_path(example), env=env).policy
    page_file = tmp_path / f"notice.{lang}.html"
    page_file.write_text(render_notice(policy, lang, "html"), encoding="utf-8")

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})

            def note(request: Request) -> None:
                if not request.url.startswith(("file://", "data:", "about:")):
                    outside.append(request.url)

            page.on("request", note)
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.lang") == lang
            assert page.locator("h1").first.is_visible()
            assert page.get_by_text(policy.controller.name).first.is_visible()
            rights = page.get_by_role("heading", name=heading).first
            assert rights.is_visible()
            # every table-of-contents link lands on a heading that exists
            targets = page.eval_on_selector_all("a[href^='#']", "els => els.map(e => e.getAttribute('href'))")
            assert targets, "the notice has a table of contents"
            for target in targets:
                assert page.locator(target).count() == 1, target
            # the text is laid out for reading: no horizontal overflow at desktop or phone width
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.set_viewport_size({"width": 390, "height": 800})
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(tmp_path / "notice.png"), full_page=False)
        finally:
            browser.close()
    assert outside == [], f"the notice loads nothing from outside: {outside}"
    assert (tmp_path / "notice.png").stat().st_size > 10_000
