"""The one error type the CLI reports: a message for the user and exit code 2."""

from __future__ import annotations

from hypergraph_typed.checkpointers.serializers import UndecodableValueError
from hypergraph_typed.exceptions import CheckpointStoreError

EXIT_ERROR = 2

# What the library raises when a store cannot be read (a broken file, a foreign or newer
# store, a row it cannot decode): reported as one line, never as a traceback.
STORE_ERRORS: tuple[type[Exception], ...] = (CheckpointStoreError, UndecodableValueError)


class CliError(Exception):
    """A problem the user can fix (wrong path, unknown id, server down); printed, not traced."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
