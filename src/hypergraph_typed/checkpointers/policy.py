"""``CheckpointPolicy``: when writes happen (durability) and what is kept (retention, ttl)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

Durability = Literal["sync", "async", "exit"]
Retention = Literal["full", "latest", "windowed"]

_DURABILITIES: tuple[str, ...] = get_args(Durability)
_RETENTIONS: tuple[str, ...] = get_args(Retention)


@dataclass(frozen=True)
class CheckpointPolicy:
    """How a checkpointer is written to and pruned.

    ``ttl`` is applied: a run whose last write is older than ``ttl`` is deleted (with its
    steps and inputs) by the next write or listing on the same store.
    """

    durability: Durability = "async"
    retention: Retention = "full"
    window: int | None = None
    ttl: timedelta | None = None

    def __post_init__(self) -> None:
        if self.durability not in _DURABILITIES:
            raise ValueError(
                f"CheckpointPolicy: durability must be one of {_DURABILITIES}, "
                f"got {self.durability!r}"
            )
        if self.retention not in _RETENTIONS:
            raise ValueError(
                f"CheckpointPolicy: retention must be one of {_RETENTIONS}, got {self.retention!r}"
            )
        if self.durability == "exit" and self.retention != "latest":
            raise ValueError(
                "CheckpointPolicy: durability='exit' buffers writes until the run ends, so only "
                f"the latest records can be kept; use retention='latest' (got {self.retention!r})"
            )
        if self.window is not None:
            if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
                raise ValueError(
                    f"CheckpointPolicy: window must be a positive int, got {self.window!r}"
                )
            if self.retention != "windowed":
                raise ValueError(
                    "CheckpointPolicy: window only applies to retention='windowed' "
                    f"(got retention={self.retention!r}); drop window or set retention='windowed'"
                )
        elif self.retention == "windowed":
            raise ValueError(
                "CheckpointPolicy: retention='windowed' needs window=N (the number of "
                "supersteps to keep)"
            )
        if self.ttl is not None:
            if not isinstance(self.ttl, timedelta):
                raise ValueError(
                    f"CheckpointPolicy: ttl must be a datetime.timedelta, got {self.ttl!r}"
                )
            if self.ttl <= timedelta(0):
                raise ValueError(f"CheckpointPolicy: ttl must be positive, got {self.ttl!r}")


def resolve_policy(
    policy: CheckpointPolicy | None, durability: str | None, retention: str | None
) -> CheckpointPolicy:
    """The constructor rule: ``policy`` or the two shortcuts, never both."""
    if policy is not None:
        if durability is not None or retention is not None:
            raise ValueError(
                "pass either policy=CheckpointPolicy(...) or durability=/retention=, not both"
            )
        return policy
    kwargs: dict[str, str] = {}
    if durability is not None:
        kwargs["durability"] = durability
    if retention is not None:
        kwargs["retention"] = retention
    return CheckpointPolicy(**kwargs)  # type: ignore[arg-type]
