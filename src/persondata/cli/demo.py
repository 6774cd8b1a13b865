"""`persondata demo`: the most complete thing persondata does, on a demo company.

It copies the it-house-webshop example into a folder, builds its company database on
embedded SQLite, and then runs the same commands a user would type, printing each one
before its output: validate, notice, RoPA, consent, access, erasure, a request through
its workflow, retention, a breach case, and the audit chain.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.rule import Rule

from persondata.cli import _context
from persondata.errors import PersondataError

EXAMPLE = "it-house-webshop"
PERSON = "email=jane@kontorhuset.example"
KEYS = ("PERSONDATA_SECRET_KEY", "PERSONDATA_HASH_KEY", "PERSONDATA_MASTER_KEY")


def _keys_file(directory: Path) -> Path:
    """Create (once) and load the demo's own keys; production keys come from the real environment."""
    path = directory / "demo.env"
    if not path.exists():
        lines = [
            f"export PERSONDATA_SECRET_KEY={secrets.token_urlsafe(32)}",
            f"export PERSONDATA_HASH_KEY={secrets.token_urlsafe(32)}",
            f"export PERSONDATA_MASTER_KEY={b64encode(secrets.token_bytes(32)).decode()}",
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        if name in KEYS and not os.environ.get(name):
            os.environ[name] = value
    return path


def _steps(out: Path, now: datetime) -> list[tuple[str, list[str]]]:
    """The tour: a title and the command line for each step."""
    aware = (now - timedelta(hours=5)).isoformat(timespec="minutes")
    next_year = (now + timedelta(days=365)).date().isoformat()
    return [
        ("Check the policy and the company database against each other",
         ["validate", "--check-systems"]),
        ("Render the privacy notice (Danish, HTML) and the English Markdown",
         ["notice", "--lang", "da", "--format", "html", "-o", str(out / "notice.da.html")]),
        ("", ["notice", "--lang", "en", "--format", "md", "-o", str(out / "notice.en.md")]),
        ("The record of processing activities (Art. 30) as Excel and as W3C DPV JSON-LD",
         ["ropa", "--format", "xlsx", "-o", str(out / "ropa.xlsx")]),
        ("", ["ropa", "--format", "jsonld", "-o", str(out / "ropa.jsonld")]),
        ("Jane signs up for the newsletter; the ledger keeps the proof (Art. 7(1))",
         ["consent", "give", "-i", PERSON, "--purpose", "newsletter", "--provenance", "demo sign-up form"]),
        ("", ["consent", "check", "-i", PERSON, "--purpose", "newsletter"]),
        ("", ["consent", "history", "-i", PERSON]),
        ("Everything the company holds on Jane, across three systems (Art. 15 and 20)",
         ["dsr", "access", "-i", PERSON, "-o", str(out / "jane-access.zip")]),
        ("What an erasure would do (bookkeeping law holds the invoices)",
         ["dsr", "erase", "-i", PERSON, "--dry-run"]),
        ("Jane's erasure request, through its workflow and legal deadline",
         ["requests", "open", "--type", "erasure", "-i", PERSON, "--channel", "web", "--no-code"]),
        ("", ["requests", "verify", "1", "--manual", "--note", "Called back on the number we hold"]),
        ("", ["requests", "run", "1", "--inline"]),
        ("", ["requests", "show", "1"]),
        ("Retention: what has expired today, and a forecast a year ahead",
         ["retention", "plan"]),
        ("", ["retention", "plan", "--as-of", next_year]),
        ("Delete and anonymise everything expired, in batches, with a stored report",
         ["retention", "run"]),
        ("A breach reported by the public: the 72-hour and business-day deadlines",
         ["breach", "open", "--aware", aware, "--discovery", "external_reporter",
          "-d", "A customer reported that order confirmations showed another customer's address",
          "--table", "webshop.customer", "--risk", "risk"]),
        ("", ["breach", "count", "BR-0001"]),
        ("", ["breach", "list"]),
        ("Every read and change above is in the hash-chained audit log",
         ["audit", "verify"]),
        ("", ["audit", "tail", "-n", "5"]),
    ]


class _MailSink:
    """A local SMTP server for the demo that saves every message it receives as an .eml file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        """Store the message (aiosmtpd handler hook)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        (self.folder / f"{self.count:03d}.eml").write_bytes(envelope.content)
        return "250 OK"


def _start_mail_sink(folder: Path) -> Any:
    """Start the demo's SMTP sink on a free loopback port and point persondata at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_MailSink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update({"PERSONDATA_SMTP_HOST": "127.0.0.1", "PERSONDATA_SMTP_PORT": str(port),
                       "PERSONDATA_SMTP_SENDER": "privacy@havbro.example"})
    return controller


def demo(
    ctx: typer.Context,
    directory: Path = typer.Option(Path("demo"), "--dir", help="Where the demo company lives."),
    customers: int = typer.Option(200, min=1, help="Customers in the synthetic company database."),
    fresh: bool = typer.Option(True, "--fresh/--keep", help="Start from a new company and state."),
) -> None:
    """Set up a demo company on embedded SQLite and run the whole product on it."""
    from persondata import examples
    from persondata.cli.main import app

    c = _context.get(ctx)
    directory = directory.resolve()
    out = directory / "out"
    out.mkdir(parents=True, exist_ok=True)
    policy = directory / "privacy.yaml"
    company = directory / "company.db"
    state = directory / "persondata.db"
    if fresh:
        for path in (company, state, *directory.glob("persondata.db-*"), *directory.glob("jobs.db*")):
            path.unlink(missing_ok=True)
    policy.write_text(examples.policy_path(EXAMPLE).read_text(encoding="utf-8"), encoding="utf-8")
    keys = _keys_file(directory)
    company_url = f"sqlite:///{company}"
    os.environ.update(examples.env_for(EXAMPLE, company_url))
    now = datetime.now(UTC)
    if not company.exists():
        with c.out.status(f"building the demo company's database ({customers} customers)"):
            counts = examples.build(EXAMPLE, company_url, customers=customers, now=now.replace(tzinfo=None))
        c.out.print(f"company database {company}: {sum(counts.values())} rows in {len(counts)} tables")

    mail = _start_mail_sink(out / "mail")
    failures = 0
    base = ["--policy", str(policy), "--database", f"sqlite:///{state}"]
    for title, argv in _steps(out, now):
        if title:
            c.out.print(Rule(title, align="left", style="cyan"))
        c.out.print(f"[bold]$ persondata {shlex.join(argv)}[/bold]", highlight=False)
        try:
            code = app(args=[*base, *argv], standalone_mode=False)
        except PersondataError as exc:
            c.err.print(f"[red]error:[/red] {exc}", highlight=False)
            code = exc.exit_code
        except typer.Exit as exc:
            code = exc.exit_code
        if isinstance(code, int) and code > 1:
            failures += 1
    mail.stop()
    c.out.print(Rule("Where everything is", align="left", style="cyan"))
    c.out.print(
        f"policy:           {policy}\n"
        f"company data:     {company}\n"
        f"persondata state: {state}\n"
        f"outputs:          {out}\n"
        f"letters sent:     {out / 'mail'} ({mail.handler.count} e-mails)\n"
        f"demo keys:        {keys}  (source it to run commands yourself)"
    )
    c.out.print(f"try:  source {keys}; export " + " ".join(
        f"{v}={company_url}" for v in examples.system_env_vars(EXAMPLE))
        + f"; persondata -p {policy} dsr access -i {PERSON} --json")
    if failures:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command("demo")(demo)
