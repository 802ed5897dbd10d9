"""Use cases: each pipeline stage as a function over ports, called by thin jobs."""
