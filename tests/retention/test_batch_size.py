"""The batch size adapts to how long company transactions take (locks held about a second at most)."""

from __future__ import annotations

from typing import Any

from persondata.retention.runner import Runner, RunReport


def test_slow_transactions_halve_the_batch_and_quick_ones_grow_it_back() -> None:
    engine: Any = object()
    r = Runner(engine, batch_size=5000)
    report = RunReport(1, "running", None)  # type: ignore[arg-type]
    r._took(1.5, report)
    assert r.batch_size == 2500
    r._took(0.5, report)
    assert r.batch_size == 2500  # between the bounds: unchanged
    for _ in range(10):
        r._took(2.0, report)
    assert r.batch_size == 100  # never below 100
    for _ in range(10):
        r._took(0.05, report)
    assert r.batch_size == 5000  # never above what was asked for
    assert report.longest_transaction == 2.0
