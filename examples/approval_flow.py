"""Human in the loop: pause at an approval step, inspect the pause, resume with the answer.

Also shows handlers that auto-resolve the interrupt (sync, async, conditional) and an
interrupt that emits an ordering signal.
"""

from __future__ import annotations

import asyncio

from hypergraph_typed import AsyncRunner, Graph, interrupt, node


@node(output_name="draft")
def generate_draft(prompt: str) -> str:
    return f"Blog post about: {prompt}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None  # always pause: a person reviews the draft


@node(output_name="result")
def finalize(decision: str) -> str:
    return f"Published: {decision}"


# Handlers resolve the interrupt programmatically: return a value to resolve, None to pause.
@interrupt(output_name="decision")
def auto_approval(draft: str) -> str:
    return "auto-approved"


@interrupt(output_name="decision")
def lgtm_approval(draft: str) -> str | None:
    if "LGTM" in draft:
        return "auto-approved"
    return None


@interrupt(output_name="decision")
async def async_approval(draft: str) -> str:
    await asyncio.sleep(0)  # e.g. ask a policy service
    return "async-approved"


# Ordering signals: log_review waits until the review resolved, although it reads no answer.
@interrupt(output_name="decision", emit="reviewed")
def review(draft: str) -> str | None:
    return None


@node(output_name="audit", wait_for="reviewed")
def log_review(draft: str) -> str:
    return f"reviewed: {draft}"


async def amain() -> None:
    runner = AsyncRunner()
    graph = Graph([generate_draft, approval, finalize], name="approval_flow")

    # 1. Run: execution pauses at the interrupt.
    result = await runner.run(graph, {"prompt": "Python async"})
    assert result.paused and result.pause is not None
    print("paused:", result.paused)
    print("  pause.value:       ", result.pause.value)
    print("  pause.node_name:   ", result.pause.node_name)
    print("  pause.output_param:", result.pause.output_param)
    print("  pause.response_key:", result.pause.response_key)

    # 2. Resume: replay with the same inputs plus the answer under pause.response_key.
    result = await runner.run(
        graph, {"prompt": "Python async", result.pause.response_key: "Looks great!"}
    )
    print("resumed:", result.status.value, "->", result["result"])

    # 3. Handlers.
    for handler in (auto_approval, lgtm_approval, async_approval):
        g = Graph([generate_draft, handler.with_name("approval"), finalize])
        for prompt in ("Python async", "LGTM: typed graphs"):
            r = await runner.run(g, {"prompt": prompt})
            outcome = f"paused at {r.pause.node_name}" if r.pause else r["result"]
            print(f"handler {handler.name} on {prompt!r}: {outcome}")

    # 4. emit/wait_for on an interrupt: log_review runs only after the review resolves.
    g = Graph([generate_draft, review, log_review])
    r = await runner.run(g, {"prompt": "signals"})
    print("with emit, before answer:", r.status.value, sorted(r.values))
    r = await runner.run(g, {"prompt": "signals", "decision": "ok"})
    print("with emit, after answer: ", r.status.value, r["audit"])


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()
