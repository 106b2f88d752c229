"""What one ``run()``/``map()`` call's flows share, and how the two runners differ, as data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.events.dispatcher import EventDispatcher
from hypergraph_typed.runtime.features import RunFeatures
from hypergraph_typed.runtime.results import new_run_id


@attrs.frozen(slots=True)
class Profile:
    """The runner's way of running a superstep (the spec's differences, nothing else).

    ``sequential``: the ready nodes run one at a time, in graph order, and the first
    failure stops the superstep (SyncRunner); otherwise they run concurrently and the
    whole superstep finishes (AsyncRunner). ``interrupts``: interrupts are supported
    (a ready interrupt runs alone in its superstep).
    """

    name: str
    sequential: bool
    interrupts: bool


SYNC = Profile("SyncRunner", sequential=True, interrupts=False)
ASYNC = Profile("AsyncRunner", sequential=False, interrupts=True)


@attrs.frozen(slots=True)
class Call:
    """The runner's settings for one top-level call, shared by nested runs and map items.

    ``run_plan`` and ``map_plan`` are the interpreter's entry points, handed in (rather
    than imported) so that a nested graph's node can start a run of its own while the
    modules keep importing one way: interpreter -> node calls.
    """

    profile: Profile
    run_plan: Callable[..., Any]
    map_plan: Callable[..., Any]
    cache: Any = None
    type_check: bool = False
    checkpointer: Any = None
    max_concurrency: int | None = None

    @property
    def policy(self) -> CheckpointPolicy:
        policy = getattr(self.checkpointer, "policy", None)
        return policy if isinstance(policy, CheckpointPolicy) else CheckpointPolicy()

    def plan_of(self, plan: ExecutionPlan) -> ExecutionPlan:
        """``plan`` as this call runs it: with its edge checks under ``type_check``."""
        if self.type_check and plan.edge_checks is None:
            return plan.graph.compile(type_check=True)
        return plan

    def features(
        self, plan: ExecutionPlan, dispatcher: EventDispatcher | None, *,
        session: Any = None, workflow_id: str | None = None,
    ) -> RunFeatures | None:
        """The run's features, or ``None`` when it uses none (the interpreter's fast path)."""
        if dispatcher is None and self.cache is None and not self.type_check and session is None:
            return None
        return RunFeatures(
            plan, dispatcher=dispatcher, cache=self.cache, type_check=self.type_check,
            session=session, run_id=new_run_id(), parent_span=None, workflow_id=workflow_id,
        )
