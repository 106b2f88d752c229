"""Interrupts inside nested graphs, sequential interrupts, and which runners support them.

A pause deep inside ``graph.as_node()`` surfaces at the top with a path-like
``node_name`` ("review/approval") and a dotted ``response_key`` ("review.decision")
that resumes it from the outside.
"""

from __future__ import annotations

import asyncio

from hypergraph_typed import (
    AsyncRunner,
    Graph,
    GraphConfigError,
    IncompatibleRunnerError,
    SyncRunner,
    interrupt,
    node,
)


@node(output_name="draft")
def write_draft(topic: str) -> str:
    return f"A short note on {topic}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None


@node(output_name="published")
def publish(draft: str, decision: str) -> str:
    return f"{draft} [{decision}]"


# Sequential interrupts: an editor, then a legal check; they pause one at a time.
@interrupt(output_name="edited")
def edit(draft: str) -> str | None:
    return None


@interrupt(output_name="cleared")
def legal(edited: str) -> bool | None:
    return None


@node(output_name="final")
def release(edited: str, cleared: bool) -> str:
    return edited if cleared else "withheld"


async def amain() -> None:
    runner = AsyncRunner()

    # -- nested: the review step is its own graph, used as a node ------------------------
    review = Graph([approval], name="review")
    pipeline = Graph([write_draft, review.as_node(), publish], name="pipeline")
    values = {"topic": "interrupts"}
    r = await runner.run(pipeline, values)
    assert r.pause is not None
    print(f"nested pause: node_name={r.pause.node_name!r} response_key={r.pause.response_key!r}")
    r = await runner.run(pipeline, {**values, r.pause.response_key: "approved"})
    print("nested resume:", r.status.value, "->", r["published"])

    # -- two levels deep, with the answer renamed at the boundary ---------------------------
    desk = Graph([review.as_node().with_outputs(decision="verdict")], name="desk")
    top = Graph([write_draft, desk.as_node()], name="top")
    r = await runner.run(top, values)
    assert r.pause is not None
    print(f"deep pause:   node_name={r.pause.node_name!r} response_key={r.pause.response_key!r}")
    r = await runner.run(top, {**values, r.pause.response_key: "ok"})
    print("deep resume:", r.status.value, "->", r.values)

    # -- sequential interrupts: every call supplies all answers collected so far -----------
    flow = Graph([write_draft, edit, legal, release], name="sequential")
    answers: dict[str, object] = {}
    replies = {"edited": "A short, edited note", "cleared": True}
    while True:
        r = await runner.run(flow, {**values, **answers})
        if not r.paused:
            break
        print(f"sequential: paused at {r.pause.node_name!r} showing {r.pause.value!r}")
        answers[r.pause.response_key] = replies[r.pause.response_key]
    print("sequential: done ->", r["final"])

    # -- runner compatibility --------------------------------------------------------------
    try:
        SyncRunner().run(pipeline, values)  # type: ignore[hg-runner]  # shown on purpose
    except IncompatibleRunnerError as exc:
        print("SyncRunner:", exc)
    try:
        await runner.map(  # type: ignore[hg-runner]  # shown on purpose
            pipeline, {"topic": ["a", "b"]}, map_over="topic"
        )
    except IncompatibleRunnerError as exc:
        print("AsyncRunner.map:", exc)
    try:
        Graph([review.as_node().map_over("draft")])  # type: ignore[hg-graph]  # on purpose
    except GraphConfigError as exc:
        print("map_over:", exc)


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()
