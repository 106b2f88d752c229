"""hypergraph's handlers, sequential interrupts, nested graphs and emit/wait_for."""

import asyncio

from hypergraph_typed import AsyncRunner, Graph, interrupt, node


@node(output_name="draft")
def generate_draft(prompt: str) -> str:
    return f"Blog post about: {prompt}"


@node(output_name="result")
def finalize(decision: str) -> str:
    return f"Published: {decision}"


@interrupt(output_name="decision")
def auto_approve(draft: str) -> str:
    return "auto-approved"


@interrupt(output_name="decision")
def conditional(draft: str) -> str | None:
    return "auto-approved" if "LGTM" in draft else None


@interrupt(output_name="decision")
async def async_approval(draft: str) -> str:
    await asyncio.sleep(0)
    return "async-approved"


@interrupt(output_name="name")
def ask_name(greeting: str) -> str | None:
    return None


@interrupt(output_name="age")
def ask_age(name: str) -> int | None:
    return None


@node(output_name="summary")
def summarize(name: str, age: int) -> str:
    return f"{name} is {age}"


@interrupt(output_name="y")
def approval(x: int) -> int | None:
    return None


@node(output_name="x")
def produce(a: int) -> int:
    return a * 2


@interrupt(output_name="decision", emit="reviewed")
def review(draft: str) -> str | None:
    return None


@node(output_name="notification", wait_for="reviewed")
def notify(draft: str) -> str:
    return f"Reviewed: {draft}"


async def main() -> None:
    runner = AsyncRunner()
    for handler in (auto_approve, conditional, async_approval):
        result = await runner.run(Graph([generate_draft, handler, finalize]), {"prompt": "LGTM"})
        print(result["result"])

    people = Graph([ask_name, ask_age, summarize])
    result = await runner.run(people, {"greeting": "Hi"})
    assert result.pause.node_name == "ask_name"
    result = await runner.run(people, {"greeting": "Hi", "name": "Alice"})
    assert result.pause.node_name == "ask_age"
    result = await runner.run(people, {"greeting": "Hi", "name": "Alice", "age": 30})
    assert result["summary"] == "Alice is 30"

    inner = Graph([approval], name="inner")
    outer = Graph([produce, inner.as_node()])
    result = await runner.run(outer, {"a": 5})
    assert result.paused
    assert result.pause.node_name == "inner/approval"
    assert result.pause.response_key == "inner.y"
    result = await runner.run(outer, {"a": 5, "inner.y": 100})
    assert result["y"] == 100

    signals = Graph([generate_draft, review, notify])
    result = await runner.run(signals, {"prompt": "x"})
    if result.paused:
        print(result.pause.value)


if __name__ == "__main__":
    asyncio.run(main())
