"""The interpreter core shared by both runners: scheduler and node-call helpers."""
