"""Spec 02: edges and wiring — auto-wiring, explicit edges, shadow elimination, shared state."""

from __future__ import annotations

from typing import Any

import pytest

from hypergraph_typed import END, Graph, GraphConfigError, ifelse, node, route


def edge_map(g: Graph) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """``{(src, dst): (kind, value_names)}`` for every edge of ``g``."""
    s = g.structure
    return {
        (s.nodes[e.src].name, s.nodes[e.dst].name): (e.kind, e.value_names) for e in s.edges
    }


# ---------------------------------------------------------------------------
# small nodes


@node(output_name="y")
def make_y(x: int) -> int:
    return x + 1


@node(output_name="z")
def make_z(y: int) -> int:
    return y * 2


@node(output_name="out")
def combine(y: int, z: int) -> int:
    return y + z


# ---------------------------------------------------------------------------
# automatic wiring


class TestAutoWiring:
    def test_chain_is_wired_by_name(self) -> None:
        g = Graph([make_y, make_z])
        assert edge_map(g) == {("make_y", "make_z"): ("data", ("y",))}
        assert g.inputs.required == ("x",)

    def test_node_order_in_list_does_not_change_wiring(self) -> None:
        g = Graph([make_z, make_y])
        assert edge_map(g) == {("make_y", "make_z"): ("data", ("y",))}
        assert list(g.nodes) == ["make_z", "make_y"]

    def test_one_edge_per_pair_merges_value_names(self) -> None:
        @node(output_name=("y", "z"))
        def both(x: int) -> tuple[int, int]:
            return x, x

        g = Graph([both, combine])
        assert edge_map(g) == {("both", "combine"): ("data", ("y", "z"))}

    def test_fan_out_and_fan_in(self) -> None:
        g = Graph([make_y, make_z, combine])
        assert edge_map(g) == {
            ("make_y", "make_z"): ("data", ("y",)),
            ("make_y", "combine"): ("data", ("y",)),
            ("make_z", "combine"): ("data", ("z",)),
        }

    def test_unconnected_nodes_have_no_edges(self) -> None:
        @node(output_name="b")
        def other(a: int) -> int:
            return a

        g = Graph([make_y, other])
        assert edge_map(g) == {}
        assert g.inputs.required == ("x", "a")

    def test_self_loop_when_node_consumes_its_own_output(self) -> None:
        @node(output_name="count")
        def increment(count: int) -> int:
            return count + 1

        g = Graph([increment], entrypoint="increment")
        assert edge_map(g) == {("increment", "increment"): ("data", ("count",))}
        assert g.has_cycles


# ---------------------------------------------------------------------------
# edge kinds


class TestEdgeKinds:
    def test_gate_to_target_is_control_edge(self) -> None:
        @ifelse(when_true="big", when_false=END)
        def is_big(y: int) -> bool:
            return y > 10

        @node(output_name="b")
        def big(x: int) -> int:
            return x

        g = Graph([make_y, is_big, big])
        edges = edge_map(g)
        assert edges[("is_big", "big")] == ("control", ())
        assert edges[("make_y", "is_big")] == ("data", ("y",))

    def test_wait_for_creates_ordering_edge(self) -> None:
        @node(output_name="a", emit="a_done")
        def first(x: int) -> int:
            return x

        @node(output_name="b", wait_for="a_done")
        def second(x: int) -> int:
            return x

        g = Graph([first, second])
        assert edge_map(g) == {("first", "second"): ("ordering", ())}

    def test_wait_for_on_a_data_output_creates_ordering_edge(self) -> None:
        @node(output_name="b", wait_for="y")
        def after_y(x: int) -> int:
            return x

        g = Graph([make_y, after_y])
        assert edge_map(g) == {("make_y", "after_y"): ("ordering", ())}

    def test_ordering_not_added_when_pair_already_has_data_edge(self) -> None:
        @node(output_name="y", emit="y_done")
        def first(x: int) -> int:
            return x

        @node(output_name="z", wait_for="y_done")
        def second(y: int) -> int:
            return y

        g = Graph([first, second])
        assert edge_map(g) == {("first", "second"): ("data", ("y",))}

    def test_control_not_added_when_pair_already_has_data_edge(self) -> None:
        @route(targets=["consume", END], emit="sig")
        def decide(x: int) -> str:
            return "consume"

        @node(output_name="r", wait_for="sig")
        def consume(_decide: Any) -> Any:
            return _decide

        g = Graph([decide, consume])
        assert edge_map(g) == {("decide", "consume"): ("data", ("_decide",))}

    def test_wait_for_cycle_is_two_ordering_edges(self) -> None:
        @node(output_name="b", emit="tick", wait_for="tock")
        def one(x: int) -> int:
            return x

        @node(output_name="c", emit="tock", wait_for="tick")
        def two(x: int) -> int:
            return x

        g = Graph([one, two], entrypoint="one")
        assert edge_map(g) == {
            ("one", "two"): ("ordering", ()),
            ("two", "one"): ("ordering", ()),
        }
        assert g.has_cycles


# ---------------------------------------------------------------------------
# explicit edges


@node(output_name=("y", "w"))
def source(x: int) -> tuple[int, int]:
    return x, x


@node(output_name="z")
def sink(w: int, y: int) -> int:
    return w + y


class TestExplicitEdges:
    def test_two_tuple_carries_shared_names_in_dst_order(self) -> None:
        g = Graph([source, sink], edges=[("source", "sink")])
        assert edge_map(g) == {("source", "sink"): ("data", ("w", "y"))}

    def test_edges_accept_node_objects(self) -> None:
        g = Graph([source, sink], edges=[(source, sink)])
        assert edge_map(g) == {("source", "sink"): ("data", ("w", "y"))}

    def test_three_tuple_with_str_value(self) -> None:
        g = Graph([source, sink], edges=[("source", "sink", "y")])
        assert edge_map(g) == {("source", "sink"): ("data", ("y",))}
        # 'w' is not carried, so it becomes a graph input
        assert g.inputs.required == ("x", "w")

    def test_three_tuple_with_list_of_values(self) -> None:
        g = Graph([source, sink], edges=[(source, "sink", ["y", "w"])])
        assert edge_map(g) == {("source", "sink"): ("data", ("y", "w"))}

    def test_explicit_edges_turn_off_auto_wiring(self) -> None:
        g = Graph([make_y, make_z, combine], edges=[("make_y", "make_z")])
        assert edge_map(g) == {("make_y", "make_z"): ("data", ("y",))}
        # 'y' travels on an edge in scope, so it is not an input even for 'combine'
        assert g.inputs.required == ("x", "z")

    def test_two_tuple_with_nothing_in_common_is_ordering_edge(self) -> None:
        @node(output_name="b")
        def other(a: int) -> int:
            return a

        g = Graph([make_y, other], edges=[("make_y", "other")])
        assert edge_map(g) == {("make_y", "other"): ("ordering", ())}

    def test_three_tuple_with_empty_list_is_ordering_edge(self) -> None:
        g = Graph([make_y, make_z], edges=[("make_y", "make_z", [])])
        assert edge_map(g) == {("make_y", "make_z"): ("ordering", ())}

    def test_control_and_wait_for_edges_still_added(self) -> None:
        @route(targets=["big", END])
        def decide(y: int) -> str:
            return "big"

        @node(output_name="b", emit="b_done")
        def big(y: int) -> int:
            return y

        @node(output_name="c", wait_for="b_done")
        def after(x: int) -> int:
            return x

        g = Graph(
            [make_y, decide, big, after],
            edges=[("make_y", "decide"), ("make_y", "big")],
        )
        assert edge_map(g) == {
            ("make_y", "decide"): ("data", ("y",)),
            ("make_y", "big"): ("data", ("y",)),
            ("decide", "big"): ("control", ()),
            ("big", "after"): ("ordering", ()),
        }

    @pytest.mark.parametrize(
        "item", [("make_y",), ("make_y", "make_z", "y", "extra"), ["make_y", "make_z"], "make_y"]
    )
    def test_bad_item_shape(self, item: Any) -> None:
        with pytest.raises(GraphConfigError, match=r"\(src, dst\)") as exc:
            Graph([make_y, make_z], edges=[item])
        assert repr(item) in str(exc.value)

    def test_unknown_source_node(self) -> None:
        with pytest.raises(GraphConfigError, match=r"unknown node 'ghost'"):
            Graph([make_y, make_z], edges=[("ghost", "make_z")])

    def test_unknown_destination_node(self) -> None:
        with pytest.raises(GraphConfigError, match=r"unknown node 'ghost'"):
            Graph([make_y, make_z], edges=[("make_y", "ghost")])

    def test_node_object_not_in_graph(self) -> None:
        with pytest.raises(GraphConfigError, match=r"unknown node 'combine'"):
            Graph([make_y, make_z], edges=[(make_y, combine)])

    def test_value_not_an_output_of_src(self) -> None:
        with pytest.raises(GraphConfigError, match=r"'make_y', 'make_z'.*carries 'x'"):
            Graph([make_y, make_z], edges=[("make_y", "make_z", "x")])

    def test_value_not_an_input_of_dst(self) -> None:
        with pytest.raises(GraphConfigError, match=r"carries 'w'.*input of 'make_z'") as exc:
            Graph([source, make_z, sink], edges=[("source", "make_z", "w")])
        assert "'source'" in str(exc.value)

    def test_non_str_value(self) -> None:
        with pytest.raises(GraphConfigError, match=r"carries 3"):
            Graph([make_y, make_z], edges=[("make_y", "make_z", [3])])

    def test_edges_must_be_a_list(self) -> None:
        with pytest.raises(GraphConfigError, match="edges"):
            Graph([make_y, make_z], edges="make_y->make_z")  # type: ignore[arg-type]

    def test_any_declared_path_orders_producers(self) -> None:
        """With explicit edges an edge carrying only the contested value orders producers."""

        @node(output_name="v")
        def first() -> int:
            return 1

        @node(output_name="v")
        def refine(v: int) -> int:
            return v + 1

        @node(output_name="done")
        def use(v: int) -> int:
            return v

        g = Graph([first, refine, use], edges=[("first", "refine"), ("refine", "use")])
        assert edge_map(g) == {
            ("first", "refine"): ("data", ("v",)),
            ("refine", "use"): ("data", ("v",)),
        }
        assert not g.has_cycles

    def test_auto_wiring_ignores_edges_carrying_only_the_contested_value(self) -> None:
        """The same nodes auto-wired: the first->refine edge carries only 'v', so no order."""

        @node(output_name="v")
        def first() -> int:
            return 1

        @node(output_name="v")
        def refine(v: int) -> int:
            return v + 1

        @node(output_name="done")
        def use(v: int) -> int:
            return v

        with pytest.raises(GraphConfigError, match=r"Multiple nodes produce 'v'") as exc:
            Graph([first, refine, use], entrypoint="first")
        assert "'first'" in str(exc.value) and "'refine'" in str(exc.value)


# ---------------------------------------------------------------------------
# shadow elimination and competing producers


class TestShadowElimination:
    def test_spec_example_emit_wait_for(self) -> None:
        @node(output_name="r", emit="d")
        def q1(x: int) -> int:
            return x

        @node(output_name="r", wait_for="d")
        def q2(x: int) -> int:
            return x * 2

        @node(output_name="final")
        def consumer(r: int) -> int:
            return r

        g = Graph([q1, q2, consumer])
        edges = edge_map(g)
        assert edges == {
            ("q1", "q2"): ("ordering", ()),
            ("q2", "consumer"): ("data", ("r",)),
        }
        assert ("q1", "consumer") not in edges
        assert g.inputs.required == ("x",)

    def test_ordered_producers_via_data_path(self) -> None:
        """``a`` feeds ``b`` (via 't'); both produce 'r'; consumer reads r only from b."""

        @node(output_name=("r", "t"))
        def a(x: int) -> tuple[int, int]:
            return x, x

        @node(output_name="r")
        def b(t: int) -> int:
            return t

        @node(output_name="final")
        def consumer(r: int) -> int:
            return r

        g = Graph([a, b, consumer])
        assert edge_map(g) == {
            ("a", "b"): ("data", ("t",)),
            ("b", "consumer"): ("data", ("r",)),
        }

    def test_loop_back_through_producer_is_not_another_path(self) -> None:
        """``u`` sits on a loop with ``w``; its only other route to ``v`` passes ``u2``.

        The walk u -> w -> u -> v reuses the direct edge, so it is not another path:
        ``u`` is shadowed by ``u2`` and ``v`` reads 'p' from ``u2`` only.
        """

        @node(output_name=("p", "a", "b"))
        def u(c: int, x: int) -> tuple[int, int, int]:
            return x, x, x

        @node(output_name="c")
        def w(b: int) -> int:
            return b

        @node(output_name="p")
        def u2(a: int) -> int:
            return a

        @node(output_name="final")
        def v(p: int) -> int:
            return p

        g = Graph([u, w, u2, v], entrypoint="u")
        edges = edge_map(g)
        assert ("u", "v") not in edges
        assert edges[("u2", "v")] == ("data", ("p",))

    def test_all_candidates_shadowed_is_competing_error(self) -> None:
        """u1 and u2 each reach the consumer only through the other: none survives."""

        @node(output_name=("x", "w"))
        def u1(z: int) -> tuple[int, int]:
            return z, z

        @node(output_name=("x", "z"))
        def u2(w: int) -> tuple[int, int]:
            return w, w

        @node(output_name="final")
        def consumer(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match=r"Input 'x' on node 'consumer' has 2 competing producers") as exc:
            Graph([u1, u2, consumer], entrypoint="u1")
        msg = str(exc.value)
        assert "'u1'" in msg and "'u2'" in msg
        assert "edges" in msg and "wait_for" in msg

    def test_consumer_on_cycle_with_two_outside_producers(self) -> None:
        @node(output_name="x")
        def seed() -> int:
            return 0

        @node(output_name="y")
        def step(x: int) -> int:
            return x + 1

        @node(output_name="x")
        def back(y: int) -> int:
            return y

        with pytest.raises(GraphConfigError, match=r"Input 'x' on node 'step' has 2 competing producers") as exc:
            Graph([seed, step, back], entrypoint="seed")
        assert "'seed'" in str(exc.value) and "'back'" in str(exc.value)

    def test_gate_consumer_ignores_paths_through_own_targets(self) -> None:
        """``init`` reaches the gate only through the gate's own target ``refine``.

        For a gate that path does not count, so the gate reads 'draft' from both
        ``init`` (first visit) and ``refine`` (later visits).
        """

        @node(output_name=("draft", "meta"))
        def init(prompt: str) -> tuple[str, str]:
            return prompt, "m"

        @node(output_name="draft")
        def refine(draft: str, meta: str) -> str:
            return draft + meta

        @route(targets=["refine", END])
        def check(draft: str) -> Any:
            return END

        g = Graph([init, refine, check], entrypoint="init")
        edges = edge_map(g)
        assert edges[("init", "check")] == ("data", ("draft",))
        assert edges[("refine", "check")] == ("data", ("draft",))
        assert edges[("check", "refine")] == ("control", ())
        assert edges[("init", "refine")] == ("data", ("draft", "meta"))
        assert g.has_cycles

    def test_plain_consumer_drops_producer_shadowed_by_later_producer(self) -> None:
        """The same shape with a plain consumer: ``init`` is shadowed by ``refine``."""

        @node(output_name=("draft", "meta"))
        def init(prompt: str) -> tuple[str, str]:
            return prompt, "m"

        @node(output_name="draft")
        def refine(meta: str) -> str:
            return meta

        @node(output_name="final")
        def publish(draft: str) -> str:
            return draft

        g = Graph([init, refine, publish])
        edges = edge_map(g)
        assert ("init", "publish") not in edges
        assert edges[("refine", "publish")] == ("data", ("draft",))


# ---------------------------------------------------------------------------
# several producers of one output


@node(output_name="x0")
def start(x: int) -> int:
    return x


class TestMultipleProducers:
    def test_unordered_producers_error(self) -> None:
        @node(output_name="r")
        def a(x: int) -> int:
            return x

        @node(output_name="r")
        def b(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match=r"Multiple nodes produce 'r'") as exc:
            Graph([a, b])
        msg = str(exc.value)
        assert "'a'" in msg and "'b'" in msg
        assert "shared" in msg

    def test_unordered_producers_error_with_consumer(self) -> None:
        @node(output_name="r")
        def a(x: int) -> int:
            return x

        @node(output_name="r")
        def b(x: int) -> int:
            return x

        @node(output_name="final")
        def c(r: int) -> int:
            return r

        with pytest.raises(GraphConfigError, match=r"Multiple nodes produce 'r'"):
            Graph([a, b, c])

    def test_ifelse_branches_are_exclusive(self) -> None:
        @ifelse(when_true="left", when_false="right")
        def pick(x: int) -> bool:
            return x > 0

        @node(output_name="r")
        def left(x: int) -> int:
            return x

        @node(output_name="r")
        def right(x: int) -> int:
            return -x

        @node(output_name="final")
        def after(r: int) -> int:
            return r

        g = Graph([pick, left, right, after])
        edges = edge_map(g)
        assert edges[("left", "after")] == ("data", ("r",))
        assert edges[("right", "after")] == ("data", ("r",))

    def test_ifelse_branch_includes_nodes_reachable_only_through_target(self) -> None:
        @ifelse(when_true="left", when_false="right")
        def pick(x: int) -> bool:
            return x > 0

        @node(output_name="lx")
        def left(x: int) -> int:
            return x

        @node(output_name="r")
        def left_tail(lx: int) -> int:
            return lx

        @node(output_name="r")
        def right(x: int) -> int:
            return -x

        g = Graph([pick, left, left_tail, right])
        assert set(g.nodes) == {"pick", "left", "left_tail", "right"}

    def test_merge_node_outside_branches_is_ordered_after_left(self) -> None:
        @ifelse(when_true="left", when_false="right")
        def pick(x: int) -> bool:
            return x > 0

        @node(output_name=("r", "lv"))
        def left(x: int) -> tuple[int, int]:
            return x, x

        @node(output_name="rv")
        def right(x: int) -> int:
            return -x

        @node(output_name="r")
        def merge(lv: int, rv: int) -> int:
            return lv

        # 'merge' is reachable from both branches, so it is in neither; with
        # 'left' it forms an unordered pair only if no path connects them, but
        # left -> merge (lv) orders them.
        g = Graph([pick, left, right, merge])
        assert ("left", "merge") in edge_map(g)

    def test_single_target_route_branches_are_exclusive(self) -> None:
        @route(targets=["fast", "slow", END])
        def choose(x: int) -> str:
            return "fast"

        @node(output_name="r")
        def fast(x: int) -> int:
            return x

        @node(output_name="r")
        def slow(x: int) -> int:
            return x

        g = Graph([choose, fast, slow])
        assert g.controlled_by == {"fast": ["choose"], "slow": ["choose"]}

    def test_multi_target_route_branches_are_not_exclusive(self) -> None:
        @route(targets=["fast", "slow"], multi_target=True)
        def choose(x: int) -> list[str]:
            return ["fast", "slow"]

        @node(output_name="r")
        def fast(x: int) -> int:
            return x

        @node(output_name="r")
        def slow(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match=r"'r'") as exc:
            Graph([choose, fast, slow])
        assert "'fast'" in str(exc.value) and "'slow'" in str(exc.value)

    def test_producers_under_different_gates_are_not_exclusive(self) -> None:
        @ifelse(when_true="a", when_false=END)
        def g1(x: int) -> bool:
            return True

        @ifelse(when_true="b", when_false=END)
        def g2(x: int) -> bool:
            return True

        @node(output_name="r")
        def a(x: int) -> int:
            return x

        @node(output_name="r")
        def b(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match=r"Multiple nodes produce 'r'"):
            Graph([g1, g2, a, b])

    def test_ordered_by_emit_wait_for(self) -> None:
        @node(output_name="r", emit="a_done")
        def a(x: int) -> int:
            return x

        @node(output_name="r", wait_for="a_done")
        def b(x: int) -> int:
            return x

        g = Graph([a, b])
        assert edge_map(g) == {("a", "b"): ("ordering", ())}

    def test_ordered_through_an_intermediate_node(self) -> None:
        @node(output_name=("r", "m"))
        def a(x: int) -> tuple[int, int]:
            return x, x

        @node(output_name="n")
        def mid(m: int) -> int:
            return m

        @node(output_name="r")
        def b(n: int) -> int:
            return n

        g = Graph([a, mid, b])
        assert set(edge_map(g)) == {("a", "mid"), ("mid", "b")}


# ---------------------------------------------------------------------------
# shared state


@node(output_name="messages")
def add_user(messages: list[str], text: str) -> list[str]:
    return [*messages, text]


@node(output_name="messages")
def add_bot(messages: list[str]) -> list[str]:
    return [*messages, "bot"]


class TestShared:
    def test_several_producers_allowed_and_no_data_edges(self) -> None:
        g = Graph([add_user, add_bot], shared=["messages"], edges=[("add_user", "add_bot")])
        assert edge_map(g) == {("add_user", "add_bot"): ("ordering", ())}
        assert g.shared == ("messages",)

    def test_shared_accepts_a_single_name(self) -> None:
        g = Graph([add_user, add_bot], shared="messages", edges=[("add_user", "add_bot")])
        assert g.shared == ("messages",)

    def test_shared_name_consumed_is_required_input(self) -> None:
        g = Graph([add_user, add_bot], shared=["messages"], edges=[("add_user", "add_bot")])
        assert g.inputs.required == ("messages", "text")

    def test_shared_name_bound_is_optional(self) -> None:
        g = Graph([add_user, add_bot], shared=["messages"], edges=[("add_user", "add_bot")])
        bound = g.bind(messages=[])
        assert bound.inputs.required == ("text",)
        assert bound.inputs.optional == ("messages",)

    def test_shared_name_defaulted_is_optional(self) -> None:
        @node(output_name="log", emit="w_done")
        def writer(log: str = "") -> str:
            return log + "w"

        @node(output_name="log", wait_for="w_done")
        def writer2(x: int) -> str:
            return str(x)

        g = Graph([writer, writer2], shared=["log"])
        assert g.inputs.optional == ("log",)
        assert g.inputs.required == ("x",)

    def test_other_names_still_auto_wired(self) -> None:
        @node(output_name=("messages", "topic"))
        def open_chat(messages: list[str]) -> tuple[list[str], str]:
            return messages, "t"

        @node(output_name="messages")
        def reply(messages: list[str], topic: str) -> list[str]:
            return messages

        g = Graph([open_chat, reply], shared=["messages"])
        assert edge_map(g) == {("open_chat", "reply"): ("data", ("topic",))}

    def test_explicit_edges_are_added_to_auto_edges(self) -> None:
        @node(output_name=("messages", "topic"))
        def open_chat(messages: list[str]) -> tuple[list[str], str]:
            return messages, "t"

        @node(output_name="messages")
        def reply(messages: list[str], topic: str) -> list[str]:
            return messages

        @node(output_name="messages")
        def close(messages: list[str]) -> list[str]:
            return messages

        g = Graph([open_chat, reply, close], shared=["messages"], edges=[("reply", "close")])
        assert edge_map(g) == {
            ("open_chat", "reply"): ("data", ("topic",)),
            ("reply", "close"): ("ordering", ()),
        }

    def test_explicit_three_tuple_of_only_shared_names_is_ordering(self) -> None:
        g = Graph(
            [add_user, add_bot], shared=["messages"],
            edges=[("add_user", "add_bot", "messages")],
        )
        assert edge_map(g) == {("add_user", "add_bot"): ("ordering", ())}

    def test_ordering_by_wait_for_connects(self) -> None:
        @node(output_name="messages", emit="user_done")
        def user(messages: list[str]) -> list[str]:
            return messages

        @node(output_name="messages", wait_for="user_done")
        def bot(messages: list[str]) -> list[str]:
            return messages

        g = Graph([user, bot], shared=["messages"])
        assert edge_map(g) == {("user", "bot"): ("ordering", ())}

    def test_unknown_shared_name(self) -> None:
        with pytest.raises(GraphConfigError, match=r"Shared value 'msgs' is produced by no node") as exc:
            Graph([add_user, add_bot], shared=["msgs"], edges=[("add_user", "add_bot")])
        assert "'messages'" in str(exc.value)

    def test_shared_name_that_is_only_an_input_is_unknown(self) -> None:
        with pytest.raises(GraphConfigError, match=r"'text'"):
            Graph([add_user, add_bot], shared=["text"], edges=[("add_user", "add_bot")])

    def test_disconnected_islands(self) -> None:
        with pytest.raises(
            GraphConfigError, match=r"disconnected after auto-wiring with shared=\['messages'\]"
        ) as exc:
            Graph([add_user, add_bot], shared=["messages"])
        msg = str(exc.value)
        assert "['add_user']" in msg and "['add_bot']" in msg

    def test_disconnected_islands_lists_multi_node_islands(self) -> None:
        with pytest.raises(GraphConfigError, match="disconnected") as exc:
            Graph([add_user, add_bot, make_y, make_z], shared=["messages"])
        g_err = str(exc.value)
        assert "['make_y', 'make_z']" in g_err
        assert "['add_user']" in g_err and "['add_bot']" in g_err

    def test_no_connectivity_check_without_shared(self) -> None:
        @node(output_name="b")
        def other(a: int) -> int:
            return a

        g = Graph([make_y, other])
        assert len(g.nodes) == 2
