"""Notice and record of processing for every example company that exists."""

from __future__ import annotations

import pytest
from tests.notice.helpers import assert_complete_notice
from tests.notice.ropa_checks import check_csv, check_jsonld, check_xlsx

from persondata.examples import EXAMPLES, policy_path
from persondata.policy.loader import load_policy
from persondata.policy.model import Policy
from persondata.policy.notice import render_notice

PRESENT = [name for name in EXAMPLES if policy_path(name).exists()]


def _policy(name: str) -> Policy:
    return load_policy(policy_path(name), env={}).policy


def test_all_five_examples_are_covered() -> None:
    assert list(EXAMPLES) == PRESENT and len(PRESENT) == 5


@pytest.mark.parametrize("name", PRESENT)
def test_notice_in_each_language_and_format(name: str) -> None:
    policy = _policy(name)
    assert policy.controller.languages
    for lang in policy.controller.languages:
        for fmt in ("md", "html"):
            assert_complete_notice(policy, lang, fmt, render_notice(policy, lang, fmt))


@pytest.mark.parametrize("name", PRESENT)
def test_recipients_are_named_in_the_notice_language(name: str) -> None:
    policy = _policy(name)
    local = policy.controller.languages[0]
    generic = [r for r in policy.recipients.values() if isinstance(r.name, dict)]
    assert generic, "every example has kinds of recipients (public authorities...) named per language"
    english = render_notice(policy, "en", "md")
    for r in generic:
        assert r.name_in("en") in english and r.name_in(local) not in english
        assert r.name_in(local) in render_notice(policy, local, "md")


@pytest.mark.parametrize("name", PRESENT)
def test_record_of_processing_in_all_formats(name: str) -> None:
    policy = _policy(name)
    check_csv(policy)
    check_xlsx(policy)
    check_jsonld(policy)
