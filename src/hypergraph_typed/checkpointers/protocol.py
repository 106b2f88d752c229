"""The store protocol the runtime writes through: typed requests, one method per request.

A durable run talks to its store in a handful of transactions: ``LoadRun`` (one
consistent snapshot), ``StartRun`` (create the run and store its inputs, atomically),
``ClaimRun`` (compare-and-set on the version the caller read, recording the answers to
the pending pause), ``LoadAndClaim`` (both as one operation, for the common resume),
``CommitRun`` (one superstep's records, the pause, the status; fenced by the writer's
lease). Reads for fork/retry and map persistence complete the set.

Every request knows the store method that serves it (``send`` / ``send_async``), so the
runtime yields requests and a runner's single driver loop sends them; nothing is looked
up by name. The sync and async twins follow one rule: ``name`` and ``name_async``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from hypergraph_typed.checkpointers._records import (
    PauseRecord,
    Run,
    StepRecord,
    WorkflowStatus,
)

T = TypeVar("T")


@attrs.frozen(slots=True)
class Lease:
    """What the writer of a run holds: its epoch and the version its last write left.

    Each write of the holder must find the run at exactly this epoch and version; the
    store returns the lease moved on to the new version.
    """

    workflow_id: str
    epoch: int
    version: int


@attrs.frozen(slots=True)
class RunSnapshot:
    """A run, its steps (execution order) and its inputs, read in one transaction."""

    run: Run
    steps: tuple[StepRecord, ...]
    inputs: dict[str, Any]


class StoreRequest(Generic[T]):
    """A request the runtime yields; ``send`` hands it to the store method that serves it."""

    __slots__ = ()

    def send(self, store: RunStore) -> T:  # pragma: no cover - every request overrides
        """Serve this request with the sync store method that handles it."""
        raise NotImplementedError

    async def send_async(self, store: AsyncRunStore) -> T:  # pragma: no cover
        """Serve this request with the async store method that handles it."""
        raise NotImplementedError


@attrs.frozen(slots=True)
class LoadRun(StoreRequest["RunSnapshot | None"]):
    """Read the run, its steps and inputs as one consistent snapshot (``None``: no run)."""

    workflow_id: str

    def send(self, store: RunStore) -> RunSnapshot | None:
        """Served by ``store.load_run``."""
        return store.load_run(self)

    async def send_async(self, store: AsyncRunStore) -> RunSnapshot | None:
        """Served by ``store.load_run_async``."""
        return await store.load_run_async(self)


@attrs.frozen(slots=True)
class StartRun(StoreRequest[Lease]):
    """Create an ACTIVE run (epoch 1) with its inputs in one transaction.

    An existing id is refused with ``RunExistsError`` and nothing is written, unless
    ``replace`` (a map item run again from scratch): then the run is reset (status,
    statistics, lineage, config; created_at kept), its steps and inputs are dropped and
    its epoch moves on, so a writer of the previous attempt is fenced out.
    """

    workflow_id: str
    graph_name: str | None = None
    parent_run_id: str | None = None
    forked_from: str | None = None
    fork_superstep: int | None = None
    retry_of: str | None = None
    retry_index: int | None = None
    config: Mapping[str, Any] | None = None
    inputs: Mapping[str, Any] = attrs.field(factory=dict)
    replace: bool = False

    def send(self, store: RunStore) -> Lease:
        """Served by ``store.start_run``."""
        return store.start_run(self)

    async def send_async(self, store: AsyncRunStore) -> Lease:
        """Served by ``store.start_run_async``."""
        return await store.start_run_async(self)


@attrs.frozen(slots=True)
class ClaimRun(StoreRequest[Lease]):
    """Take over a run for a resume: compare-and-set on the ``version`` the caller read.

    ``epoch`` is the epoch read together with that version (a store that matched the
    version knows the epoch without reading it again).

    Anything written since the snapshot (another claim, a step, a status) makes the claim
    fail with ``ConcurrentRunError``, so two resumers can never both proceed. The run
    becomes ACTIVE under the next epoch; ``answers`` are recorded on its pending pause in
    the same transaction.
    """

    workflow_id: str
    # the epoch and version the caller read (the claim moves both on by one)
    epoch: int
    version: int
    answers: Mapping[str, Any] | None = None

    def send(self, store: RunStore) -> Lease:
        """Served by ``store.claim_run``."""
        return store.claim_run(self)

    async def send_async(self, store: AsyncRunStore) -> Lease:
        """Served by ``store.claim_run_async``."""
        return await store.claim_run_async(self)


@attrs.frozen(slots=True)
class LoadAndClaim(StoreRequest["tuple[RunSnapshot | None, Lease | None]"]):
    """``LoadRun``, then ``ClaimRun`` with ``answers`` at the snapshot's version when the
    run matches (see ``matches``): the common resume as one store operation (one
    statement, one round trip, on PostgreSQL) instead of two.

    Returns the snapshot as it was before the claim, and the new writer's lease, or
    ``None`` when the run did not match (or does not exist): the caller then decides
    with the snapshot, as after ``LoadRun``. A run that moved on between the read and
    the claim is never claimed: the store returns the snapshot it read and ``None``, or
    (reading and claiming in two steps) raises ``ConcurrentRunError`` as ``ClaimRun``
    does.
    """

    workflow_id: str
    # the node the run must be paused at, unanswered, and the config it was created with
    pause_node: str
    config: Mapping[str, Any]
    answers: Mapping[str, Any]

    def matches(self, run: Run) -> bool:
        """Whether ``run`` is the one to claim: paused at ``pause_node``, the pause not
        answered yet, created with exactly ``config`` (the same graph)."""
        pause = run.pause
        return (
            run.status is WorkflowStatus.PAUSED and pause is not None
            and pause.answer is None and pause.node_name == self.pause_node
            and run.config == self.config
        )

    def claim_of(self, snap: RunSnapshot | None) -> ClaimRun | None:
        """The claim to make after reading ``snap`` (``None``: the run does not match).

        A store that reads and claims in two operations makes this compare-and-set on
        the version it read, so a run that moved on in between is not claimed.
        """
        if snap is None or not self.matches(snap.run):
            return None
        run = snap.run
        return ClaimRun(run.id, run.epoch, run.version, self.answers)

    def send(self, store: RunStore) -> tuple[RunSnapshot | None, Lease | None]:
        """Served by ``store.load_and_claim``."""
        return store.load_and_claim(self)

    async def send_async(self, store: AsyncRunStore) -> tuple[RunSnapshot | None, Lease | None]:
        """Served by ``store.load_and_claim_async``."""
        return await store.load_and_claim_async(self)


@attrs.frozen(slots=True)
class CommitRun(StoreRequest[Lease]):
    """One transaction of a running call, fenced by ``lease``.

    Writes ``records`` (upserted by run, superstep and node), merges ``inputs``, sets the
    status and statistics that are not ``None``, and records ``pause`` (a new, pending
    pause). ``final`` marks the last write of a call: a store that can make intermediate
    commits cheaper (PostgreSQL's asynchronous commit) must make this one durable, which
    also makes every earlier write of the chain durable.
    """

    lease: Lease
    records: Sequence[StepRecord] = ()
    status: WorkflowStatus | None = None
    duration_ms: float | None = None
    node_count: int | None = None
    error_count: int | None = None
    pause: PauseRecord | None = None
    inputs: Mapping[str, Any] | None = None
    final: bool = False

    def send(self, store: RunStore) -> Lease:
        """Served by ``store.commit_run``."""
        return store.commit_run(self)

    async def send_async(self, store: AsyncRunStore) -> Lease:
        """Served by ``store.commit_run_async``."""
        return await store.commit_run_async(self)


@attrs.frozen(slots=True)
class ListChildren(StoreRequest[list[Run]]):
    """The runs whose ``parent_run_id`` is ``parent_run_id`` (map items, nested graphs)."""

    parent_run_id: str

    def send(self, store: RunStore) -> list[Run]:
        """Served by ``store.list_children``."""
        return store.list_children(self)

    async def send_async(self, store: AsyncRunStore) -> list[Run]:
        """Served by ``store.list_children_async``."""
        return await store.list_children_async(self)


@attrs.frozen(slots=True)
class CountRetries(StoreRequest[int]):
    """How many runs are retries of ``source_run_id`` (numbering the next one)."""

    source_run_id: str

    def send(self, store: RunStore) -> int:
        """Served by ``store.count_retries``."""
        return store.count_retries(self)

    async def send_async(self, store: AsyncRunStore) -> int:
        """Served by ``store.count_retries_async``."""
        return await store.count_retries_async(self)


@runtime_checkable
class RunStore(Protocol):
    """The sync half of the protocol (what ``SyncRunner`` needs)."""

    def load_run(self, request: LoadRun) -> RunSnapshot | None:
        """Serve ``LoadRun``: one consistent snapshot, or ``None`` when there is no such run."""
        ...

    def start_run(self, request: StartRun) -> Lease:
        """Serve ``StartRun``: create the run with its inputs; the lease of its first writer."""
        ...

    def claim_run(self, request: ClaimRun) -> Lease:
        """Serve ``ClaimRun``: compare-and-set on the version read; the new writer's lease."""
        ...

    def load_and_claim(
        self, request: LoadAndClaim
    ) -> tuple[RunSnapshot | None, Lease | None]:
        """Serve ``LoadAndClaim``: the snapshot, and the lease when the run matched."""
        ...

    def commit_run(self, request: CommitRun) -> Lease:
        """Serve ``CommitRun``: one write fenced by the lease; the lease moved on."""
        ...

    def list_children(self, request: ListChildren) -> list[Run]:
        """Serve ``ListChildren``: the runs whose parent is the given run."""
        ...

    def count_retries(self, request: CountRetries) -> int:
        """Serve ``CountRetries``: how many runs are retries of the source run."""
        ...


@runtime_checkable
class AsyncRunStore(Protocol):
    """The async half of the protocol (what ``AsyncRunner`` needs): ``name_async``."""

    async def load_run_async(self, request: LoadRun) -> RunSnapshot | None:
        """Async twin of ``RunStore.load_run``."""
        ...

    async def start_run_async(self, request: StartRun) -> Lease:
        """Async twin of ``RunStore.start_run``."""
        ...

    async def claim_run_async(self, request: ClaimRun) -> Lease:
        """Async twin of ``RunStore.claim_run``."""
        ...

    async def load_and_claim_async(
        self, request: LoadAndClaim
    ) -> tuple[RunSnapshot | None, Lease | None]:
        """Async twin of ``RunStore.load_and_claim``."""
        ...

    async def commit_run_async(self, request: CommitRun) -> Lease:
        """Async twin of ``RunStore.commit_run``."""
        ...

    async def list_children_async(self, request: ListChildren) -> list[Run]:
        """Async twin of ``RunStore.list_children``."""
        ...

    async def count_retries_async(self, request: CountRetries) -> int:
        """Async twin of ``RunStore.count_retries``."""
        ...


__all__ = [
    "AsyncRunStore",
    "ClaimRun",
    "CommitRun",
    "CountRetries",
    "Lease",
    "ListChildren",
    "LoadAndClaim",
    "LoadRun",
    "RunSnapshot",
    "RunStore",
    "StartRun",
    "StoreRequest",
]
