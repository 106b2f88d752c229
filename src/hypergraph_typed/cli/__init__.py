"""The ``hypergraph-typed`` command: inspect the runs and steps of a checkpoint database."""

from hypergraph_typed.cli.app import main

__all__ = ["main"]
