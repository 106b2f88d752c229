"""Quick start: plain functions wired by name, compiled once, run on both runners."""

from __future__ import annotations

import asyncio

from hypergraph_typed import END, AsyncRunner, Graph, SyncRunner, ifelse, node


@node(output_name="cleaned")
def clean(text: str) -> str:
    return " ".join(text.split())


@node(output_name=("words", "chars"))
def measure(cleaned: str) -> tuple[int, int]:
    return len(cleaned.split()), len(cleaned)


@ifelse(when_true="summarize", when_false=END, default_open=False)
def is_long(words: int) -> bool:
    return words > 5


@node(output_name="summary")
async def summarize(cleaned: str, max_words: int = 3) -> str:
    await asyncio.sleep(0)  # stands in for an LLM call
    return " ".join(cleaned.split()[:max_words]) + " ..."


def main() -> None:
    graph = Graph([clean, measure, is_long, summarize], name="text_stats", strict_types=True)
    print(graph)
    print(graph.compile().describe())

    short = Graph([clean, measure], name="short_stats")
    result = SyncRunner().run(short, {"text": "  hello   typed   graphs "})
    print("sync:", result.values)

    result = asyncio.run(
        AsyncRunner().run(graph, {"text": "one two three four five six seven"})
    )
    print("async:", result.values)
    print("log:", result.log.summary() if result.log else "-")


if __name__ == "__main__":
    main()
