"""What runs return: ``RunResult``, ``MapResult``, ``PauseInfo`` and the run log types."""

from __future__ import annotations

import dataclasses
import enum
import reprlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeAlias, Union, cast, overload

from typing_extensions import Never, Self, TypeVar

from hypergraph_typed._ids import random_hex

ErrorHandling = Literal["raise", "continue"]
# Set by the mypy plugin (hypergraph_typed_mypy) on objects whose wiring it knows;
# ``Any`` otherwise, so annotations without it keep working.
Spec = TypeVar("Spec", covariant=True, default=Any)


class RunStatus(str, enum.Enum):
    """Outcome of a run (``PARTIAL`` only for ``MapResult``)."""

    COMPLETED = "completed"
    FAILED = "failed"
    PAUSED = "paused"
    PARTIAL = "partial"

    def __str__(self) -> str:
        return self.value


def new_run_id() -> str:
    """A fresh random run id: ``run-`` and twelve hex digits."""
    return "run-" + random_hex(12)


def format_duration(ms: float) -> str:
    """Milliseconds as short text for logs and summaries: ``7ms``, ``1.5s``, ``2m05.0s``."""
    if ms < 1000:
        # whole milliseconds ("7ms"); one decimal only below 1ms so it does not read as 0
        return f"{ms:.0f}ms" if ms >= 1 or ms == 0 else f"{ms:.1f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    minutes, rest = divmod(ms / 1000, 60)
    return f"{int(minutes)}m{rest:04.1f}s"


@dataclasses.dataclass
class PauseInfo:
    """Where and why a run paused, and the key to resume it with."""

    node_name: str
    output_param: str
    value: Any = None
    output_params: tuple[str, ...] | None = None
    values: dict[str, Any] | None = None

    @property
    def _prefix(self) -> str:
        if "/" not in self.node_name:
            return ""
        return ".".join(self.node_name.split("/")[:-1]) + "."

    @property
    def response_key(self) -> str:
        """The key to resume with: the output name, prefixed by the enclosing GraphNodes as dotted
        names (``outer.inner.answer``) for a nested interrupt."""
        return self._prefix + self.output_param

    @property
    def response_keys(self) -> dict[str, str]:
        """Each output of the interrupt mapped to its resume key."""
        prefix = self._prefix
        return {p: prefix + p for p in (self.output_params or (self.output_param,))}


@dataclasses.dataclass(frozen=True)
class NodeStats:
    """Per-node totals in a run log: executions, time, failures and cache hits."""

    count: int = 0
    total_ms: float = 0.0
    errors: int = 0
    cached: int = 0

    @property
    def succeeded(self) -> int:
        """Executions that neither failed nor came from the cache."""
        return self.count - self.errors - self.cached

    @property
    def avg_ms(self) -> float:
        """``total_ms`` per successful execution, in milliseconds (``0.0`` when none succeeded)."""
        return self.total_ms / self.succeeded if self.succeeded > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class NodeRecord:
    """One node execution in a run's log."""

    node_name: str
    superstep: int
    duration_ms: float
    status: Literal["completed", "failed", "paused"]
    span_id: str | None = None
    error: str | None = None
    cached: bool = False
    decision: Any = None
    log: RunLog | MapLog | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (a nested run's log under ``inner_log``)."""
        d: dict[str, Any] = {
            "node_name": self.node_name, "superstep": self.superstep,
            "duration_ms": self.duration_ms, "status": self.status, "span_id": self.span_id,
            "error": self.error, "cached": self.cached, "decision": _json_safe(self.decision),
        }
        if self.log is not None:
            d["inner_log"] = self.log.to_dict()
        return d


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _avg_per_item(logs: Sequence[RunLog]) -> str | None:
    """``avg 4ms/item`` over the given item logs, or ``None`` when there are none."""
    if not logs:
        return None
    return f"avg {format_duration(sum(log.total_duration_ms for log in logs) / len(logs))}/item"


def _json_safe(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    return str(v)


def _stats(steps: Sequence[NodeRecord]) -> dict[str, NodeStats]:
    acc: dict[str, list[float]] = {}
    for s in steps:
        a = acc.setdefault(s.node_name, [0, 0.0, 0, 0])
        a[0] += 1
        a[1] += s.duration_ms
        a[2] += s.status == "failed"
        a[3] += s.cached
    return {k: NodeStats(int(a[0]), round(a[1], 3), int(a[2]), int(a[3])) for k, a in acc.items()}


class RunLog:
    """The steps of one ``run()`` call, with timing and errors.

    Runners hand over raw step tuples (``NodeRecord`` fields in order, duration in
    seconds), or anything that yields them; the ``NodeRecord`` objects are built on first
    access to ``steps``, so a run whose log is never read pays nothing for it.
    """

    __slots__ = ("_raw", "_steps", "graph_name", "run_id", "total_duration_ms")

    def __init__(
        self, graph_name: str | None, run_id: str, total_duration_ms: float,
        steps: Sequence[NodeRecord] = (),
    ) -> None:
        init = object.__setattr__
        init(self, "graph_name", graph_name)
        init(self, "run_id", run_id)
        init(self, "total_duration_ms", total_duration_ms)
        init(self, "_steps", tuple(steps))
        init(self, "_raw", None)

    graph_name: str | None
    run_id: str
    total_duration_ms: float
    _steps: tuple[NodeRecord, ...] | None
    _raw: Iterable[tuple[Any, ...]] | None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"RunLog is immutable; cannot set {name!r}")

    @classmethod
    def from_raw(
        cls, graph_name: str | None, run_id: str, total_duration_ms: float,
        raw: Iterable[tuple[Any, ...]],
    ) -> RunLog:
        """A log over raw step tuples; the ``NodeRecord`` objects are built on first read."""
        log = cls(graph_name, run_id, total_duration_ms)
        object.__setattr__(log, "_steps", None)
        object.__setattr__(log, "_raw", raw)
        return log

    @property
    def steps(self) -> tuple[NodeRecord, ...]:
        """Every node execution in order, as ``NodeRecord`` (durations in milliseconds)."""
        steps = self._steps
        if steps is None:
            steps = tuple(
                NodeRecord(r[0], r[1], round(r[2] * 1000, 3), *r[3:]) for r in self._raw or ()
            )
            object.__setattr__(self, "_steps", steps)
            object.__setattr__(self, "_raw", None)
        return steps

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunLog):
            return NotImplemented
        return (self.graph_name, self.run_id, self.total_duration_ms, self.steps) == (
            other.graph_name, other.run_id, other.total_duration_ms, other.steps
        )

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"RunLog(graph_name={self.graph_name!r}, run_id={self.run_id!r}, "
            f"total_duration_ms={self.total_duration_ms!r}, steps={self.steps!r})"
        )

    def __str__(self) -> str:
        """One line, as hypergraph prints it: ``RunLog: g | 1ms | 1 node | 0 errors``."""
        return (
            f"RunLog: {self.graph_name or 'unnamed'} | "
            f"{format_duration(self.total_duration_ms)} | {_plural(len(self.steps), 'node')} | "
            f"{_plural(len(self.errors), 'error')}"
        )

    @property
    def errors(self) -> tuple[NodeRecord, ...]:
        """The steps that failed."""
        return tuple(s for s in self.steps if s.status == "failed")

    @property
    def timing(self) -> dict[str, float]:
        """Total milliseconds per node name."""
        out: dict[str, float] = {}
        for s in self.steps:
            out[s.node_name] = round(out.get(s.node_name, 0.0) + s.duration_ms, 3)
        return out

    @property
    def node_stats(self) -> dict[str, NodeStats]:
        """Per-node ``NodeStats``: executions, time, errors and cache hits."""
        return _stats(self.steps)

    def summary(self) -> str:
        """One line: node count, total time, error count and the slowest node."""
        parts = [
            f"{len(self.steps)} nodes", format_duration(self.total_duration_ms),
            f"{len(self.errors)} errors",
        ]
        if self.steps:
            slow = max(self.steps, key=lambda s: s.duration_ms)
            parts.append(f"slowest: {slow.node_name} ({format_duration(slow.duration_ms)})")
        return " | ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The log as JSON-ready data, one entry per step."""
        return {
            "graph_name": self.graph_name, "run_id": self.run_id,
            "total_duration_ms": self.total_duration_ms,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclasses.dataclass(frozen=True)
class MapLog:
    """The logs of one ``map()`` call: one ``RunLog`` per item, in item order."""

    graph_name: str | None
    total_duration_ms: float
    items: tuple[RunLog, ...] = ()

    @property
    def errors(self) -> tuple[NodeRecord, ...]:
        """The failed steps of every item."""
        return tuple(e for item in self.items for e in item.errors)

    @property
    def node_stats(self) -> dict[str, NodeStats]:
        """Per-node ``NodeStats`` over all items."""
        return _stats([s for item in self.items for s in item.steps])

    def summary(self) -> str:
        """``N items | dur | K errors | avg Xms/item`` (the average over items that ran
        without error; left out when there is none)."""
        text = (
            f"{len(self.items)} items | {format_duration(self.total_duration_ms)} | "
            f"{len(self.errors)} errors"
        )
        avg = _avg_per_item([i for i in self.items if i.steps and not i.errors])
        return f"{text} | {avg}" if avg else text

    def __str__(self) -> str:
        return f"MapLog: {self.graph_name or 'unnamed'} | {self.summary()}"

    def to_dict(self) -> dict[str, Any]:
        """The map's log as JSON-ready data, one entry per item."""
        return {
            "graph_name": self.graph_name, "total_duration_ms": self.total_duration_ms,
            "items": [i.to_dict() for i in self.items],
        }

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> RunLog:
        return self.items[i]

    def __iter__(self) -> Iterator[RunLog]:
        return iter(self.items)


_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


_PREVIEW_ITEMS = 3
_SIZED = (list, tuple, set, frozenset, dict)


def _preview(v: Any) -> str:
    """The first few items of a collection in its literal syntax, then ``...``."""
    if isinstance(v, dict):
        head = [f"{_repr.repr(k)}: {_repr.repr(x)}" for k, x in islice(v.items(), _PREVIEW_ITEMS)]
    else:
        head = [_repr.repr(x) for x in islice(v, _PREVIEW_ITEMS)]
    brackets = "[]" if isinstance(v, list) else "()" if isinstance(v, tuple) else "{}"
    return brackets[0] + ", ".join([*head, "..."]) + brackets[1]


def _compact(v: Any) -> str:
    """A short repr of one value: long strings end with ``(len=N)``, long collections
    read ``<list len=5000 preview=[0, 1, 2, ...]>``, as hypergraph prints them."""
    if isinstance(v, str) and len(v) > 80:
        return repr(v[:60]) + f"...(len={len(v)})"
    if isinstance(v, _SIZED) and len(v) > _repr.maxlist:
        return f"<{type(v).__name__} len={len(v)} preview={_preview(v)}>"
    return _repr.repr(v)


def _missing_value(key: object, result: RunResult) -> str:
    """The ``KeyError`` text for ``result[key]``: what is there, and why it may be absent."""
    available = ", ".join(repr(k) for k in result.values) or "none"
    why = "" if result.status is RunStatus.COMPLETED else f" The run is {result.status.value}."
    return f"{key!r} is not among the run's values. Available: {available}.{why}"


@dataclasses.dataclass
class RunResult(Generic[Spec]):
    """Outcome of one ``run()``: values, status, and pause or error details."""

    values: dict[str, Any]
    status: RunStatus
    run_id: str = dataclasses.field(default_factory=new_run_id)
    workflow_id: str | None = None
    error: BaseException | None = None
    pause: PauseInfo | None = None
    log: RunLog | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # ``RunResult(values, status, ...)`` builds the class that matches ``status``
        # (``PausedRunResult`` ...), so type checkers can narrow on ``result.paused``.
        status = kwargs["status"] if "status" in kwargs else args[1] if len(args) > 1 else None
        target = _status_class(cls, status)
        obj = object.__new__(target)
        if not isinstance(obj, cls):
            # Python calls ``__init__`` only on instances of ``cls`` (dataclasses.replace
            # on a paused result with another status lands here).
            target.__init__(obj, *args, **kwargs)
        return cast(Self, obj)

    def __getitem__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise KeyError(_missing_value(key, self)) from None

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when the run did not produce it."""
        return self.values.get(key, default)

    @property
    def completed(self) -> bool:
        """Whether the run completed."""
        return self.status is RunStatus.COMPLETED

    @property
    def failed(self) -> bool:
        """Whether the run failed (``error`` holds the exception)."""
        return self.status is RunStatus.FAILED

    @property
    def paused(self) -> bool:
        """Whether the run paused at an interrupt (``pause`` says where)."""
        return self.status is RunStatus.PAUSED

    def summary(self) -> str:
        """One line: the log's summary when there is a log, else the error or the status."""
        if self.log is not None:
            return self.log.summary()
        if self.error is not None:
            return f"failed: {type(self.error).__name__}: {self.error}"
        return self.status.value

    def to_dict(self) -> dict[str, Any]:
        """Status, ids, log and error as JSON-ready data (the values are left out)."""
        d: dict[str, Any] = {
            "status": self.status.value, "run_id": self.run_id, "workflow_id": self.workflow_id,
        }
        if self.log is not None:
            d["log"] = self.log.to_dict()
        if self.error is not None:
            d["error"] = f"{type(self.error).__name__}: {self.error}"
        return d

    def __repr__(self) -> str:
        vals = "{" + ", ".join(f"{k!r}: {_compact(v)}" for k, v in self.values.items()) + "}"
        text = (
            f"RunResult(status={self.status.value}, values={vals}, run_id={self.run_id!r}, "
            f"workflow_id={self.workflow_id!r}, error={self.error!r}, pause={self.pause!r})"
        )
        return text if len(text) <= 4000 else text[:3996] + "...)"


# The status classes below exist for type checkers: what ``run()`` returns is one of
# them, and ``RunOutcome`` (their union) is discriminated by ``status`` and by the
# ``Literal`` types of ``completed``/``paused``/``failed``.
#
# ``pause`` is ``PauseInfo`` on a paused result and ``Never`` on the others, so on the
# union it reads as ``PauseInfo``. mypy narrows the union on ``if result.paused:``;
# pyright narrows a union only by comparing a member with a literal
# (``result.status is RunStatus.PAUSED``), by ``isinstance`` or by ``match``, never by a
# member's truthiness. Typed this way, ``result.pause.value`` after ``if result.paused:``
# or ``assert result.paused`` is clean in both. At run time ``pause`` is ``None``
# unless the run paused, as ``RunResult`` declares.


class CompletedRunResult(RunResult[Spec]):
    """A run that finished: every reachable node ran. ``pause`` is None."""

    if TYPE_CHECKING:
        pause: Never
        status: Literal[RunStatus.COMPLETED]

        @property
        def completed(self) -> Literal[True]: ...
        @property
        def paused(self) -> Literal[False]: ...
        @property
        def failed(self) -> Literal[False]: ...


class PausedRunResult(RunResult[Spec]):
    """A run that stopped at an interrupt: ``pause`` says where, and how to resume."""

    if TYPE_CHECKING:
        pause: PauseInfo
        status: Literal[RunStatus.PAUSED]

        @property
        def completed(self) -> Literal[False]: ...
        @property
        def paused(self) -> Literal[True]: ...
        @property
        def failed(self) -> Literal[False]: ...


class FailedRunResult(RunResult[Spec]):
    """A run that failed under ``error_handling="continue"``: ``error`` holds why."""

    if TYPE_CHECKING:
        pause: Never
        status: Literal[RunStatus.FAILED]
        error: BaseException

        @property
        def completed(self) -> Literal[False]: ...
        @property
        def paused(self) -> Literal[False]: ...
        @property
        def failed(self) -> Literal[True]: ...


RunOutcome: TypeAlias = Union[
    CompletedRunResult[Spec], PausedRunResult[Spec], FailedRunResult[Spec]
]
"""What ``run()`` returns, split by status so that ``if result.paused:`` narrows."""

_BY_STATUS: dict[object, type[RunResult[Any]]] = {
    RunStatus.COMPLETED: CompletedRunResult,
    RunStatus.PAUSED: PausedRunResult,
    RunStatus.FAILED: FailedRunResult,
}


def _status_class(cls: type[RunResult[Any]], status: object) -> type[RunResult[Any]]:
    """The class a result of ``status`` gets; a user's own subclass is kept as is."""
    if status is None or (cls is not RunResult and cls not in _BY_STATUS.values()):
        return cls  # unpickling and copying call ``__new__(cls)`` without arguments
    try:
        return _BY_STATUS.get(status, RunResult)
    except TypeError:  # an unhashable status: leave it to the caller's checks
        return RunResult


def as_outcome(result: RunResult[Spec]) -> RunOutcome[Spec]:
    """``result`` typed by its status (for code that builds a ``RunResult`` itself)."""
    if isinstance(result, (CompletedRunResult, PausedRunResult, FailedRunResult)):
        return result
    raise TypeError(
        f"RunResult with status {result.status!r} has no outcome type; runs end completed, "
        "paused or failed"
    )


@dataclasses.dataclass(frozen=True)
class MapResult(Sequence[RunOutcome], Generic[Spec]):
    """Results of ``map()``: one ``RunResult`` per item, in input order.

    Items read as ``RunOutcome``, so ``if many[0].paused:`` narrows as a run's result does.
    """

    results: tuple[RunResult, ...]
    run_id: str | None
    total_duration_ms: float
    map_over: tuple[str, ...]
    map_mode: str
    graph_name: str = ""

    def __len__(self) -> int:
        return len(self.results)

    @overload
    def __getitem__(self, key: int) -> RunOutcome: ...
    @overload
    def __getitem__(self, key: slice) -> list[RunOutcome]: ...
    @overload
    def __getitem__(self, key: str) -> list[Any]: ...

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, bool):
            raise TypeError("MapResult indices must be int, slice or str")
        if isinstance(key, int):
            return self.results[key]
        if isinstance(key, slice):
            return list(self.results[key])
        if isinstance(key, str):
            return [r.get(key) for r in self.results]
        raise TypeError(f"MapResult indices must be int, slice or str, not {type(key).__name__}")

    def get(self, key: str, default: Any = None) -> list[Any]:
        """The value of ``key`` from every item, in order (``default`` where it is missing)."""
        return [r.get(key, default) for r in self.results]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MapResult):
            return self.results == other.results
        if isinstance(other, list):
            return list(self.results) == other
        return NotImplemented

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    @property
    def status(self) -> RunStatus:
        """The overall status: ``PARTIAL`` when some items failed and some completed, ``FAILED``
        when items failed and none completed, else ``PAUSED`` if any paused, else ``COMPLETED``."""
        failed = any(r.failed for r in self.results)
        done = any(r.completed for r in self.results)
        if failed:
            return RunStatus.PARTIAL if done else RunStatus.FAILED
        if any(r.paused for r in self.results):
            return RunStatus.PAUSED
        return RunStatus.COMPLETED

    @property
    def completed(self) -> bool:
        """Whether every item completed."""
        return self.status is RunStatus.COMPLETED

    @property
    def paused(self) -> bool:
        """Whether some item paused and none failed."""
        return self.status is RunStatus.PAUSED

    @property
    def partial(self) -> bool:
        """Whether some items failed while others completed."""
        return self.status is RunStatus.PARTIAL

    @property
    def failed(self) -> bool:
        """Whether any item failed (also true for a ``PARTIAL`` result)."""
        return any(r.failed for r in self.results)

    @property
    def failures(self) -> list[RunOutcome]:
        """The results of the items that failed, in input order."""
        return cast("list[RunOutcome]", [r for r in self.results if r.failed])

    @property
    def log(self) -> MapLog:
        """One ``RunLog`` per item, in item order; an item without a log (restored from a
        checkpoint) gets an empty placeholder under its ``run_id``."""
        name = self.graph_name or None
        return MapLog(
            name, self.total_duration_ms,
            tuple(
                r.log if r.log is not None else RunLog(name, r.run_id, 0.0)
                for r in self.results
            ),
        )

    def _counts(self) -> tuple[int, int, int]:
        return (
            sum(r.completed for r in self.results),
            sum(r.failed for r in self.results),
            sum(r.paused for r in self.results),
        )

    def _avg(self) -> str | None:
        return _avg_per_item([r.log for r in self.results if r.completed and r.log is not None])

    def summary(self) -> str:
        """One line: item count, completed/failed/paused counts, average time per item."""
        c, f, p = self._counts()
        counts = ", ".join(
            f"{n} {label}" for n, label in ((c, "completed"), (f, "failed"), (p, "paused")) if n
        )
        parts = [f"{len(self.results)} items"]
        if counts:
            parts.append(counts)
        avg = self._avg()
        if avg:
            parts.append(avg)
        return " | ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Map settings, counts and every item's ``to_dict()`` as JSON-ready data."""
        c, f, _ = self._counts()
        return {
            "run_id": self.run_id, "total_duration_ms": self.total_duration_ms,
            "map_over": list(self.map_over), "map_mode": self.map_mode,
            "graph_name": self.graph_name, "item_count": len(self.results),
            "completed_count": c, "failed_count": f,
            "items": [r.to_dict() for r in self.results],
        }

    def __repr__(self) -> str:
        if not self.results:
            return f"MapResult(0 items: empty, map_over={self.map_over!r})"
        c, f, p = self._counts()
        counts = ", ".join(
            f"{n} {label}" for n, label in ((c, "completed"), (f, "failed"), (p, "paused")) if n
        )
        avg = self._avg()
        return (
            f"MapResult({len(self.results)} items: {counts}{', ' + avg if avg else ''}, "
            f"map_over={self.map_over!r})"
        )


@dataclasses.dataclass(frozen=True)
class RunnerCapabilities:
    """What a runner supports (cycles, async nodes, interrupts, checkpointing), as
    ``runner.capabilities`` reports it."""

    supports_cycles: bool = True
    supports_async_nodes: bool = False
    supports_streaming: bool = False
    returns_coroutine: bool = False
    supports_interrupts: bool = False
    supports_checkpointing: bool = False
