"""Turning a node call's return value into output values; what an interrupt pause says."""

from __future__ import annotations

from typing import Any

from hypergraph_typed.compiler.plan import GraphCall, NodePlan
from hypergraph_typed.runtime.results import PauseInfo


def split_outputs(np: NodePlan, result: Any) -> tuple[Any, ...]:
    """One output takes the whole value; several unpack it in order (length checked)."""
    n = len(np.out_slots)
    if n == 0:
        return ()
    if n == 1:
        return (result,)
    try:
        items = tuple(result)
    except TypeError:
        raise ValueError(
            f"Node {np.name!r} declares outputs {np.node.data_outputs!r} but returned "
            f"{type(result).__name__}, which cannot be unpacked. Return a tuple of {n} values"
        ) from None
    if len(items) != n:
        raise ValueError(
            f"Node {np.name!r} declares {n} outputs {np.node.data_outputs!r} but returned "
            f"{len(items)} values. Return exactly {n} values or fix output_name"
        )
    return items


def pause_info(np: NodePlan, args: list[Any]) -> PauseInfo:
    node = np.node
    outs = node.data_outputs
    return PauseInfo(
        node_name=np.name,
        output_param=outs[0],
        value=args[0] if args else None,
        output_params=tuple(outs) if len(outs) > 1 else None,
        values=dict(zip(node.inputs, args)) if len(args) > 1 else None,
    )


def handler_failed(np: NodePlan, exc: BaseException) -> RuntimeError:
    err = RuntimeError(
        f"Handler for InterruptNode {np.name!r} failed: {type(exc).__name__}: {exc}"
    )
    err.__cause__ = exc
    return err


def take_answers(np: NodePlan, answers: dict[int, Any] | None) -> tuple[Any, ...] | None:
    """If every answer slot of the interrupt was supplied, consume and return the values.

    ``answers`` is keyed by slot (the plan's ``out_slots`` of the interrupt), so this is
    a few integer lookups. Consuming means a later visit of the same interrupt in this
    run (a cycle routing back) calls the handler again, i.e. asks again.
    """
    if not answers or not has_answers(np, answers):
        return None
    return tuple(answers.pop(s) for s in np.out_slots)


def has_answers(np: NodePlan, answers: dict[int, Any] | None) -> bool:
    """Whether every answer slot of the interrupt was supplied (and not yet consumed)."""
    if not answers:
        return False
    return all(s in answers for s in np.out_slots)


def nested_pause(gn_name: str, gc: GraphCall, inner: PauseInfo) -> PauseInfo:
    """Re-express an inner pause at the GraphNode boundary (path prefix, renamed output)."""
    to_outer = gc.to_outer
    direct = "/" not in inner.node_name

    def rename(p: str) -> str:
        return to_outer.get(p, p) if direct else p

    return PauseInfo(
        node_name=f"{gn_name}/{inner.node_name}",
        output_param=rename(inner.output_param),
        value=inner.value,
        output_params=tuple(rename(p) for p in inner.output_params) if inner.output_params else None,
        values=inner.values,
    )
