"""``GraphConfigError``: raised when a graph cannot be built or compiled."""


class GraphConfigError(Exception):
    """The graph's declaration is invalid; the message names the nodes/values and the fix."""
