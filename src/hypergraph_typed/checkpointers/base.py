"""The ``Checkpointer`` contract every store implements, and the sync protocol SyncRunner needs."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Generator
from typing import Any, Protocol, runtime_checkable

from hypergraph_typed.checkpointers import _derive
from hypergraph_typed.checkpointers._records import Checkpoint, Run, StepRecord, WorkflowStatus
from hypergraph_typed.checkpointers.policy import CheckpointPolicy


class Done:
    """An already-finished awaitable: lets ``close()`` work both bare and under ``await``."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator


DONE = Done()


def unknown_source(source_run_id: str, action: str) -> ValueError:
    """The ``ValueError`` for a fork or retry of a run this store does not have."""
    return ValueError(
        f"cannot {action} workflow {source_run_id!r}: no such run in this checkpointer. "
        "Check the id (runs() lists the stored ones)."
    )


class Checkpointer(abc.ABC):
    """Stores runs and their step records; the runners call it at superstep boundaries."""

    def __init__(self, policy: CheckpointPolicy | None = None) -> None:
        self.policy: CheckpointPolicy = policy if policy is not None else CheckpointPolicy()

    # --- abstract async API -------------------------------------------------------------

    @abc.abstractmethod
    async def save_step(self, record: StepRecord) -> None:
        """Upsert one record, keyed by ``(run_id, superstep, node_name)``."""

    @abc.abstractmethod
    async def create_run(
        self,
        run_id: str,
        *,
        graph_name: str | None = None,
        parent_run_id: str | None = None,
        forked_from: str | None = None,
        fork_superstep: int | None = None,
        retry_of: str | None = None,
        retry_index: int | None = None,
        config: dict[str, Any] | None = None,
    ) -> Run:
        """Upsert a run as ACTIVE: stats reset, lineage and config overwritten, created_at kept."""

    @abc.abstractmethod
    async def update_run_status(
        self,
        run_id: str,
        status: WorkflowStatus | str,
        *,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
    ) -> None:
        """Set the status; a ``None`` statistic is left unchanged."""

    @abc.abstractmethod
    async def get_state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        """The folded values of the run's steps (up to ``superstep`` inclusive)."""

    @abc.abstractmethod
    async def get_steps(self, run_id: str, *, superstep: int | None = None) -> list[StepRecord]:
        """The run's steps in execution order (up to ``superstep`` inclusive)."""

    @abc.abstractmethod
    async def get_run_async(self, run_id: str) -> Run | None:
        """The run, or ``None``."""

    @abc.abstractmethod
    async def list_runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        parent_run_id: str | None = None,
        limit: int | None = 100,
    ) -> list[Run]:
        """Runs, newest first; ``limit=None`` means all."""

    # --- provided -----------------------------------------------------------------------

    async def get_checkpoint(self, run_id: str, *, superstep: int | None = None) -> Checkpoint:
        """The run's state and steps up to ``superstep`` (default: the latest)."""
        steps = list(await self.get_steps(run_id, superstep=superstep))
        return Checkpoint(
            values=_derive.fold_state(steps),
            steps=steps,
            source_run_id=run_id,
            source_superstep=superstep if superstep is not None else _derive.last_superstep(steps),
        )

    async def fork_workflow_async(
        self, source_run_id: str, *, workflow_id: str | None = None, superstep: int | None = None
    ) -> tuple[str, Checkpoint]:
        """A new workflow id and the checkpoint to start it from; an unknown source is an error."""
        if await self.get_run_async(source_run_id) is None:
            raise unknown_source(source_run_id, "fork")
        checkpoint = await self.get_checkpoint(source_run_id, superstep=superstep)
        return workflow_id or _derive.fork_id(source_run_id), checkpoint

    async def _count_retries_async(self, source_run_id: str) -> int:
        runs = await self.list_runs(limit=None)
        return sum(1 for r in runs if r.retry_of == source_run_id)

    async def retry_workflow_async(
        self, source_run_id: str, *, workflow_id: str | None = None, superstep: int | None = None
    ) -> tuple[str, Checkpoint]:
        """Like a fork, numbered as the next retry of ``source_run_id``."""
        if await self.get_run_async(source_run_id) is None:
            raise unknown_source(source_run_id, "retry")
        index = 1 + await self._count_retries_async(source_run_id)
        cp = await self.get_checkpoint(source_run_id, superstep=superstep)
        checkpoint = Checkpoint(
            values=cp.values,
            steps=cp.steps,
            source_run_id=cp.source_run_id,
            source_superstep=cp.source_superstep,
            retry_of=source_run_id,
            retry_index=index,
        )
        return workflow_id or _derive.retry_id(source_run_id, index), checkpoint

    async def search_async(
        self, q: str, *, field: str | None = None, limit: int = 20
    ) -> list[StepRecord]:
        """Full-text search over steps; stores without an index return nothing."""
        return []

    def initialize(self) -> Awaitable[None]:
        """Prepare the store. A no-op here; works with or without ``await``."""
        return DONE

    def close(self) -> Awaitable[None]:
        """Release resources. A no-op here; works with or without ``await``."""
        return DONE


@runtime_checkable
class SyncCheckpointerProtocol(Protocol):
    """What SyncRunner needs from a checkpointer to write without an event loop."""

    def create_run_sync(self, run_id: str, **kwargs: Any) -> Run:
        """Upsert a run as ACTIVE, without an event loop."""
        ...

    def save_step_sync(self, record: StepRecord) -> None:
        """Upsert one step record, without an event loop."""
        ...

    def update_run_status_sync(
        self, run_id: str, status: WorkflowStatus | str, **kwargs: Any
    ) -> None:
        """Set a run's status and statistics, without an event loop."""
        ...

    def fork_workflow(
        self, source_run_id: str, *, workflow_id: str | None = None, superstep: int | None = None
    ) -> tuple[str, Checkpoint]:
        """A new workflow id and the checkpoint to fork ``source_run_id`` from."""
        ...

    def retry_workflow(
        self, source_run_id: str, *, workflow_id: str | None = None, superstep: int | None = None
    ) -> tuple[str, Checkpoint]:
        """Like ``fork_workflow``, numbered as the next retry of ``source_run_id``."""
        ...
