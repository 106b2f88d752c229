"""Spec 04: @interrupt / InterruptNode declarations, handlers, PauseInfo, stateless resume."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest

from hypergraph_typed import (
    AsyncRunner,
    FunctionNode,
    Graph,
    InterruptNode,
    PauseInfo,
    RunStatus,
    interrupt,
    node,
)
from hypergraph_typed.runners import RunnerCapabilities


def run(graph: Graph, values: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return asyncio.run(AsyncRunner().run(graph, values, **kwargs))


@node(output_name="draft")
def generate_draft(prompt: str) -> str:
    return f"Blog post about: {prompt}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None


@node(output_name="result")
def finalize(decision: str) -> str:
    return f"Published: {decision}"


APPROVAL = Graph([generate_draft, approval, finalize])


# -- declaration -----------------------------------------------------------------------------
class TestDeclaration:
    def test_decorator_builds_interrupt_node_which_is_a_function_node(self) -> None:
        assert isinstance(approval, InterruptNode)
        assert isinstance(approval, FunctionNode)
        assert approval.is_interrupt is True
        assert approval.name == "approval"
        assert approval.inputs == ("draft",)
        assert approval.outputs == ("decision",)
        assert approval.data_outputs == ("decision",)
        assert approval.__wrapped__ is approval.func  # type: ignore[attr-defined]

    def test_default_properties(self) -> None:
        assert approval.cache is False
        assert approval.hide is False
        assert approval.wait_for == ()
        assert approval.is_async is False
        assert approval.is_generator is False
        h = approval.definition_hash
        assert isinstance(h, str) and len(h) == 64

    def test_decorator_options(self) -> None:
        @interrupt(
            output_name=("a", "b"), rename_inputs={"x": "text"}, cache=True, emit="asked",
            wait_for="ready", hide=True,
        )
        def ask(x: str) -> dict[str, str] | None:
            return None

        assert ask.inputs == ("text",)
        assert ask.outputs == ("a", "b", "asked")
        assert ask.data_outputs == ("a", "b")
        assert ask.wait_for == ("ready",)
        assert ask.cache is True
        assert ask.hide is True

    def test_async_handler_is_async(self) -> None:
        @interrupt(output_name="d")
        async def ask(x: int) -> int | None:
            return None

        assert ask.is_async is True

    def test_constructor_requires_output_name(self) -> None:
        def my_func(draft: str) -> str:
            return draft

        with pytest.raises(TypeError, match="output_name"):
            InterruptNode(my_func)
        n = InterruptNode(my_func, output_name="decision")
        assert n.name == "my_func" and n.outputs == ("decision",)
        n2 = InterruptNode(my_func, name="approval", output_name="decision")
        assert n2.name == "approval"

    def test_repr(self) -> None:
        assert repr(approval) == "InterruptNode(approval, outputs=('decision',))"

    def test_with_methods_return_interrupt_nodes(self) -> None:
        renamed = approval.with_name("review").with_inputs(draft="text").with_outputs(
            decision="verdict"
        )
        assert isinstance(renamed, InterruptNode)
        assert renamed.is_interrupt
        assert (renamed.name, renamed.inputs, renamed.outputs) == ("review", ("text",), ("verdict",))
        assert approval.name == "approval"  # immutable
        assert renamed.definition_hash == approval.definition_hash

    def test_renamed_interrupt_runs_under_new_names(self) -> None:
        review = approval.with_inputs(draft="text").with_outputs(decision="verdict")

        @node(output_name="text")
        def mk(prompt: str) -> str:
            return prompt.upper()

        g = Graph([mk, review])
        r = run(g, {"prompt": "hi"})
        assert r.pause.value == "HI"
        assert r.pause.response_key == "verdict"
        r = run(g, {"prompt": "hi", "verdict": "yes"})
        assert r.completed and r["verdict"] == "yes"

    def test_direct_call_runs_handler(self) -> None:
        assert approval("x") is None

    def test_generator_handler_rejected_at_construction(self) -> None:
        with pytest.raises(TypeError, match="generator"):
            @interrupt(output_name="d")
            def ask(x: int) -> Any:
                yield x

    def test_interrupt_output_cannot_be_bound(self) -> None:
        with pytest.raises(ValueError, match="answer slot"):
            APPROVAL.bind(decision="yes")

    def test_graph_flags(self) -> None:
        assert APPROVAL.has_interrupts
        assert [n.name for n in APPROVAL.interrupt_nodes] == ["approval"]
        assert "decision" not in APPROVAL.inputs.all

    def test_capabilities(self) -> None:
        caps = AsyncRunner().capabilities
        assert isinstance(caps, RunnerCapabilities) and caps.supports_interrupts


# -- pause and resume ------------------------------------------------------------------------
class TestPauseResume:
    def test_none_pauses_with_pause_info(self) -> None:
        r = run(APPROVAL, {"prompt": "Python async"})
        assert r.paused and r.status is RunStatus.PAUSED
        assert not r.completed and not r.failed
        p = r.pause
        assert isinstance(p, PauseInfo)
        assert p.value == "Blog post about: Python async"
        assert p.node_name == "approval"
        assert p.output_param == "decision"
        assert p.response_key == "decision"
        assert p.response_keys == {"decision": "decision"}
        assert p.output_params is None and p.values is None
        assert r.values == {"draft": "Blog post about: Python async"}

    def test_resume_with_response_key(self) -> None:
        r = run(APPROVAL, {"prompt": "Python async"})
        r2 = run(APPROVAL, {"prompt": "Python async", r.pause.response_key: "Looks great!"})
        assert r2.completed and r2.pause is None
        assert r2["result"] == "Published: Looks great!"
        assert r2["decision"] == "Looks great!"

    def test_resume_key_is_not_an_internal_override(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            run(APPROVAL, {"prompt": "p", "decision": "d"})

    def test_log_records_paused_interrupt(self) -> None:
        r = run(APPROVAL, {"prompt": "p"})
        steps = r.log.steps
        assert [(s.node_name, s.status) for s in steps] == [
            ("generate_draft", "completed"), ("approval", "paused"),
        ]

    def test_body_of_ellipsis_always_pauses(self) -> None:
        @interrupt(output_name="d")
        def ask(x: int) -> int | None: ...

        assert run(Graph([ask]), {"x": 1}).paused

    def test_interrupt_without_inputs_has_value_none(self) -> None:
        @interrupt(output_name="d")
        def ask() -> int | None:
            return None

        r = run(Graph([ask]), {})
        assert r.pause.value is None and r.pause.values is None

    def test_multi_input_values(self) -> None:
        @interrupt(output_name="d")
        def ask(question: str, context: int) -> str | None:
            return None

        p = run(Graph([ask]), {"question": "q", "context": 3}).pause
        assert p.value == "q"
        assert p.values == {"question": "q", "context": 3}

    def test_multi_output_pause_and_resume(self) -> None:
        @interrupt(output_name=("a", "b"))
        def ask(x: int) -> Any:
            return None

        @node(output_name="s")
        def total(a: int, b: int) -> int:
            return a + b

        g = Graph([ask, total])
        p = run(g, {"x": 1}).pause
        assert p.output_param == "a"
        assert p.output_params == ("a", "b")
        assert p.response_keys == {"a": "a", "b": "b"}
        # answering only some outputs pauses again
        assert run(g, {"x": 1, "a": 2}).paused
        r = run(g, {"x": 1, "a": 2, "b": 3})
        assert r.completed and r["s"] == 5

    def test_downstream_does_not_start_early_on_answer(self) -> None:
        calls: list[str] = []

        @node(output_name="draft")
        def slow_draft(prompt: str) -> str:
            calls.append("draft")
            return prompt

        @node(output_name="result")
        def use(decision: str, draft: str) -> str:
            calls.append("use")
            return decision + draft

        r = run(Graph([slow_draft, approval, use]), {"prompt": "p", "decision": "d"})
        assert r["result"] == "dp"
        assert calls == ["draft", "use"]
        assert [s.node_name for s in r.log.steps] == ["slow_draft", "approval", "use"]

    def test_sequential_interrupts_pause_one_at_a_time(self) -> None:
        @interrupt(output_name="name")
        def ask_name(greeting: str) -> str | None:
            return None

        @interrupt(output_name="age")
        def ask_age(name: str) -> int | None:
            return None

        @node(output_name="card")
        def card(name: str, age: int) -> str:
            return f"{name} ({age})"

        g = Graph([ask_name, ask_age, card])
        r = run(g, {"greeting": "hi"})
        assert r.pause.node_name == "ask_name" and r.pause.value == "hi"
        r = run(g, {"greeting": "hi", "name": "Ada"})
        assert r.pause.node_name == "ask_age" and r.pause.value == "Ada"
        r = run(g, {"greeting": "hi", "name": "Ada", "age": 36})
        assert r.completed and r["card"] == "Ada (36)"

    def test_independent_interrupts_are_isolated(self) -> None:
        ran: list[str] = []

        @interrupt(output_name="a1")
        def q1(x: int) -> int | None:
            ran.append("q1")
            return None

        @interrupt(output_name="a2")
        def q2(x: int) -> int | None:
            ran.append("q2")
            return None

        @node(output_name="side")
        def side(x: int) -> int:
            ran.append("side")
            return x

        g = Graph([q1, q2, side])
        r = run(g, {"x": 1})
        assert r.pause.node_name == "q1"
        assert ran == ["q1"]  # the other ready nodes do not run in that call
        ran.clear()
        r = run(g, {"x": 1, "a1": 10})
        assert r.pause.node_name == "q2"
        r = run(g, {"x": 1, "a1": 10, "a2": 20})
        assert r.completed and r.values == {"a1": 10, "a2": 20, "side": 1}

    def test_unknown_dotted_key_warns_and_pauses_again(self) -> None:
        with pytest.warns(UserWarning, match="Unknown resume key 'nope.decision'"):
            r = run(APPROVAL, {"prompt": "p", "nope.decision": "x"})
        assert r.paused

    def test_bound_values_feed_interrupts(self) -> None:
        r = run(APPROVAL.bind(prompt="bound"), {})
        assert r.pause.value == "Blog post about: bound"

    def test_interrupt_as_entrypoint_takes_graph_inputs(self) -> None:
        g = Graph([generate_draft, approval, finalize], entrypoint="approval")
        assert g.inputs.required == ("draft",)
        assert run(g, {"draft": "d"}).pause.value == "d"
        assert run(g, {"draft": "d", "decision": "ok"})["result"] == "Published: ok"


# -- handlers --------------------------------------------------------------------------------
class TestHandlers:
    def test_value_auto_resolves(self) -> None:
        @interrupt(output_name="decision")
        def auto(draft: str) -> str:
            return "auto-approved"

        r = run(Graph([generate_draft, auto, finalize]), {"prompt": "p"})
        assert r.completed and r["result"] == "Published: auto-approved"
        assert [s.status for s in r.log.steps] == ["completed"] * 3

    def test_conditional_pause(self) -> None:
        @interrupt(output_name="decision")
        def maybe(draft: str) -> str | None:
            return "auto-approved" if "LGTM" in draft else None

        g = Graph([generate_draft, maybe, finalize])
        assert run(g, {"prompt": "LGTM please"})["result"] == "Published: auto-approved"
        r = run(g, {"prompt": "needs work"})
        assert r.paused and r.pause.node_name == "maybe"

    def test_async_handler(self) -> None:
        @interrupt(output_name="decision")
        async def async_auto(draft: str) -> str:
            await asyncio.sleep(0)
            return "async-approved"

        r = run(Graph([generate_draft, async_auto, finalize]), {"prompt": "p"})
        assert r["result"] == "Published: async-approved"

    def test_async_handler_returning_none_pauses(self) -> None:
        @interrupt(output_name="decision")
        async def async_wait(draft: str) -> str | None:
            await asyncio.sleep(0)
            return None

        assert run(Graph([generate_draft, async_wait, finalize]), {"prompt": "p"}).paused

    def test_handler_receives_original_parameter_names(self) -> None:
        seen: dict[str, Any] = {}

        @interrupt(output_name="d", rename_inputs={"x": "text"})
        def ask(x: str) -> str:
            seen["x"] = x
            return x

        assert run(Graph([ask]), {"text": "hello"})["d"] == "hello"
        assert seen == {"x": "hello"}

    def test_supplied_answer_skips_handler(self) -> None:
        calls: list[str] = []

        @interrupt(output_name="decision")
        def counted(draft: str) -> str:
            calls.append(draft)
            return "handler"

        g = Graph([generate_draft, counted, finalize])
        assert run(g, {"prompt": "p", "decision": "given"})["result"] == "Published: given"
        assert calls == []

    def test_multi_output_dict_result(self) -> None:
        @interrupt(output_name=("a", "b"))
        def ask(x: int) -> dict[str, int]:
            return {"a": x, "b": x + 1}

        assert run(Graph([ask]), {"x": 1}).values == {"a": 1, "b": 2}

    def test_multi_output_dict_with_wrong_keys(self) -> None:
        @interrupt(output_name=("a", "b"))
        def ask(x: int) -> dict[str, int]:
            return {"a": x, "c": 0}

        with pytest.raises(ValueError, match=r"missing \['b'\], extra \['c'\]"):
            run(Graph([ask]), {"x": 1})

    def test_multi_output_non_dict_is_an_error_naming_outputs(self) -> None:
        @interrupt(output_name=("a", "b"))
        def ask(x: int) -> tuple[int, int]:
            return (x, x)

        with pytest.raises(TypeError, match=r"\('a', 'b'\)"):
            run(Graph([ask]), {"x": 1})

    def test_handler_exception_is_wrapped_and_chained(self) -> None:
        @interrupt(output_name="decision")
        def n(draft: str) -> str:
            raise KeyError("no reviewer")

        with pytest.raises(RuntimeError) as ei:
            run(Graph([generate_draft, n, finalize]), {"prompt": "p"})
        assert str(ei.value) == "Handler for InterruptNode 'n' failed: KeyError: 'no reviewer'"
        assert isinstance(ei.value.__cause__, KeyError)

    def test_async_handler_exception_is_wrapped(self) -> None:
        @interrupt(output_name="decision")
        async def n(draft: str) -> str:
            raise ValueError("bad")

        with pytest.raises(RuntimeError, match="Handler for InterruptNode 'n' failed: ValueError: bad"):
            run(Graph([generate_draft, n]), {"prompt": "p"})

    def test_handler_exception_with_continue(self) -> None:
        @interrupt(output_name="decision")
        def n(draft: str) -> str:
            raise ValueError("bad")

        r = run(Graph([generate_draft, n, finalize]), {"prompt": "p"}, error_handling="continue")
        assert r.failed and isinstance(r.error, RuntimeError)
        assert isinstance(r.error.__cause__, ValueError)
        assert r.values == {"draft": "Blog post about: p"}
        assert r.log.steps[-1].status == "failed"

    def test_emit_written_when_resolved(self) -> None:
        @interrupt(output_name="decision", emit="reviewed")
        def review(draft: str) -> str | None:
            return None

        @node(output_name="audit", wait_for="reviewed")
        def log_review(draft: str) -> str:
            return f"reviewed: {draft}"

        g = Graph([generate_draft, review, log_review])
        r = run(g, {"prompt": "p"})
        assert r.paused and "audit" not in r.values
        r = run(g, {"prompt": "p", "decision": "ok"})
        assert r["audit"] == "reviewed: Blog post about: p"
        assert "reviewed" not in r.values

    def test_interrupt_waits_for_signal(self) -> None:
        @node(output_name="draft", emit="drafted")
        def draft_it(prompt: str) -> str:
            return prompt

        @interrupt(output_name="decision", wait_for="drafted")
        def ask() -> str | None:
            return None

        r = run(Graph([draft_it, ask]), {"prompt": "p"})
        assert r.paused and r.values == {"draft": "p"}
