"""hypergraph's "Persistent Multi-Turn with Checkpointer" and "Checkpointed Pauses"."""

import asyncio

from llm import call_llm

from hypergraph_typed import END, AsyncRunner, Graph, interrupt, node, route
from hypergraph_typed.checkpointers import MemoryCheckpointer
from hypergraph_typed.exceptions import WorkflowAlreadyCompletedError


@interrupt(output_name="user_input")
def wait_for_user(messages: list[dict[str, str]]) -> str | None:
    return None


@node(output_name="messages")
def add_user_message(messages: list[dict[str, str]], user_input: str) -> list[dict[str, str]]:
    return [*messages, {"role": "user", "content": user_input}]


@node(output_name="response")
def generate(messages: list[dict[str, str]]) -> str:
    return call_llm(messages)


@node(output_name="messages")
def add_response(messages: list[dict[str, str]], response: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["wait_for_user", END])
def should_continue(messages: list[dict[str, str]]) -> str:
    if messages[-2]["content"].lower() == "bye":
        return END
    return "wait_for_user"


chat = Graph(
    [wait_for_user, add_user_message, generate, add_response, should_continue],
    edges=[
        (wait_for_user, add_user_message),
        (add_user_message, generate),
        (generate, add_response),
        (add_response, should_continue),
        (should_continue, wait_for_user),
    ],
    shared=["messages"],
    entrypoint="add_user_message",
).bind(messages=[])


async def main() -> None:
    runner = AsyncRunner(checkpointer=MemoryCheckpointer())
    result = await runner.run(chat, {"user_input": "Hi!"}, workflow_id="chat-1")
    assert result.paused
    print(result.pause.node_name, result.pause.response_key)
    result = await runner.run(chat, {"user_input": "bye"}, workflow_id="chat-1")
    assert result.completed
    try:
        await runner.run(chat, {"user_input": "again"}, workflow_id="chat-1")
    except WorkflowAlreadyCompletedError as exc:
        print(exc)


if __name__ == "__main__":
    asyncio.run(main())
