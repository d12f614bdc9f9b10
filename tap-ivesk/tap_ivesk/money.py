"""Exact minor-unit fields beside Įvesk's decimal amounts (the originals are kept as sent)."""

from __future__ import annotations

import logging
import typing as t

from tapkit.money import as_decimal, to_minor

LOGGER = logging.getLogger("tap-ivesk")
DOCUMENT_AMOUNTS = ("subtotal", "vat", "total")
LINE_AMOUNTS = ("subtotal", "vat", "total")


def _exact(value: t.Any) -> t.Any:
    """Numeric strings (a tolerated variant) become exact decimals; numbers stay as they are."""
    if isinstance(value, str) and value.strip():
        parsed = as_decimal(value.strip().replace(",", "."))
        return value if parsed is None else parsed
    return value


def _minor(row: dict, field: str, currency: str | None, where: str) -> None:
    row[field] = _exact(row.get(field))
    try:
        row[f"{field}Minor"] = to_minor(row.get(field), currency)
    except ValueError as exc:
        LOGGER.warning("%s: %s; %sMinor left empty", where, exc, field)
        row[f"{field}Minor"] = None


def add_minor_units(doc: dict) -> None:
    currency = doc.get("currency")
    where = f"document {doc.get('id')}"
    for field in DOCUMENT_AMOUNTS:
        _minor(doc, field, currency, where)
    for line in doc.get("lines") or []:
        if isinstance(line, dict):
            for field in LINE_AMOUNTS:
                _minor(line, field, currency, f"{where} line {line.get('lineid')}")
            for field in ("price", "quantity", "vatpercent"):
                line[field] = _exact(line.get(field))
