"""hypergraph's "Multi-Turn Chat with Human Input" and its explicit-edges variant."""

import asyncio

from llm import call_llm

from hypergraph_typed import END, AsyncRunner, Graph, interrupt, node, route


@interrupt(output_name="user_input")
def ask_user(messages: list[dict[str, str]]) -> str | None:
    return None


@node(output_name="messages")
def add_user_message(messages: list[dict[str, str]], user_input: str) -> list[dict[str, str]]:
    return [*messages, {"role": "user", "content": user_input}]


@node(output_name="response")
def generate(messages: list[dict[str, str]]) -> str:
    return call_llm(messages)


@node(output_name="messages", emit="turn_done")
def add_response(messages: list[dict[str, str]], response: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_user", END], wait_for="turn_done")
def should_continue(messages: list[dict[str, str]]) -> str:
    if len(messages) >= 6:
        return END
    return "ask_user"


graph = Graph(
    [ask_user, add_user_message, generate, add_response, should_continue],
    shared=["messages"],
    edges=[("add_user_message", "generate")],
    entrypoint="ask_user",
).bind(messages=[])

# The same loop with explicit edges instead of emit/wait_for.
@node(output_name="messages")
def add_reply(messages: list[dict[str, str]], response: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_user", END])
def keep_chatting(messages: list[dict[str, str]]) -> str:
    return END if len(messages) >= 6 else "ask_user"


explicit = Graph(
    [ask_user, add_user_message, generate, add_reply, keep_chatting],
    edges=[
        (ask_user, add_user_message),
        (add_user_message, generate),
        (generate, add_reply),
        (add_reply, keep_chatting),
        (keep_chatting, ask_user),
    ],
    shared=["messages"],
    entrypoint="ask_user",
).bind(messages=[])


async def main() -> None:
    runner = AsyncRunner()
    result = await runner.run(graph, {})
    assert result.paused
    answers: dict[str, str] = {}
    for text in ["Hello!", "Tell me more", "Thanks"]:
        answers[result.pause.response_key] = text
        result = await runner.run(graph, answers)
        if not result.paused:
            break
        print(result.pause.value)
    print(result["messages"])


if __name__ == "__main__":
    asyncio.run(main())
