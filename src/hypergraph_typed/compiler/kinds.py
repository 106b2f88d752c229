"""The small integer codes a plan uses, so the interpreter dispatches without name lookups."""

# Node kinds the interpreter dispatches on.
FUNCTION, GATE, GRAPH, INTERRUPT, UNKNOWN = 0, 1, 2, 3, 4
KIND_NAMES = ("function", "gate", "graph", "interrupt", "unknown")

# How a missing input is filled: nothing, a shared constant, or a fresh deep copy.
NO_FALLBACK, CONSTANT, DEEPCOPY = 0, 1, 2
# A default that cannot be deep-copied: the fallback value holds the error message.
UNCOPYABLE = 3
