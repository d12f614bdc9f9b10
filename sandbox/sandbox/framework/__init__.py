"""What every provider emulator shares: fault injection, request log, rate limiter, admin endpoints,
deterministic data helpers, a tiny PDF writer, JSON helpers, offset paging over generated streams and the
in-thread server runner (``from sandbox.framework.server import serve_in_thread``)."""
