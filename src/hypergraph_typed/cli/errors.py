"""The one error type the CLI reports: a message for the user and exit code 2."""

from __future__ import annotations

EXIT_ERROR = 2


class CliError(Exception):
    """A problem the user can fix (wrong path, unknown id, server down); printed, not traced."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
