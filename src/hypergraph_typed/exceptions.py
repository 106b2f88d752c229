"""Exceptions raised by runners and checkpointed runs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any


class GraphConfigError(Exception):
    """The graph's declaration is invalid; the message names the nodes/values and the fix."""


class MissingInputError(Exception):
    """Required graph inputs were not provided (nor bound, nor defaulted)."""

    def __init__(
        self,
        missing: Sequence[str],
        provided: Iterable[str] | None = None,
        message: str | None = None,
    ) -> None:
        self.missing: list[str] = list(missing)
        self.provided: list[str] = list(provided) if provided is not None else []
        if message is None:
            names = ", ".join(repr(m) for m in self.missing)
            message = f"Missing required inputs: {names}"
            if self.provided:
                message += f". Provided: {', '.join(repr(p) for p in self.provided)}"
            hints = []
            for m in self.missing:
                close = difflib.get_close_matches(m, self.provided, n=1)
                if close:
                    hints.append(f"did you mean {close[0]!r} for {m!r}?")
            if hints:
                message += ". " + "; ".join(hints)
            message += ". Pass them in run(values) or fix them with graph.bind(...)."
        self.message: str = message
        super().__init__(message)


class InfiniteLoopError(Exception):
    """A run was still making progress after ``max_iterations`` supersteps."""

    def __init__(self, max_iterations: int, message: str | None = None) -> None:
        self.max_iterations: int = max_iterations
        self.message: str = message or (
            f"Graph execution exceeded {max_iterations} iterations: a cycle kept producing "
            "new values. Make the loop end (route to END) or raise max_iterations."
        )
        super().__init__(self.message)


class IncompatibleRunnerError(Exception):
    """The graph needs a capability (async nodes, interrupts) the runner lacks."""

    def __init__(
        self, message: str, *, node_name: str | None = None, capability: str | None = None
    ) -> None:
        self.node_name = node_name
        self.capability = capability
        super().__init__(message)


class ExecutionError(Exception):
    """Internal wrapper carrying a node failure plus the partial state; never re-raised."""

    def __init__(self, cause: BaseException, partial_state: object) -> None:
        self.cause = cause
        self.partial_state = partial_state
        super().__init__(str(cause))


class WorkflowError(Exception):
    """Base of the errors about a stored workflow; ``workflow_id`` names it."""

    def __init__(self, message: str, *, workflow_id: str | None = None) -> None:
        self.workflow_id = workflow_id
        super().__init__(message)


class WorkflowAlreadyCompletedError(WorkflowError):
    """A completed workflow was run again under the same ``workflow_id``."""


class GraphChangedError(WorkflowError):
    """The stored workflow was created by a graph of a different structure."""


class InputOverrideRequiresForkError(WorkflowError):
    """New inputs were given for an existing workflow; fork it instead."""


class WorkflowForkError(Exception):
    """A fork or checkpoint start targeted an existing workflow id."""


class ConcurrentRunError(RuntimeError):
    """Another caller got to the workflow first; this call changed nothing.

    Every checkpointed run carries an epoch (the lease of whoever runs it) and a version
    (bumped by every write). A resume claims the run by compare-and-set on the version
    it read, and every later write is fenced by its epoch and version, so of two callers
    racing for one workflow exactly one proceeds; the other gets this error before any
    node ran (or, if it was overtaken mid-run, at its next write, with nothing stored).
    ``epoch``/``expected_version``/``actual_version`` say what was seen, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        workflow_id: str,
        epoch: int | None = None,
        expected_version: int | None = None,
        actual_version: int | None = None,
    ) -> None:
        self.workflow_id = workflow_id
        self.epoch = epoch
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(message)


class RunExistsError(ConcurrentRunError):
    """A new run was started under a ``workflow_id`` that already exists."""


class AnswerConflictError(ConcurrentRunError):
    """The pause was already answered, with a different value, by another call."""


class CheckpointSerializationError(TypeError):
    """A value could not be serialized for a checkpoint; nothing of its write was stored."""

    def __init__(
        self,
        message: str,
        *,
        run_id: str,
        node_name: str | None = None,
        output_name: str | None = None,
        superstep: int | None = None,
    ) -> None:
        self.run_id = run_id
        self.node_name = node_name
        self.output_name = output_name
        self.superstep = superstep
        super().__init__(message)


class CheckpointStoreError(RuntimeError):
    """A checkpoint store cannot be used: not a database, a foreign one, a newer schema, closed."""

    def __init__(self, message: str, *, location: str) -> None:
        self.location = location
        super().__init__(message)


class EdgeTypeError(TypeError):
    """A value on an edge does not match the annotation that declares or expects it.

    ``producer`` is a node name, or ``"input"``, ``"bound value"``, ``"resume answer"``
    (several candidates are joined with ``" or "``). ``consumer``/``param`` name the
    reading node and parameter; both are ``None`` when a node's output broke its own
    return annotation (then ``producer`` is that node).
    """

    def __init__(
        self, message: str = "", *, producer: str = "", consumer: str | None = None,
        param: str | None = None, value_name: str = "", expected: Any = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.producer = producer
        self.consumer = consumer
        self.param = param
        self.value_name = value_name
        self.expected = expected
        self.value = value

    @property
    def actual_type(self) -> type:
        """The type of the value that failed the check."""
        return type(self.value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.args[0] if self.args else "",), self.__dict__)


class CacheKeyError(ValueError):
    """The cache's key file is missing its protections (owner, mode, type) or is damaged."""
