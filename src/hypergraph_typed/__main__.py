"""``python -m hypergraph_typed``: the same command line as the ``hypergraph-typed`` script."""

from hypergraph_typed.cli.app import main

if __name__ == "__main__":
    raise SystemExit(main())
