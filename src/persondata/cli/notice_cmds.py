"""`persondata notice` and `persondata ropa`: the privacy notice and the Art. 30 record."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import typer

from persondata.cli import _context
from persondata.errors import InputError, SystemFailure


def _write(path: Path, data: bytes) -> None:
    """Write a file atomically: a temporary file beside it, renamed into place."""
    target = path.expanduser()
    if not target.parent.exists():
        raise InputError(f"{path}: the directory {target.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise SystemFailure(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _default_lang(languages: list[str]) -> str:
    from persondata.i18n import SUPPORTED

    for lang in languages:
        code = "nb" if lang.lower() in ("no", "nb") else lang.lower()
        if code in SUPPORTED:
            return code
    return "en"


def notice(
    ctx: typer.Context,
    lang: str | None = typer.Option(None, "--lang", "-l",
                                    help="da, nb or en (default: the policy's first language)."),
    fmt: str = typer.Option("html", "--format", "-f", help="md or html."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Render the privacy notice from the policy."""
    from persondata.policy.notice import FORMATS, check_language, render_notice

    c = _context.get(ctx, json_flag)
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    policy = c.policy().policy
    code, own = check_language(policy, lang or _default_lang(policy.controller.languages))
    if not own:
        c.err.print(f"note: the policy has no texts of its own in {code!r} (its languages: "
                    f"{', '.join(policy.controller.languages)}); purpose names and other policy texts "
                    "fall back to another language", highlight=False)
    text = render_notice(policy, code, fmt, today=date.today())
    if output is not None:
        _write(output, text.encode("utf-8"))
        c.emit({"file": str(output), "lang": code, "format": fmt, "bytes": len(text.encode("utf-8"))},
               lambda: c.err.print(f"wrote {output} ({code}, {fmt})", highlight=False))
    elif c.json:
        c.emit({"lang": code, "format": fmt, "content": text})
    else:
        sys.stdout.write(text)


def ropa(
    ctx: typer.Context,
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, xlsx or jsonld."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
    lang: str | None = typer.Option(None, "--lang", "-l",
                                    help="Language of the columns and words (default: the policy's first)."),
    processor: bool = typer.Option(False, "--processor",
                                   help="csv only: the Art. 30(2) record (activities as processor)."),
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Render the record of processing activities (Art. 30)."""
    from persondata.policy.ropa import FORMATS, render_ropa, ropa_language

    c = _context.get(ctx, json_flag)
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if processor and fmt != "csv":
        raise InputError(f"--processor only applies to --format csv; {fmt} always holds both records")
    policy = c.policy().policy
    code = ropa_language(policy, lang)
    if processor and not policy.processor_activities:
        c.err.print("note: the policy has no processor_activities; the Art. 30(2) record is empty",
                    highlight=False)
    result = render_ropa(policy, fmt, code, processor=processor)
    data = result if isinstance(result, bytes) else result.encode("utf-8")
    if output is not None:
        _write(output, data)
        rows = len(policy.processor_activities) if processor else len(policy.purposes)
        both = fmt != "csv" and bool(policy.processor_activities)
        record = "30(2)" if processor else ("30(1)+30(2)" if both else "30(1)")
        c.emit({"file": str(output), "format": fmt, "lang": code, "record": record,
                "rows": rows, "bytes": len(data)},
               lambda: c.err.print(f"wrote {output} ({fmt}, {rows} rows)", highlight=False))
        if fmt == "csv" and not processor and policy.processor_activities:
            c.err.print("note: the policy also has processor activities; add --processor for the "
                        "Art. 30(2) record", highlight=False)
        return
    if isinstance(result, bytes):
        if sys.stdout.isatty():
            raise InputError("xlsx is a binary format: give -o FILE (or redirect stdout)")
        sys.stdout.buffer.write(result)
        sys.stdout.flush()
    elif c.json and fmt == "csv":
        c.emit({"format": fmt, "lang": code, "content": result})
    else:
        sys.stdout.write(result)


def register(app: typer.Typer) -> None:
    """Add the notice and ropa commands."""
    app.command("notice")(notice)
    app.command("ropa")(ropa)
