"""Every place where the emulators or the taps knowingly differ from the published contract, with the reason.

The contract tests (``tests/contract/``) fail on any other difference, and on a deviation here that no
longer happens (so this list cannot go stale). The emulators' request validation honours the list too.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

if t.TYPE_CHECKING:
    from . import ContractError


@dataclasses.dataclass(frozen=True)
class Deviation:
    provider: str
    operation: str  # "GET /v3/export-jobs" as in the contract file
    part: str  # "request" | "response"
    match: str  # regex searched in "<location>: <message>"
    reason: str

    def covers(self, error: ContractError) -> bool:
        return (error.provider, error.operation, error.part) == (
            self.provider,
            self.operation,
            self.part,
        ) and re.search(self.match, f"{error.location}: {error.message}") is not None


DEVIATIONS: list[Deviation] = [
    Deviation(
        "candis",
        "GET /v1/organizations/{organizationId}/files/{fileId}",
        "response",
        r"^status 200: content type application/(pdf|xml) ",
        "The document gives `application/json` (a binary string) for the file download, but the operation returns "
        "the file itself (its own summary: download a file); the emulator serves the PDF or XML e-invoice bytes "
        "with their own content type, as Candis does (api-notes/candis.md).",
    ),
]
