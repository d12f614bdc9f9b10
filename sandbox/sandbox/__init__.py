"""Local emulators of accounting export APIs, for tests, demos and benchmarks.

``sandbox.framework`` holds what every emulator shares (fault injection, request log, rate limiter,
admin endpoints, deterministic data helpers, the in-thread server runner); one sub-package per provider
(``sandbox.candis``, ...) holds the emulator itself.
"""

__version__ = "0.1.0"
