"""Print and write the figures of bench/vs_fides.sh from the two sides' JSON.

    python bench/fides/report.py --results RESULTS.json --command CMD --runs N --warmup N [--out FILE.md]

RESULTS.json is what bench/fides/drive.py prints: {"fides": {...}, "persondata": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGET = {"access": 0.050, "erasure": 0.050}
ISSUE_FIDES = {"access": 0.65, "erasure": 0.90}


def ms(seconds: float) -> str:
    """Seconds as milliseconds with one decimal."""
    return f"{seconds * 1000:.1f} ms"


def rounded(times: list[float]) -> str:
    """Seconds to the tenth of a millisecond."""
    return "[" + ", ".join(f"{t:.4f}" for t in times) + "]"


def table(fides: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Markdown rows: per request kind, Fides and both persondata variants, with ratios."""
    lines = [
        "| request | Fides 2.78.2 median (min) | persondata, CLI path median (min) | ratio |"
        " persondata, connectors kept median (min) | ratio | target (ours) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("access", "erasure"):
        f = fides[kind]
        cli, kept = ours["cli"][kind], ours["kept"][kind]
        lines.append(
            f"| {kind} | {ms(f['median'])} ({ms(f['min'])}) | {ms(cli['median'])} ({ms(cli['min'])})"
            f" | {f['median'] / cli['median']:.1f}× | {ms(kept['median'])} ({ms(kept['min'])})"
            f" | {f['median'] / kept['median']:.1f}× | ≤ {ms(TARGET[kind])} |"
        )
    return lines


def verdicts(fides: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Whether each figure meets the issue's target."""
    out = []
    for kind in ("access", "erasure"):
        for variant, label in (("cli", "CLI path"), ("kept", "connectors kept")):
            m = ours[variant][kind]["median"]
            ok = "meets" if m <= TARGET[kind] else "MISSES"
            out.append(f"- persondata {kind}, {label}: {ms(m)} — {ok} the ≤ {ms(TARGET[kind])} target")
        out.append(f"- Fides {kind}: {ms(fides[kind]['median'])}"
                   f" (the issue says about {ISSUE_FIDES[kind]:.2f} s)")
    return out


def load_note(load: str) -> list[str]:
    """A warning when the machine was busier than its cores while the benchmark ran."""
    try:
        busiest = max(float(w) for w in load.replace(",", " ").split() if w.replace(".", "", 1).isdigit())
    except ValueError:
        return []
    cores = os.cpu_count() or 1
    if busiest <= cores:
        return []
    return [f"**The machine was loaded by other work (1-minute load average up to {busiest:g} on {cores}"
            " cores):** every absolute figure above is inflated by waiting for a CPU. The ratios are the"
            " sturdier figure, as both sides' requests alternated under the same load.", ""]


def main(argv: list[str] | None = None) -> int:
    """Read both JSON files, print the table, write the Markdown file."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True, help="the JSON drive.py printed")
    parser.add_argument("--command", required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--load", default="", help="load average while the benchmark ran")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    fides, ours = results["fides"], results["persondata"]

    rows = table(fides, ours)
    print("\n".join(rows))
    print()
    print("\n".join(verdicts(fides, ours)))
    if args.out is None:
        return 0
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    text = [
        "# persondata vs Fides: warm DSR latency on a small webshop",
        "",
        f"Command: `{args.command}`  ",
        f"Machine: {os.cpu_count()} cores / {mem:.0f} GiB, {platform.python_implementation()}"
        f" {platform.python_version()}, PostgreSQL on 127.0.0.1:5432;"
        f" run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        + (f"; 1-minute load average {args.load}" if args.load else "") + ".  ",
        f"Fides {fides.get('version')} (`ethyca-fides` from PyPI, own virtualenv), {args.warmup} warm-up and"
        f" {args.runs} timed requests of each kind per side.",
        "",
        *rows,
        "",
        "Ratio = Fides median / persondata median.",
        "",
        *verdicts(fides, ours),
        "",
        "## What is measured",
        "",
        "Both sides work on the same PostgreSQL database: five tables (address, customer, orders,"
        " order_items, payment_card) with the rows of `persondata.testing.webshop`; the subject is"
        " jane@example.dk (1 customer row, 2 orders, 3 order items, 1 card, 1 shared address).",
        "",
        "- **Fides**: `uvicorn fides.api.main:app` on a loopback port with in-process (Celery eager)"
        " execution, its own PostgreSQL application database and a password-protected redis-server."
        " Set up through its API: postgres connection + secrets, the dataset YAML"
        " (`bench/fides/webshop_dataset.yml`, identity `email`), an access policy (category `user`) and"
        " an erasure policy (null / hash / rewrite rules by category). A request is timed from"
        " `POST /api/v1/privacy-request` until `GET /api/v1/privacy-request?request_id=…` reports"
        " `complete` (polled every 5 ms). The access package is checked to hold all five collections,"
        " the erasure to have masked the customer, card, order and order-item fields.",
        "- **persondata**: `persondata.dsr.service.access` / `erase` — the call `persondata dsr access|erase`"
        " makes — inside one state-database transaction (PostgreSQL, audited), timed in its own process"
        " (`bench/fides/persondata_side.py --serve`). Its requests alternate with Fides's, one by one,"
        " so both sides run under the same machine load."
        " *CLI path*: a new `Systems` per request, exactly as the CLI builds it; its engines and reflected"
        " tables come from the process-wide cache (`persondata.connectors.engines`), so this is the warm"
        " service call (a fresh CLI process pays engine set-up and reflection once, like Fides's start-up)."
        " *Connectors kept*: one `Systems` reused across requests, as a long-running worker would."
        " The erasure deletes the customer, anonymises orders, items and card, reports the shared"
        " address.",
        "- The webshop rows are put back before every erasure request on both sides (not timed)."
        " Process start-up is not counted on either side.",
        "",
        "Differences to keep in mind:",
        "",
        "- Fides's erasure masks with one UPDATE per row and collection (null / hash / string rewrite"
        " by data category; it deletes nothing); persondata's deletes the customer row and anonymises"
        " the rest field by field (null, keyed hash, redact, mask all but the last 4, date to year),"
        " lets go of the deleted parent, and records the erasure in its audit log. Both first find the"
        " subject's rows (Fides runs its access traversal before masking).",
        "- Fides's access request also renders and stores its HTML access package (a zip in local"
        " storage); persondata's timed call builds the Art. 15 result (rows, purposes, recipients,"
        " retention, rights) but writes the zip only when the CLI is given `-o`.",
        "- Fides runs with its defaults otherwise (log level INFO, DSR 3.0 scheduler, request tasks"
        " and execution logs in its application database, identity and masking secrets cached in"
        " Redis); manual approval and identity verification are off.",
        "",
        *load_note(args.load),
        "Checks made before timing:",
        "",
        f"- Fides: `{json.dumps(fides.get('check'), ensure_ascii=False)}`",
        f"- persondata: `{json.dumps(ours.get('check'), ensure_ascii=False)}`",
        "",
        "Every run (seconds):",
        "",
        f"- Fides access {rounded(fides['access']['runs'])}",
        f"- Fides erasure {rounded(fides['erasure']['runs'])}",
        *(f"- persondata {v} {k} {rounded(ours[v][k]['runs'])}"
          for v in ("cli", "kept") for k in ("access", "erasure")),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
