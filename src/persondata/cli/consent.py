"""`persondata consent give|withdraw|check|history|import|filter`: the consent ledger."""

from __future__ import annotations

import hashlib
import io
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from persondata.cli import _context
from persondata.errors import InputError

if TYPE_CHECKING:
    from persondata.identity import Hasher
    from persondata.policy.model import Policy

consent_app = typer.Typer(help="The consent ledger: record, check, prove, import, filter.",
                          no_args_is_help=True)

IdentityOpt = typer.Option(..., "--identity", "-i", help="KIND=VALUE, e.g. email=jane@example.dk")
PurposeOpt = typer.Option(..., "--purpose", help="A consent purpose or cookie category (cookies.KEY).")


def _setup(c: _context.CliContext) -> tuple[Policy, Hasher]:
    from persondata.identity import Hasher

    return c.policy().policy, Hasher(c.settings.require("hash_key"))


def _time(text: str | None) -> datetime | None:
    from persondata.consent.importing import parse_time

    return parse_time(text) if text else None


def _notice(notice_file: Path | None, notice_hash: str | None) -> str | None:
    if notice_file is not None:
        try:
            return hashlib.sha256(notice_file.read_bytes()).hexdigest()
        except OSError as exc:
            raise InputError(f"cannot read the notice file {notice_file}: {exc.strerror}") from exc
    if notice_hash is not None and (len(notice_hash) != 64 or not all(
            ch in "0123456789abcdef" for ch in notice_hash)):
        raise InputError(f"--notice-hash {notice_hash!r} is not a SHA-256 hex digest")
    return notice_hash


def _change(ctx: typer.Context, action: str, identity: str, purpose: str, at: str | None,
            notice_file: Path | None, notice_hash: str | None, user_agent: str | None,
            ip: str | None, provenance: str | None, actor: str | None, json_flag: bool) -> None:
    from persondata.consent import service
    from persondata.consent.schemas import Action, Change, Evidence, Source

    c = _context.get(ctx, json_flag)
    policy, hasher = _setup(c)
    who = service.parse(policy, identity)
    change = Change(identity=who, purpose=purpose, action=Action(action), source=Source.admin,
                    at=_time(at), notice_hash=_notice(notice_file, notice_hash),
                    evidence=Evidence(user_agent, ip), provenance=provenance)
    with c.db().transaction() as session:
        event_id = service.record_changes(session, policy, hasher, [change], actor=_context.actor(actor))[0]
    c.emit({"event": event_id, "identity": str(who), "purpose": purpose, "action": action},
           lambda: c.out.print(f"consent {action}: {who} / {purpose} (event {event_id})",
                               highlight=False))


NoticeFile = typer.Option(None, "--notice-file", help="The notice text shown; its SHA-256 is stored.")
NoticeHash = typer.Option(None, "--notice-hash", help="SHA-256 hex of the notice text shown.")
AtOpt = typer.Option(None, "--at", help="When (YYYY-MM-DD or ISO 8601); default now.")
AgentOpt = typer.Option(None, "--user-agent", help="Evidence: the browser's user agent.")
IpOpt = typer.Option(None, "--ip", help="Evidence: IP address (stored truncated: /24, /48).")
ProvOpt = typer.Option(None, "--provenance", help="Where this consent was collected.")
ActorOpt = typer.Option(None, "--actor", help="Who records it (default cli:<user>).")


@consent_app.command("give")
def give(ctx: typer.Context, identity: str = IdentityOpt, purpose: str = PurposeOpt,
         at: str | None = AtOpt, notice_file: Path | None = NoticeFile,
         notice_hash: str | None = NoticeHash, user_agent: str | None = AgentOpt,
         ip: str | None = IpOpt, provenance: str | None = ProvOpt, actor: str | None = ActorOpt,
         json_flag: bool = _context.JsonFlag) -> None:
    """Record that consent was given (source: admin)."""
    _change(ctx, "given", identity, purpose, at, notice_file, notice_hash, user_agent, ip,
            provenance, actor, json_flag)


@consent_app.command("withdraw")
def withdraw(ctx: typer.Context, identity: str = IdentityOpt, purpose: str = PurposeOpt,
             at: str | None = AtOpt, notice_file: Path | None = NoticeFile,
             notice_hash: str | None = NoticeHash, user_agent: str | None = AgentOpt,
             ip: str | None = IpOpt, provenance: str | None = ProvOpt,
             actor: str | None = ActorOpt, json_flag: bool = _context.JsonFlag) -> None:
    """Record that consent was withdrawn (source: admin)."""
    _change(ctx, "withdrawn", identity, purpose, at, notice_file, notice_hash, user_agent, ip,
            provenance, actor, json_flag)


@consent_app.command("check")
def check(ctx: typer.Context, identity: str = IdentityOpt, purpose: str = PurposeOpt,
          json_flag: bool = _context.JsonFlag) -> None:
    """Exit 0 when processing for the purpose is allowed now, 1 when it is not."""
    from persondata.consent import service

    c = _context.get(ctx, json_flag)
    policy, hasher = _setup(c)
    who = service.parse(policy, identity)
    with c.db().transaction() as session:
        st = service.status(session, policy, hasher, who, purpose)
    since = f" since {st.since:%Y-%m-%d %H:%M} UTC" if st.since else ""
    c.emit({"identity": st.identity, "purpose": st.purpose, "allowed": st.allowed,
            "reason": st.reason, "since": st.since, "event": st.event_id},
           lambda: c.out.print(f"{'allowed' if st.allowed else 'NOT allowed'}: {st.identity} / "
                               f"{st.purpose}: {st.reason}{since}", highlight=False))
    if not st.allowed:
        raise typer.Exit(1)


@consent_app.command("history")
def history(ctx: typer.Context, identity: str = IdentityOpt,
            purpose: str | None = typer.Option(None, "--purpose", help="Only this purpose."),
            actor: str | None = ActorOpt, json_flag: bool = _context.JsonFlag) -> None:
    """Every consent event of a person: the proof of consent (Art. 7(1))."""
    from persondata.consent import service
    from persondata.consent.suppression import is_suppressed

    c = _context.get(ctx, json_flag)
    policy, hasher = _setup(c)
    who = service.parse(policy, identity)
    with c.db().transaction() as session:
        events = service.history(session, hasher, who, actor=_context.actor(actor), purpose=purpose)
        suppressed = is_suppressed(session, hasher, who)
    rows = [e.__dict__ for e in events]

    def human() -> None:
        count = f"{len(events)} event{'s' if len(events) != 1 else ''}"
        c.out.print(f"consent history of {who} ({count})", highlight=False)
        for e in events:
            c.out.print(f"#{e.id}  {e.at:%Y-%m-%d %H:%M:%S} UTC  {e.purpose}  {e.action.upper()}  "
                        f"source {e.source}, policy version {e.policy_version}", highlight=False)
            if e.notice_hash:
                c.out.print(f"    notice sha256 {e.notice_hash}", highlight=False)
            if e.ip_prefix or e.user_agent:
                c.out.print(f"    evidence: ip {e.ip_prefix or '-'}, user agent {e.user_agent or '-'}",
                            highlight=False)
            if e.provenance:
                c.out.print(f"    provenance: {e.provenance}", highlight=False)
            c.out.print(f"    recorded {e.recorded_at:%Y-%m-%d %H:%M:%S} UTC by {e.actor}",
                        highlight=False)
        if suppressed:
            c.out.print("on the suppression list: objected to direct marketing (Art. 21(3))")

    c.emit({"identity": str(who), "suppressed": suppressed, "events": rows}, human)


@consent_app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV with identity, purpose, at/date, provenance columns."),
    purpose: str | None = typer.Option(None, "--purpose", help="Purpose for rows without one."),
    provenance: str | None = typer.Option(None, "--provenance", help="Provenance for rows without one."),
    kind: str | None = typer.Option(None, "--kind", help="Which identity column to use."),
    policy_version: str | None = typer.Option(None, "--policy-version",
                                              help="Notice version the consents were given under "
                                                   "(default: legacy)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, write nothing."),
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Import legacy consents from CSV; any bad row rejects the whole file."""
    from persondata.consent.importing import import_csv

    c = _context.get(ctx, json_flag)
    policy, hasher = _setup(c)
    try:
        source = file.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from exc
    with source, c.db().transaction() as session:
        try:
            report = import_csv(session, policy, hasher, source, actor=_context.actor(actor), purpose=purpose,
                                provenance=provenance, kind=kind, policy_version=policy_version,
                                dry_run=dry_run)
        except UnicodeDecodeError as exc:
            raise InputError(f"{file} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc

    def human() -> None:
        verb = "would import" if dry_run else "imported"
        parts = ", ".join(f"{p}: {n}" for p, n in sorted(report.by_purpose.items()))
        c.out.print(f"{verb} {report.rows} consent events ({parts or 'none'})", highlight=False)
        if report.ignored_columns:
            c.out.print(f"ignored columns: {', '.join(report.ignored_columns)}", highlight=False)

    c.emit(report.__dict__, human)


@consent_app.command("filter")
def filter_(
    ctx: typer.Context,
    purpose: str = PurposeOpt,
    source: str = typer.Argument("-", help="The list: CSV with a header, or one identity per line; "
                                           "- for stdin."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    fmt: str = typer.Option("auto", "--format", help="auto, csv or lines."),
    column: str | None = typer.Option(None, "--column", help="The CSV column holding the identity."),
    kind: str | None = typer.Option(None, "--kind", help="Identity kind of bare values (email, phone...)."),
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Write the entries of a list that may be processed for the purpose now."""
    from persondata.consent.filtering import filter_identities

    c = _context.get(ctx, json_flag)
    policy, hasher = _setup(c)
    try:
        infile: Any = (io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
                       if source == "-" else open(source, newline="", encoding="utf-8-sig"))  # noqa: SIM115
        outfile: Any = (sys.stdout if output is None
                        else output.open("w", newline="", encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot open {exc.filename}: {exc.strerror}") from exc
    try:
        with c.db().transaction() as session:
            report = filter_identities(session, policy, hasher, infile, outfile, purpose,
                                       actor=_context.actor(actor), fmt=fmt, column=column, kind=kind)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    finally:
        if outfile is not sys.stdout:
            outfile.close()
        else:
            outfile.flush()
        if source != "-":
            infile.close()
    console = c.out if output is not None else c.err
    data = report.__dict__
    if c.json and output is None:
        import json

        sys.stderr.write(json.dumps(data, indent=2) + "\n")
        return

    def human() -> None:
        console.print(f"{report.written} of {report.read} allowed for {purpose}; "
                      f"{report.invalid} invalid, {report.excluded} restricted", highlight=False)
        for problem in report.problems:
            console.print(f"  {problem}", highlight=False)

    c.emit(data, human)


def register(app: typer.Typer) -> None:
    """Add the consent group."""
    app.add_typer(consent_app, name="consent")
