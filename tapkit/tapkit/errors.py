"""User-facing errors: one line that says what is wrong and what to do, no traceback."""

from __future__ import annotations

import contextlib
import logging
import sys
import typing as t

from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

if t.TYPE_CHECKING:
    from collections.abc import Iterator


class TapError(Exception):
    """An error the user can act on; printed as a single line."""


class ResponseFormatError(FatalAPIError):
    """The provider answered with a body we cannot interpret (HTML, truncated JSON, missing keys)."""


def one_line(exc: BaseException) -> str:
    """Render an exception as one line (first line of its message, no traceback)."""
    if isinstance(exc, ConfigValidationError):
        details = "; ".join(str(e) for e in (exc.errors or [])) or str(exc)
        return f"invalid configuration: {details}"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


@contextlib.contextmanager
def one_line_errors(tap_name: str) -> Iterator[None]:
    """Turn any exception escaping a tap run into one stderr line and exit status 1."""
    try:
        yield
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:
        logging.getLogger(tap_name).debug("Error details", exc_info=True)
        sys.stderr.write(f"{tap_name}: error: {one_line(exc)}\n")
        sys.stderr.flush()
        raise SystemExit(1) from None
