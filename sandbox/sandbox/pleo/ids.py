"""UUID-shaped ids that encode what they name, so the emulator can decode them instead of keeping tables.

``{seedpart:08x}-{company:04x}-4{kind:03x}-8000-{n:012x}``: a per-seed prefix, the company index, the kind
(accounting entry, history job, created job, line, receipt, reference data) and a number.
"""

from __future__ import annotations

import hashlib
import re

ENTRY, HISTORY_JOB, CREATED_JOB, LINE, RECEIPT = 0x100, 0x101, 0x102, 0x103, 0x104
_ID = re.compile(r"^([0-9a-f]{8})-([0-9a-f]{4})-4([0-9a-f]{3})-8000-([0-9a-f]{12})$")


def seed_part(seed: int) -> str:
    return hashlib.blake2b(f"pleo:{seed}".encode(), digest_size=4).hexdigest()


def make(seed: int, company: int, kind: int, n: int) -> str:
    return f"{seed_part(seed)}-{company:04x}-4{kind:03x}-8000-{n:012x}"


def decode(seed: int, value: str, kind: int) -> tuple[int, int] | None:
    """(company index, number) of an id of ``kind`` made with ``seed``, else None."""
    m = _ID.match(value or "")
    if m is None or m.group(1) != seed_part(seed) or int(m.group(3), 16) != kind:
        return None
    return int(m.group(2), 16), int(m.group(4), 16)


def ref_id(seed: int, company: int, kind: int, n: int) -> str:
    return make(seed, company, kind, n)
