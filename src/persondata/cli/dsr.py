"""`persondata dsr access|erase|rectify|restrict|unrestrict|object|decide`: data subject requests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from persondata.cli import _context
from persondata.errors import InputError, SystemFailure

if TYPE_CHECKING:
    from persondata.dsr.results import ErasureResult, RecipientOut
    from persondata.identity import Hasher, Identity
    from persondata.policy.model import Policy

dsr_app = typer.Typer(
    help="Data subject requests: access, erasure, rectification, restriction, objection.",
    no_args_is_help=True,
)

IdentityOpt = typer.Option(
    ..., "--identity", "-i", help="KIND=VALUE (repeatable), e.g. email=jane@example.dk"
)
NoExpand = typer.Option(
    False, "--no-expand", help="Search only the identities given, not those found in rows."
)
ActorOpt = typer.Option(None, "--actor", help="Who acts (default cli:<user>); recorded in the audit log.")


def setup(c: _context.CliContext, identities: list[str]) -> tuple[Policy, Hasher, list[Identity]]:
    """The policy, the hasher and the parsed identities of a command."""
    from persondata.identity import BUILTIN_KINDS, Hasher, parse_identity

    policy = c.policy().policy
    hasher = Hasher(c.settings.require("hash_key"))
    known = tuple(dict.fromkeys([*BUILTIN_KINDS, *policy.identities]))
    return policy, hasher, [parse_identity(i, policy.controller.country, known) for i in identities]


def _decrypter(c: _context.CliContext, session: Any, policy: Policy) -> Any:
    """Decrypt encrypted fields through the vault, when the policy has any and a master key is set."""
    encrypted = any(
        t.field_spec(f).encrypted
        for s in policy.systems.values()
        for t in s.tables.values()
        for f in t.fields
    )
    if not encrypted or not c.settings.master_key:
        return None
    from persondata.vault.crypto import VaultError
    from persondata.vault.service import Vault

    vault = Vault(session, c.settings)

    def decrypt(value: Any) -> Any:
        try:
            return vault.decrypt_text(None, str(value))
        except (VaultError, ValueError):
            return value  # shredded or not a token: shown as stored

    return decrypt


def _notify_lines(c: _context.CliContext, notify: list[RecipientOut]) -> None:
    if notify:
        names = ", ".join(f"{r.name} ({r.country})" for r in notify)
        c.out.print(f"Art. 19 — recipients to notify: {names}", highlight=False)


@dsr_app.command("access")
def access_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the export zip here."),
    lang: str | None = typer.Option(None, "--lang", help="Report language: da, nb or en."),
    no_expand: bool = NoExpand,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Everything held on a subject (Art. 15/20): a zip with JSON, CSV per table and an HTML report."""
    from persondata.dsr.access import access
    from persondata.dsr.export import write_export

    c = _context.get(ctx, json_flag)
    policy, hasher, ids = setup(c, identity)
    with c.db().transaction() as session:
        result = access(
            session,
            policy,
            ids,
            hasher=hasher,
            actor=_context.actor(actor),
            lang=lang,
            expand=not no_expand,
            decrypt=_decrypter(c, session, policy),
        )
    if output is not None:
        write_export(result, output)

    def human() -> None:
        table = Table("table", "rows", "purposes", "portable")
        for tb in result.tables + result.references:
            name = f"{tb.name} (shared)" if tb.reached == "reference" else tb.name
            portable = "yes" if any(c.portable for c in tb.columns) else ""
            table.add_row(name, str(len(tb.rows)), ", ".join(p.key for p in tb.purposes), portable)
        c.out.print(f"identities: {', '.join(result.identities) or '-'}", highlight=False)
        c.out.print(table)
        c.out.print(
            f"{result.row_count} rows in {len(result.tables)} tables"
            + (" — subject is restricted" if result.restricted else ""),
            highlight=False,
        )
        if output is not None:
            c.out.print(f"export written to {output}", highlight=False)

    c.emit(result.to_json(), human)


def _erasure_table(result: ErasureResult) -> Table:
    table = Table("table", "deleted", "anonymised", "held", "reported only")
    for t in result.tables:
        counts = (t.deleted, t.anonymised, t.held, t.reported_only)
        table.add_row(f"{t.system}.{t.table}", *(str(n) if n else "" for n in counts))
    return table


def _row_lines(result: ErasureResult) -> list[str]:
    """What happens to each row, one line per row (the dry run's detail)."""
    lines = []
    for t in result.tables:
        for r in t.rows:
            what = ", ".join(f"{k} {v}" for k, v in r.changes.items())
            until = f" until {r.hold_until or 'unknown'}" if r.action == "held" else ""
            note = f" — {r.note}" if r.note else ""
            changes = f" ({what})" if what else ""
            lines.append(f"  {t.system}.{t.table} {r.key}: {r.action}{until}{changes}{note}")
    return lines


@dsr_app.command("erase")
def erase_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show exactly what would be done; change nothing."),
    system: list[str] = typer.Option([], "--system", help="Only change these systems (repeatable)."),
    no_expand: bool = NoExpand,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Erase a subject per the policy (Art. 17); rows the law still needs are held and erased later."""
    from persondata.dsr.erase import erase

    c = _context.get(ctx, json_flag)
    policy, hasher, ids = setup(c, identity)
    unknown = [s for s in system if s not in policy.systems]
    if unknown:
        raise InputError(f"no system {', '.join(unknown)} in the policy; it has: {', '.join(policy.systems)}")
    with c.db().transaction() as session:
        result = erase(
            session,
            policy,
            ids,
            hasher=hasher,
            actor=_context.actor(actor),
            dry_run=dry_run,
            only=system or None,
            expand=not no_expand,
        )

    def human() -> None:
        c.out.print(
            ("DRY RUN — nothing was changed. " if dry_run else "")
            + f"identities: {', '.join(result.identities) or '-'}",
            highlight=False,
        )
        if not result.tables:
            c.out.print("nothing found: no rows to erase", highlight=False)
            return
        c.out.print(_erasure_table(result))
        if dry_run:
            for line in _row_lines(result):
                c.out.print(line, highlight=False, markup=False)
        for h in result.held:
            c.out.print(
                f"held: {h.system}.{h.table} {h.key} — {h.law or h.purpose} until {h.until or 'unknown'}",
                highlight=False,
            )
        for s in result.systems:
            if s.status == "failed":
                c.err.print(f"[red]system {s.system} failed:[/red] {s.error}", highlight=False)
        _notify_lines(c, result.notify)

    c.emit(result.to_json(), human)
    if not result.complete:
        failed = ", ".join(s.system for s in result.systems if s.status == "failed")
        raise SystemFailure(f"erasure failed in {failed}; nothing was changed there — run it again")


@dsr_app.command("rectify")
def rectify_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    set_: list[str] = typer.Option(..., "--set", help="FIELD=VALUE: a category key or a column name."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be written; change nothing."),
    no_expand: bool = NoExpand,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Correct a field wherever the subject has it (Art. 16), validated for its category."""
    from persondata.dsr.rectify import rectify

    c = _context.get(ctx, json_flag)
    policy, hasher, ids = setup(c, identity)
    changes: dict[str, str] = {}
    for item in set_:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set {item!r} must look like FIELD=VALUE, e.g. user.contact.email=a@b.dk")
        changes[name.strip()] = value
    with c.db().transaction() as session:
        result = rectify(
            session,
            policy,
            ids,
            changes,
            hasher=hasher,
            actor=_context.actor(actor),
            dry_run=dry_run,
            expand=not no_expand,
        )

    def human() -> None:
        table = Table("table", "column", "rows", "new value")
        for ch in result.changes:
            table.add_row(f"{ch.system}.{ch.table}", ch.column, str(ch.rows), ch.value or "")
        c.out.print(table)
        if not result.changes:
            c.out.print("the subject has no such field", highlight=False)
        _notify_lines(c, result.notify)

    c.emit(result.to_json(), human)


@dsr_app.command("restrict")
def restrict_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    reason: str | None = typer.Option(None, "--reason", help="Why (e.g. accuracy contested)."),
    no_expand: bool = NoExpand,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Restrict processing of a subject (Art. 18): stored only; restricted flags set."""
    from persondata.dsr.service import restrict

    c = _context.get(ctx, json_flag)
    policy, hasher, ids = setup(c, identity)
    with c.db().transaction() as session:
        result = restrict(
            session, policy, ids, hasher=hasher, actor=_context.actor(actor), reason=reason,
            expand=not no_expand,
        )

    def human() -> None:
        state = "restricted" if result.changed else "already restricted"
        flags = ", ".join(f"{k}: {v}" for k, v in result.flagged.items()) or "none"
        c.out.print(f"{state}: {', '.join(result.identities)} (rows flagged: {flags})", highlight=False)
        _notify_lines(c, result.notify)

    c.emit(result.to_json(), human)


@dsr_app.command("unrestrict")
def unrestrict_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    no_expand: bool = NoExpand,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Lift a restriction (rows held against an erasure stay restricted)."""
    from persondata.dsr.service import unrestrict

    c = _context.get(ctx, json_flag)
    policy, hasher, ids = setup(c, identity)
    with c.db().transaction() as session:
        result = unrestrict(
            session, policy, ids, hasher=hasher, actor=_context.actor(actor), expand=not no_expand
        )

    def human() -> None:
        state = "restriction lifted" if result.changed else "was not restricted"
        c.out.print(f"{state}: {', '.join(result.identities)}", highlight=False)
        _notify_lines(c, result.notify)

    c.emit(result.to_json(), human)


@dsr_app.command("object")
def object_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    purpose: str = typer.Option(..., "--purpose", help="The purpose objected to."),
    grounds: str | None = typer.Option(None, "--grounds", help="The subject's reasons."),
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Object to a purpose (Art. 21): direct marketing stops at once; other objections go to the DPO."""
    from persondata.dsr.service import object_to

    c = _context.get(ctx, json_flag)
    policy, hasher, ids = setup(c, identity)
    with c.db().transaction() as session:
        result = object_to(
            session, policy, ids, purpose, hasher=hasher, actor=_context.actor(actor), grounds=grounds
        )

    def human() -> None:
        if result.status == "applied":
            withdrawn = ", ".join(result.withdrawn) or "none given"
            c.out.print(
                f"direct marketing stopped: identity suppressed; consents withdrawn: {withdrawn}",
                highlight=False,
            )
        else:
            c.out.print(
                f"objection {result.objection_id} recorded for the DPO's decision "
                f"({result.kind}); stated interest: {result.interest or '-'}",
                highlight=False,
            )

    c.emit(result.to_json(), human)


@dsr_app.command("decide")
def decide_cmd(
    ctx: typer.Context,
    objection: int = typer.Argument(..., help="The objection's number."),
    uphold: bool = typer.Option(..., "--uphold/--reject", help="Uphold (processing stops) or reject."),
    note: str = typer.Option(..., "--note", help="The reasons for the decision."),
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Record the DPO's decision on an objection to a legitimate interest."""
    from persondata.dsr.service import decide_objection

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as session:
        result = decide_objection(session, objection, upheld=uphold, note=note, actor=_context.actor(actor))
    c.emit(result.to_json(), lambda: c.out.print(f"objection {objection}: {result.status}", highlight=False))


def register(app: typer.Typer) -> None:
    """Add the dsr group."""
    app.add_typer(dsr_app, name="dsr")
