"""`persondata init DIR --example NAME`: start from one of the five example companies."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from persondata.cli import _context
from persondata.errors import ConflictError, InputError, SystemFailure


def init(ctx: typer.Context,
         directory: Path | None = typer.Argument(None, help="Where to put the policy (created if missing)."),
         example: str | None = typer.Option(None, "--example", "-e", help="The example company to copy."),
         force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
         list_: bool = typer.Option(False, "--list", help="List the example companies and exit."),
         json_flag: bool = _context.JsonFlag) -> None:
    """Copy an example company's privacy.yaml, build_db.py and README.md into DIR."""
    from persondata import examples

    c = _context.get(ctx, json_flag)
    if list_:
        listing = examples.catalogue()

        def show() -> None:
            for name, title in listing:
                c.out.print(f"{name:26} {title}", highlight=False)

        c.emit([{"name": n, "title": t} for n, t in listing], show)
        return
    if directory is None or example is None:
        raise InputError(
            "usage: persondata init DIR --example NAME (or persondata init --list); "
            f"the examples are: {', '.join(examples.EXAMPLES)}"
        )
    examples.check_name(example)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} exists and is not a directory")
    source = examples.example_dir(example)
    missing = [name for name in examples.FILES if not (source / name).is_file()]
    if missing:
        raise SystemFailure(
            f"the installed example '{example}' lacks {', '.join(missing)} "
            f"(looked in {source}); reinstall persondata"
        )
    targets = [directory / name for name in examples.FILES]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise ConflictError(
            f"refusing to overwrite {', '.join(str(t) for t in existing)}; use --force to replace them"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name, target in zip(examples.FILES, targets, strict=True):
        shutil.copyfile(source / name, target)
    env = examples.system_env_vars(example)
    data = {"example": example, "directory": str(directory), "files": [str(t) for t in targets], "env": env}

    def human() -> None:
        c.out.print(f"copied the example '{example}' into {directory}/: {', '.join(examples.FILES)}",
                    highlight=False)
        c.out.print("next:", highlight=False)
        if directory.resolve() != Path.cwd().resolve():
            c.out.print(f"  cd {directory}", highlight=False)
        c.out.print(f"  export {' '.join(f'{v}=sqlite:///company.db' for v in env)}", highlight=False)
        c.out.print("  python build_db.py        # a synthetic company database", highlight=False)
        c.out.print("  persondata validate", highlight=False)

    c.emit(data, human)


def register(app: typer.Typer) -> None:
    """Add the init command."""
    app.command("init")(init)
