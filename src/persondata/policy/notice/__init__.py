"""The privacy notice (Art. 13/14 GDPR) rendered from the policy in da, nb or en."""

from __future__ import annotations

from persondata.policy.notice.render import FORMATS, NoticeLanguageError, check_language, render_notice

__all__ = ["FORMATS", "NoticeLanguageError", "check_language", "render_notice"]
