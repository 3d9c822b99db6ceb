"""Errors a person may see.

Every exception raised on purpose by aizoomdoc_core derives from ``AizoomdocError`` and carries one
line that can be shown as it is (CLI, UI). Anything else is a bug and is reported as such.
"""

from __future__ import annotations


class AizoomdocError(Exception):
    """A failure explained in one line, safe to show (never contains a secret)."""


class NotFound(AizoomdocError):
    """An id that names nothing (or nothing the user may see)."""


class InvalidInput(AizoomdocError):
    """Input that is refused before anything is written."""


class BackendUnavailable(AizoomdocError):
    """A configured database or blob store could not be reached."""
