"""Deterministic fault injection for crash tests: stop a worker right after a step commits.

    PERSONDATA_FAULT_AFTER_STEPS=1       after the first step of an execution has committed...
    PERSONDATA_FAULT_MODE=pause|kill     ...block forever (the test kills us) or SIGKILL ourselves
    PERSONDATA_FAULT_MARKER=/tmp/x       file written just before, so the test knows where we are

Unset in production; reading three environment variables costs nothing.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path


def after_step(steps_done_here: int) -> None:
    """Called after each committed step with how many this attempt has done."""
    wanted = os.environ.get("PERSONDATA_FAULT_AFTER_STEPS")
    if not wanted or steps_done_here != int(wanted):
        return
    marker = os.environ.get("PERSONDATA_FAULT_MARKER")
    if marker:
        Path(marker).write_text(f"{os.getpid()}\n")
    if os.environ.get("PERSONDATA_FAULT_MODE", "pause") == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Event().wait()  # pause until killed from outside
