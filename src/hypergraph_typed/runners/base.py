"""``BaseRunner``: the constructor both runners share (cache, checkpointer, type checks)."""

from __future__ import annotations

import abc
from typing import Any, Literal

from hypergraph_typed.runtime.context import Profile
from hypergraph_typed.runtime.entry import new_call
from hypergraph_typed.runtime.results import RunnerCapabilities
from hypergraph_typed.runtime.typecheck import require_typeguard

TypeCheck = Literal["off", "edges"]


class BaseRunner(abc.ABC):
    """Abstract runner: interprets compiled plans.

    ``cache`` is a ``CacheBackend`` for nodes declared with ``cache=True``;
    ``checkpointer`` persists runs for pause/resume across processes;
    ``type_check="edges"`` checks every value crossing an edge (and every input, bound
    value and resume answer) against the annotations, with typeguard. All three are off
    by default, and a run that uses none of them takes the interpreter's fast path.
    """

    # How this runner runs a superstep; the only thing, besides its driver loop, in
    # which the two runners differ.
    profile: Profile
    # The store protocol the driver needs (``checkpointers.protocol``), and its name.
    store_protocol: type
    store_protocol_methods: str

    def __init__(
        self, cache: Any = None, checkpointer: Any = None, *, type_check: TypeCheck = "off"
    ) -> None:
        if cache is not None and not (
            callable(getattr(cache, "get", None)) and callable(getattr(cache, "set", None))
        ):
            raise TypeError(
                f"cache must be a CacheBackend (with get(key) and set(key, value)), got "
                f"{type(cache).__name__}; use InMemoryCache() or DiskCache(...)"
            )
        if type_check not in ("off", "edges"):
            raise ValueError(f"type_check must be 'off' or 'edges', got {type_check!r}")
        if type_check == "edges":
            require_typeguard()  # fail here, not at the first run
        if checkpointer is not None and not isinstance(checkpointer, self.store_protocol):
            proto = self.store_protocol
            missing = [
                name for name in vars(proto)
                if not name.startswith("_") and callable(getattr(proto, name))
                and not callable(getattr(checkpointer, name, None))
            ]
            raise TypeError(
                f"{type(self).__name__}(checkpointer=...) needs a store with the "
                f"{self.store_protocol_methods} methods of the store protocol "
                f"(hypergraph_typed.checkpointers.protocol); {type(checkpointer).__name__} "
                f"lacks {', '.join(missing)}. Use MemoryCheckpointer, SqliteCheckpointer or "
                "PostgresCheckpointer, or subclass StoreCheckpointer"
            )
        self.cache = cache
        self.checkpointer = checkpointer
        self.type_check: TypeCheck = type_check

    @property
    @abc.abstractmethod
    def capabilities(self) -> RunnerCapabilities: ...

    @abc.abstractmethod
    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> Any: ...

    @abc.abstractmethod
    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> Any: ...

    def _call(self, max_concurrency: int | None = None) -> Any:
        """The settings of one call (``runtime.context.Call``)."""
        return new_call(
            self.profile, cache=self.cache, type_check=self.type_check == "edges",
            checkpointer=self.checkpointer, max_concurrency=max_concurrency,
        )
