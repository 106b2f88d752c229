"""Local stand-in for the LLM call of hypergraph's examples (no network, no model)."""


def call_llm(messages: list[dict[str, str]]) -> str:
    return f"echo: {messages[-1]['content']}" if messages else "hello"
