"""One module per provider: how to benchmark its tap. Each module defines

- ``PROVIDER``: the sandbox provider name (``sandbox serve --providers NAME``),
- ``TAP``: the tap executable,
- ``STREAMS``: streams to measure by default,
- ``config(url, workdir) -> dict``: tap config against a sandbox at ``url`` (the harness adds
  ``max_requests_per_minute: 0``),
- ``selected(stream) -> set[str]``: streams to select to get ``stream`` (parents included),
- optionally ``SANDBOX_ARGS``: extra ``sandbox serve`` flags,
- ``baseline(url, stream, out) -> (records, requests)``: the bare requests+json loop, writing one JSON line per
  record to ``out``.
"""

from __future__ import annotations

import importlib

NAMES = ("candis", "pleo", "findity", "ivesk")

#: The streams each provider's ``baseline`` reads (what ``benchmarks.run --streams`` accepts); its ``STREAMS``
#: are the ones measured by default.
MEASURABLE = {
    "candis": ("postings", "reimbursement_items", "invoices", "purchase_requests"),
    "pleo": ("accounting_entries", "export_job_items", "export_items"),
    "findity": ("voucher_rows", "vouchers"),
    "ivesk": ("documents",),
}


def load(name: str):
    return importlib.import_module(f"benchmarks.providers.{name}")
