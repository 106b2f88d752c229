"""Rows in and out of the SQL stores: serialization, timestamps, JSON metadata.

Encoding happens before a transaction opens, so a value that cannot be stored fails
with an error naming the node and output while nothing has been written yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from hypergraph_typed._sentinels import END
from hypergraph_typed.checkpointers._json import compact_decoder, compact_encoder
from hypergraph_typed.checkpointers._records import (
    PauseRecord,
    Run,
    StepRecord,
    StepStatus,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers.serializers import Serializer
from hypergraph_typed.exceptions import CheckpointSerializationError, CheckpointStoreError

_UTC = timezone.utc
# ASCII-only JSON: NUL and unpaired surrogates come out escaped, so any text a node
# produced (names, decisions, error messages) can be stored in any database column.
_dumps = compact_encoder(ensure_ascii=True)
_loads = compact_decoder()

StepRow = tuple[Any, ...]


def _naive(dt: datetime, what: str) -> ValueError:
    return ValueError(
        f"{what} must be a timezone-aware datetime (e.g. datetime.now(timezone.utc)), "
        f"got naive {dt!r}"
    )


def ts_to_text(dt: datetime, what: str = "timestamp") -> str:
    """UTC ISO-8601 with microseconds: fixed width, so text order is time order."""
    if dt.tzinfo is not _UTC:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise _naive(dt, what)
        dt = dt.astimezone(_UTC)
    return dt.isoformat(timespec="microseconds")


def ts_from_text(text: str) -> datetime:
    """A timestamp stored as ISO-8601 text (SQLite) back to an aware ``datetime``."""
    return datetime.fromisoformat(text)


def ts_to_native(dt: datetime, what: str = "timestamp") -> datetime:
    """A ``datetime`` for a driver that stores it natively (PostgreSQL); naive ones are refused."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise _naive(dt, what)
    return dt


def ts_from_native(dt: datetime) -> datetime:
    """A driver's ``datetime`` converted to UTC."""
    return dt if dt.tzinfo is _UTC else dt.astimezone(_UTC)


def _end_free(values: Mapping[str, Any]) -> Mapping[str, Any]:
    for v in values.values():
        if v is END:
            return {k: ("END" if x is END else x) for k, x in values.items()}
    return values


def safe_text(text: str | None) -> str | None:
    """Text any database stores: NUL becomes the two characters ``\\0``, unpaired
    surrogates their ``\\udxxx`` escape (PostgreSQL refuses both in text columns)."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\\0")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _decision_json(decision: Any) -> str | None:
    if decision is None:
        return None
    if decision is END:
        return '"END"'
    if isinstance(decision, (list, tuple)):
        decision = ["END" if d is END else d for d in decision]
    return _dumps(decision)


class Codec:
    """Encodes records for one store (its serializer, its timestamp representation)."""

    def __init__(
        self,
        serializer: Serializer,
        *,
        ts_out: Callable[[datetime, str], Any],
        ts_in: Callable[[Any], datetime],
        bool_out: Callable[[bool], Any] = bool,
        location: str = "the store",
    ) -> None:
        self.serializer = serializer
        self.location = location
        self.ts_out = ts_out
        self.ts_in = ts_in
        self.bool_out = bool_out

    # --- encode -----------------------------------------------------------------------------

    def _values_blob(self, record: StepRecord) -> bytes | None:
        if record.values is None:
            return None
        values = _end_free(record.values)
        serialize = self.serializer.serialize
        try:
            return serialize(values)
        except Exception as whole:
            for name, value in values.items():
                try:
                    serialize({name: value})
                except Exception as exc:
                    raise _value_error(
                        record.run_id, record.node_name, name, record.superstep, value, exc
                    ) from exc
            raise CheckpointSerializationError(
                f"cannot checkpoint the outputs of node {record.node_name!r} (run "
                f"{record.run_id!r}, superstep {record.superstep}): {whole}",
                run_id=record.run_id,
                node_name=record.node_name,
                superstep=record.superstep,
            ) from whole

    def step_row(self, record: StepRecord) -> StepRow:
        """A step record as a steps-table row; an unencodable value is refused, naming the node."""
        what = f"step {record.node_name!r} of run {record.run_id!r}"
        completed = record.completed_at
        try:
            versions = _dumps(record.input_versions)
            decision = _decision_json(record.decision)
        except (TypeError, ValueError) as exc:
            raise CheckpointSerializationError(
                f"cannot checkpoint {what}: input_versions and decision must be JSON "
                f"(names to ints; a route target or list of them): {exc}",
                run_id=record.run_id,
                node_name=record.node_name,
                superstep=record.superstep,
            ) from exc
        return (
            record.run_id,
            record.superstep,
            record.node_name,
            record.index,
            record.status.value,
            versions,
            self._values_blob(record),
            record.duration_ms,
            self.bool_out(record.cached),
            decision,
            safe_text(record.error),
            safe_text(record.node_type),
            self.ts_out(record.created_at, f"created_at of {what}"),
            None if completed is None else self.ts_out(completed, f"completed_at of {what}"),
            record.child_run_id,
        )

    def input_rows(self, run_id: str, values: Mapping[str, Any]) -> list[tuple[str, str, bytes]]:
        """``(run_id, name, blob)`` rows for a run's inputs; a value that cannot be serialized is
        refused, naming the input."""
        serialize = self.serializer.serialize
        rows = []
        for name, value in values.items():
            if not isinstance(name, str):
                raise TypeError(
                    f"inputs of run {run_id!r}: names must be strings, got {name!r}"
                )
            try:
                blob = serialize("END" if value is END else value)
            except Exception as exc:
                raise _value_error(run_id, None, name, None, value, exc) from exc
            rows.append((run_id, name, blob))
        return rows

    def config_text(self, run_id: str, config: Mapping[str, Any] | None) -> str | None:
        """A run's config as JSON text (``None`` stays ``None``); non-JSON config is refused."""
        if config is None:
            return None
        try:
            return _dumps(dict(config))
        except (TypeError, ValueError) as exc:
            raise CheckpointSerializationError(
                f"cannot store the config of run {run_id!r}: it must be JSON data ({exc})",
                run_id=run_id,
            ) from exc

    # --- decode -----------------------------------------------------------------------------

    def step(self, row: StepRow) -> StepRecord:
        """A steps-table row back to a ``StepRecord``; a row that does not decode is a
        ``CheckpointStoreError`` naming it."""
        try:
            return self._step(row)
        except Exception as exc:
            raise self._unreadable(
                f"step {_shown(row[2])} (superstep {_shown(row[1])}) of run {_shown(row[0])}", exc
            ) from exc

    def _step(self, row: StepRow) -> StepRecord:
        outputs = row[6]
        decision = row[9]
        completed = row[13]
        return StepRecord(
            run_id=row[0],
            superstep=row[1],
            node_name=row[2],
            index=row[3],
            status=StepStatus(row[4]),
            input_versions=_loads(row[5]),
            values=None if outputs is None else self.serializer.deserialize(bytes(outputs)),
            duration_ms=row[7],
            cached=bool(row[8]),
            decision=None if decision is None else _loads(decision),
            error=row[10],
            node_type=row[11],
            created_at=self.ts_in(row[12]),
            completed_at=None if completed is None else self.ts_in(completed),
            child_run_id=row[14],
        )

    def run(self, row: tuple[Any, ...]) -> Run:
        """A runs-table row back to a ``Run`` with its pause record; a row that does not decode is a
        ``CheckpointStoreError``."""
        try:
            return self._run(row)
        except Exception as exc:
            raise self._unreadable(f"the run row of {_shown(row[0])}", exc) from exc

    def _run(self, row: tuple[Any, ...]) -> Run:
        config = row[11]
        completed = row[13]
        pause = None
        if row[16] is not None:
            shown = self.serializer.deserialize(bytes(row[19])) if row[19] is not None else {}
            answer = row[20]
            pause = PauseRecord(
                node_name=row[16],
                response_keys=_loads(row[17]),
                superstep=row[18],
                value=shown.get("value"),
                values=shown.get("values"),
                answer=None if answer is None else self.serializer.deserialize(bytes(answer)),
                input_name=shown.get("input"),
            )
        return Run(
            id=row[0],
            status=WorkflowStatus(row[1]),
            graph_name=row[2],
            duration_ms=row[3],
            node_count=row[4],
            error_count=row[5],
            parent_run_id=row[6],
            forked_from=row[7],
            fork_superstep=row[8],
            retry_of=row[9],
            retry_index=row[10],
            config=None if config is None else _loads(config),
            created_at=self.ts_in(row[12]),
            completed_at=None if completed is None else self.ts_in(completed),
            epoch=row[14],
            version=row[15],
            pause=pause,
            updated_at=None if not row[21] else self.ts_in(row[21]),
        )

    def pause_params(self, run_id: str, pause: PauseRecord) -> tuple[Any, ...]:
        """``pause_node, pause_keys, pause_superstep, pause_value`` of a new pause."""
        try:
            shown = self.serializer.serialize({"value": _end_value(pause.value),
                                               "values": pause.values,
                                               "input": pause.input_name})
        except Exception as exc:
            raise _value_error(run_id, pause.node_name, "(the paused value)", pause.superstep,
                               pause.value, exc) from exc
        return (safe_text(pause.node_name), _dumps(pause.response_keys), pause.superstep, shown)

    def answer_blob(self, run_id: str, answers: Mapping[str, Any]) -> bytes:
        """The answers a claim records on the pending pause."""
        try:
            return self.serializer.serialize({k: _end_value(v) for k, v in answers.items()})
        except Exception as exc:
            name = next(iter(answers), "?")
            raise _value_error(run_id, None, name, None, answers.get(name), exc) from exc

    def inputs(self, run_id: str, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        """A run's stored input rows back to ``{name: value}``; an input that does not decode is a
        ``CheckpointStoreError``."""
        deserialize = self.serializer.deserialize
        values = {}
        for name, blob in rows:
            try:
                values[name] = deserialize(bytes(blob))
            except Exception as exc:
                raise self._unreadable(f"input {_shown(name)} of run {_shown(run_id)}", exc) from exc
        return values

    def _unreadable(self, row: str, exc: Exception) -> CheckpointStoreError:
        """A stored row that does not decode: name the store and the row, chain the cause."""
        return CheckpointStoreError(
            f"{self.location}: cannot read {row}: {exc}. The row was written by another "
            "serializer or changed since it was stored; open the store with the serializer "
            "that wrote it, or delete the run.",
            location=self.location,
        )


def _shown(value: Any) -> str:
    """A stored field for a message: repr, cut short (it may be anything)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _end_value(value: Any) -> Any:
    return "END" if value is END else value


def _value_error(
    run_id: str,
    node: str | None,
    name: str,
    superstep: int | None,
    value: Any,
    exc: BaseException,
) -> CheckpointSerializationError:
    if node is not None:
        where = f"output {name!r} of node {node!r} (run {run_id!r}, superstep {superstep})"
    else:
        where = f"input {name!r} of run {run_id!r}"
    return CheckpointSerializationError(
        f"cannot checkpoint {where}: the {type(value).__name__} value cannot be serialized "
        f"({exc}). Return plain data from the node, or configure the checkpointer with "
        "JsonSerializer(lossy=True) or PickleSerializer(allow_pickle=True, key=...).",
        run_id=run_id,
        node_name=node,
        output_name=name,
        superstep=superstep,
    )
