"""Stream building blocks the taps share beyond HTTP (see `tapkit.http` for the request policy)."""

from __future__ import annotations

import typing as t


class OncePerParentChild:
    """Mixed in (before the base stream) into a child stream that is synced once per parent record.

    No state per parent: it would grow by one entry per export, job or document forever. No
    ACTIVATE_VERSION: a new table version per parent would make a target drop the rows of every other parent.
    """

    state_partitioning_keys: t.ClassVar[list[str]] = []

    @property
    def emit_activate_version_messages(self) -> bool:
        return False
