"""Pause + stateless resume of the seed's draft -> approval -> finalize graph.

One benchmark round is a whole human-in-the-loop exchange without the human: the
first ``run`` pauses at ``approval``, the second passes the answer under
``pause.response_key`` and completes. The baseline does the same work in plain
Python: call ``generate_draft``, hand the draft back as "the question", then call
``finalize`` with the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from approval_flow import approval, finalize, generate_draft

from hypergraph_typed import AsyncRunner, Graph

GRAPH = Graph([generate_draft, approval, finalize])
GRAPH.compile()


# Exchanges per benchmark round, all inside one running event loop (as in an app that
# awaits runner.run); the reported time is per exchange, so loop start-up is not counted.
PER_ROUND = 100


async def _pause_and_resume(runner: AsyncRunner) -> Any:
    result: Any = None
    for _ in range(PER_ROUND):
        paused = await runner.run(GRAPH, {"prompt": "typed graphs"})
        assert paused.pause is not None
        result = await runner.run(
            GRAPH, {"prompt": "typed graphs", paused.pause.response_key: "approved"}
        )
    return result


async def _plain(prompt: str) -> str:
    out = ""
    for _ in range(PER_ROUND):
        draft = generate_draft.func(prompt)
        question = draft  # what the pause would surface
        answer = "approved" if question else "rejected"
        out = finalize.func(answer)
    return out


def test_pause_resume_baseline(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    benchmark.group = "pause-resume"
    benchmark.extra_info.update(
        case="pause-resume-3", runner="async-baseline", nodes=3, per_round=PER_ROUND
    )
    out = benchmark(lambda: loop.run_until_complete(_plain("typed graphs")))
    assert out == "Published: approved"


def test_pause_resume_async(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    runner = AsyncRunner()
    benchmark.group = "pause-resume"
    benchmark.extra_info.update(
        case="pause-resume-3", runner="async", nodes=3, per_round=PER_ROUND
    )
    result = benchmark(lambda: loop.run_until_complete(_pause_and_resume(runner)))
    assert result["result"] == "Published: approved"
