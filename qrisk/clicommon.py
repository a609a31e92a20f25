"""Conventions every command shares: ``-f/--format``, ``-o/--output``, ``--json``, exit codes.

Exit codes: 0 ok, 1 a ``--fail-on`` threshold was hit, 2 usage or input error.
Commands produce ``str``/``bytes`` through pure formatters; only :func:`emit` writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from qrisk.errors import InputError, QriskError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

F = TypeVar("F", bound=Callable[..., Any])


class QriskGroup(click.Group):
    """A click group that turns :class:`QriskError` into one line on stderr and exit 2 (never a
    traceback), whether it runs as ``qrisk`` or on its own (as command groups do in tests).

    ``lazy_commands`` maps a command name to ``(module, attribute)``; the module is imported
    only when that command runs or help lists it.
    """

    lazy_commands: dict[str, tuple[str, str]] = {}  # noqa: RUF012 - replaced per instance

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            import importlib

            module, attr = self.lazy_commands[cmd_name]
            command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QriskError as exc:
            click.echo(f"qrisk: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("qrisk: interrupted", err=True)
            ctx.exit(130)


def user_errors(func: F) -> F:
    """One line on stderr and exit 2 for :class:`QriskError`, also when a plain command runs on
    its own (outside a :class:`QriskGroup`, as in tests)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QriskError as exc:
            click.echo(f"qrisk: error: {exc}", err=True)
            raise click.exceptions.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def parse_now(text: str | None) -> dt.date:
    """``--now``: an ISO date; today when not given (the one place the clock is read)."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--now {text!r}: expected a date YYYY-MM-DD") from None


def output_options(formats: Sequence[str], default: str) -> Callable[[F], F]:
    """Add ``-f/--format``, ``--json`` and ``-o/--output`` to a command.

    The command receives ``fmt`` (the chosen format; ``--json`` means ``json``) and ``output``
    (a path or None for stdout).
    """

    def decorator(func: F) -> F:
        func = click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            default=None,
            help="Write to FILE instead of standard output.",
        )(func)
        func = click.option(
            "--json", "as_json", is_flag=True, default=False, help="Shorthand for -f json."
        )(func)
        func = click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(list(formats), case_sensitive=False),
            default=default,
            show_default=True,
            help="Output format.",
        )(func)
        return func

    return decorator


def resolve_format(fmt: str, as_json: bool) -> str:
    """``--json`` wins over ``-f`` only when ``-f`` was left at its default."""
    return "json" if as_json else fmt.lower()


def emit(data: str | bytes, output: Path | None) -> None:
    """Write the rendered result to stdout or atomically to a file (never half a file)."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            click.echo(data, nl=not data.endswith("\n"))
        return
    write_atomic(output.expanduser(), data.encode("utf-8") if isinstance(data, str) else data)


def emit_stream(produce: Callable[[Callable[[str], Any]], None], output: Path | None) -> None:
    """:func:`emit` for output written in pieces: ``produce(write)`` calls ``write`` with
    each piece; to stdout as it comes, to a file as :func:`write_atomic` writes (never half
    a file: a failure midway leaves the target untouched)."""
    if output is None:
        out = sys.stdout
        produce(out.write)
        out.write("\n")
        out.flush()
        return

    def fill(fh: Any) -> None:
        produce(fh.write)
        fh.write("\n")

    _write_atomic(output.expanduser(), fill, text=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(target: Path, payload: bytes) -> None:
    """Write ``payload`` to ``target`` through a temporary file and a rename (never half a
    file), with the permissions a plain ``open`` would give (0666 less the umask)."""
    _write_atomic(target, lambda fh: fh.write(payload), text=False)


def _write_atomic(target: Path, fill: Callable[[Any], Any], *, text: bool) -> None:
    """Run ``fill(file)`` on a temporary file beside ``target``, then rename it into place."""
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise QriskError(f"cannot write {target}: folder {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=parent)
        try:
            if text:
                with os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 20) as fh:
                    fill(fh)
            else:
                with os.fdopen(fd, "wb") as fh:
                    fill(fh)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise QriskError(f"cannot write {target}: {exc.strerror or exc}") from None


MAX_INVENTORY_BYTES = 2 * 1024 * 1024 * 1024


def load_inventory_or_scan(target: str, *, quiet: bool = True) -> Any:
    """An inventory from TARGET: a qrisk inventory JSON file is loaded, anything else scanned.

    Returns a :class:`qrisk.model.Inventory`; raises :class:`QriskError` on bad input.
    """
    from qrisk.errors import InputError
    from qrisk.model import InventoryFormatError, inventory_from_json

    p = Path(target)
    if p.suffix.lower() == ".json" and p.is_file():
        try:
            if p.stat().st_size > MAX_INVENTORY_BYTES:
                raise InputError(f"{target}: inventory file is larger than {MAX_INVENTORY_BYTES} bytes")
            raw = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{target}: cannot read: {exc.strerror or exc}") from None
        try:
            return inventory_from_json(raw)
        except InventoryFormatError as exc:
            raise InputError(f"{target}: {exc}") from None
    from qrisk.cli import scan_inventory

    return scan_inventory((target,), quiet=quiet)
