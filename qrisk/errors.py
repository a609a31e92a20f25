"""Errors that reach the user as a one-line message and exit code 2 (never a traceback)."""

from __future__ import annotations


class QriskError(Exception):
    """A user or input error: bad option value, unreadable input, malformed manifest.

    The CLI prints ``qrisk: error: <message>`` and exits with code 2.
    """

    exit_code = 2


class InputError(QriskError):
    """An input file or value is malformed; the message names the field and, where known, the line."""
