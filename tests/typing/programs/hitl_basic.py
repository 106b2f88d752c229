"""hypergraph's "Basic Pause and Resume", written as on its human-in-the-loop page."""

import asyncio

from hypergraph_typed import AsyncRunner, Graph, interrupt, node


@node(output_name="draft")
def generate_draft(prompt: str) -> str:
    return f"Blog post about: {prompt}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None  # pause for human review


@node(output_name="result")
def finalize(decision: str) -> str:
    return f"Published: {decision}"


graph = Graph([generate_draft, approval, finalize])
runner = AsyncRunner()


async def main() -> None:
    # Pause at the interrupt
    result = await runner.run(graph, {"prompt": "Python async"})
    assert result.paused
    assert result.pause.value == "Blog post about: Python async"
    assert result.pause.response_key == "decision"
    print(result.pause.node_name, result.pause.output_param)

    # Resume with the user's response
    result = await runner.run(graph, {
        "prompt": "Python async",
        result.pause.response_key: "Looks great!",
    })
    assert result["result"] == "Published: Looks great!"


if __name__ == "__main__":
    asyncio.run(main())
