"""Local stand-ins for the outside world: feed servers and webhook receivers.

Used by `make demo` and by the integration tests; they are real HTTP servers on
127.0.0.1, never mocks.
"""
