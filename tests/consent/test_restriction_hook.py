"""Restricted subjects (Art. 18, recorded by the DSR engine) are never allowed or filtered in."""

from __future__ import annotations

from datetime import UTC, datetime

from persondata.consent import service
from persondata.consent.filtering import filter_text
from persondata.consent.schemas import Source
from persondata.db.engine import Database
from persondata.dsr.models import Restriction
from persondata.identity import Hasher
from persondata.policy.model import Policy


def test_dsr_restriction_blocks_check_and_filter(db: Database, policy: Policy, hasher: Hasher) -> None:
    jane = service.parse(policy, "email=jane@example.dk")
    bo = service.parse(policy, "email=bo@example.dk")
    with db.transaction() as s:
        for who in (jane, bo):
            service.give(s, policy, hasher, who, "newsletter", source=Source.web_form, actor="w")
        s.add(Restriction(group_id="g-1", identity_hash=hasher.hash(jane), kind="email",
                          scope="subject", actor="dsr", created_at=datetime.now(UTC)))
    with db.transaction() as s:
        st = service.status(s, policy, hasher, jane, "newsletter")
        assert not st.allowed and "Art. 18" in st.reason
        assert service.status(s, policy, hasher, bo, "newsletter").allowed
        out, report = filter_text(s, policy, hasher, "jane@example.dk\nbo@example.dk\n", "newsletter",
                                  actor="t")
    assert out == "bo@example.dk\n" and report.excluded == 1
