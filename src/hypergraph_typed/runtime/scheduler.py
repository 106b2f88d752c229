"""Superstep bookkeeping on a compiled plan: which nodes are ready, and writing outputs.

Only integer-indexed list operations happen here; every name, edge and rule was
resolved by the compiler. Both runners drive the same scheduler.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from hypergraph_typed._sentinels import _EMIT_SENTINEL, MISSING
from hypergraph_typed.compiler.plan import (
    DEEPCOPY,
    GATE,
    INTERRUPT,
    UNCOPYABLE,
    ExecutionPlan,
    NodePlan,
)
from hypergraph_typed.exceptions import GraphConfigError


def changed(old: Any, new: Any) -> bool:
    """Version rule: a write counts as a change unless the value is ``==`` the old one."""
    if old is new:
        return False
    try:
        return not bool(old == new)
    except Exception:
        return True


class Scheduler:
    """Run state (values, versions, per-node memory) plus the readiness rules of a superstep."""

    __slots__ = (
        "candidates", "consumed", "gate_ran", "gate_selected", "nodes", "plan", "ran",
        "values", "versions", "wait_consumed", "writer",
    )

    def __init__(
        self, plan: ExecutionPlan, initial: dict[int, Any], *, restored: bool = False
    ) -> None:
        n_slots = len(plan.slot_names)
        n_nodes = len(plan.nodes)
        self.plan: ExecutionPlan = plan
        self.nodes: tuple[NodePlan, ...] = plan.nodes
        self.values: list[Any] = [MISSING] * n_slots
        self.versions: list[int] = [0] * n_slots
        self.writer: list[int] = [-1] * n_slots
        for s, v in initial.items():
            self.values[s] = v
            self.versions[s] = 1
        self.ran: list[bool] = [False] * n_nodes
        self.consumed: list[list[int] | None] = [None] * n_nodes
        self.wait_consumed: list[list[int] | None] = [None] * n_nodes
        self.gate_ran: list[bool] = [False] * n_nodes
        self.gate_selected: list[set[int]] = [set() for _ in range(n_nodes)]
        # A restored run (from a checkpoint) may have any node ready: check them all.
        self.candidates: set[int] = (
            set(range(n_nodes)) if restored else set(plan.initial_candidates)
        )

    # -- readiness -------------------------------------------------------------
    def _activated(self, n: int) -> bool:
        np = self.nodes[n]
        if not np.controllers:
            return True
        for g, opens in zip(np.controllers, np.opens_by_default):
            if self.gate_ran[g]:
                if n in self.gate_selected[g]:
                    return True
            elif opens and not self.ran[n]:
                return True
        return False

    def _rerun_wanted(self, n: int, np: NodePlan) -> bool:
        """A node that already ran: re-selected by a gate, or one of its inputs went stale."""
        for g in np.controllers:
            if n in self.gate_selected[g]:
                return True
        consumed = self.consumed[n]
        if consumed is not None:
            versions = self.versions
            writer = self.writer
            for pos, s, wired in np.stale_inputs:
                if versions[s] != consumed[pos] and (wired is None or writer[s] in wired):
                    return True
        return False

    def _is_ready(self, n: int) -> bool:
        np = self.nodes[n]
        ran_n = self.ran[n]
        # Every test below is side-effect free and all must pass, so the usual "no" goes
        # first: a node that already ran needs a reason to run again (a gate re-selected
        # it, an input went stale, or it waits on signals).
        if ran_n and not np.wait_slots and not self._rerun_wanted(n, np):
            return False
        if np.controllers and not self._activated(n):
            return False
        if ran_n or not np.is_entrypoint:
            ran = self.ran
            for p in np.startup_preds:
                if not ran[p] and self._activated(p):
                    return False
        values = self.values
        for s, fb in zip(np.in_slots, np.fallback_kinds):
            if not fb and values[s] is MISSING:
                return False
        if np.wait_slots:
            versions = self.versions
            wc = self.wait_consumed[n]
            for k, s in enumerate(np.wait_slots):
                if values[s] is MISSING:
                    return False
                if ran_n and wc is not None and versions[s] <= wc[k]:
                    return False
        return True

    def any_ready(self) -> bool:
        """Whether the next superstep would run anything (no state changes)."""
        return any(self._is_ready(n) for n in self.candidates)

    def next_ready(self, isolate_interrupts: bool) -> list[int]:
        """Nodes to run in the next superstep, in graph order, after the spec's filters."""
        cands = self.candidates
        if not cands:
            return []
        is_ready = self._is_ready
        ready: list[int] = []
        for n in sorted(cands) if len(cands) > 1 else cands:
            if is_ready(n):
                ready.append(n)
        if len(ready) <= 1:
            cands.clear()
            if ready and self.nodes[ready[0]].kind == GATE:
                self._drop_decision(ready[0])
            return ready
        nodes = self.nodes
        held: set[int] = set()
        for n in ready:
            if nodes[n].kind == GATE:
                held.update(nodes[n].target_ids.values())
                self._drop_decision(n)
        ready_set = set(ready)
        run: list[int] = []
        deferred: set[int] = set()
        for n in ready:
            if n in held or (not self.ran[n] and nodes[n].wait_producers & ready_set):
                deferred.add(n)
            else:
                run.append(n)
        if isolate_interrupts:
            first = next((n for n in run if nodes[n].kind == INTERRUPT), None)
            if first is not None:
                deferred.update(n for n in run if n != first)
                run = [first]
        self.candidates = deferred
        return run

    def _drop_decision(self, g: int) -> None:
        if self.gate_ran[g]:
            self.gate_selected[g] = set()

    # -- execution bookkeeping -------------------------------------------------
    def gather(self, n: int) -> list[Any]:
        """Input values for node ``n`` (state, else bound/default) and record consumed versions."""
        np = self.nodes[n]
        values = self.values
        versions = self.versions
        args = []
        consumed = []
        for k, s in enumerate(np.in_slots):
            v = values[s]
            if v is MISSING:
                v = np.fallback_values[k]
                fb = np.fallback_kinds[k]
                if fb == DEEPCOPY:
                    v = copy.deepcopy(v)
                elif fb == UNCOPYABLE:
                    raise GraphConfigError(v)
            args.append(v)
            consumed.append(versions[s])
        self.consumed[n] = consumed
        if np.wait_slots:
            self.wait_consumed[n] = [versions[s] for s in np.wait_slots]
        return args

    def commit(self, n: int, outputs: Sequence[Any]) -> None:
        """Write a finished node's data outputs and emit signals; mark it run."""
        np = self.nodes[n]
        values = self.values
        versions = self.versions
        writer = self.writer
        for s, v in zip(np.out_slots, outputs):
            if v is MISSING:
                continue
            old = values[s]
            if old is MISSING or changed(old, v):
                versions[s] += 1
                writer[s] = n
            values[s] = v
        for s in np.emit_slots:
            values[s] = _EMIT_SENTINEL
            versions[s] += 1
            writer[s] = n
        self.ran[n] = True
        for g in np.controllers:
            self.gate_selected[g].discard(n)
        self.candidates.update(np.recheck)

    def replay(self, supersteps: Iterable[Sequence[tuple[int, Sequence[Any]]]]) -> None:
        """Reach the state the general loop has after these supersteps ran and succeeded.

        Each superstep lists ``(node, outputs)`` in ready order; none of the nodes waits
        for signals. ``next_ready`` would have emptied the candidates as it picked each
        superstep, every node would have read its inputs before any of them wrote.
        """
        nodes = self.nodes
        versions = self.versions
        for step in supersteps:
            self.candidates = set()
            for n, _ in step:
                self.consumed[n] = [versions[s] for s in nodes[n].in_slots]
            for n, outputs in step:
                self.commit(n, outputs)

    def commit_gate(self, n: int, decision: Any, selected: tuple[str, ...]) -> None:
        """Record a gate's decision: the targets it selected, then the decision as its output."""
        np = self.nodes[n]
        self.gate_ran[n] = True
        self.gate_selected[n] = {np.target_ids[t] for t in selected if t in np.target_ids}
        self.commit(n, (decision,))

    def value_of(self, name: str) -> Any:
        """The current value of a named slot, or ``MISSING`` when it has none."""
        s = self.plan.slot_index.get(name)
        return MISSING if s is None else self.values[s]
