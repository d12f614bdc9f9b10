"""The eight voucher output formats (``verificationListsType``) over one set of reports.

``X_PER_Y``: one voucher per X, rows per Y. Accounting formats book each expense as a DEBIT row (expense
account, net; salary code for mileage/per diem), a VAT row (VAT account, when the expense carries VAT) and a
CREDIT row (the employee liability account, minus the gross). ``amount`` is signed (debit +, credit -), so an
accounting voucher sums to 0; ``taxAmount`` is the VAT a row books (VAT rows) or contains (payment rows), so
SUM(taxAmount) is the export's VAT in every format. Payment formats (``*_PAID``) have one PAYMENT row per
report / user / expense with the gross to pay. [I] for the row fields beyond amount, taxAmount, account,
dimension, text and expenseRecordId: ``type``, ``taxPercent``, ``salaryCode``, ``expenseReportId``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..framework.money import number
from .config import ACCOUNTING_FORMATS
from .expenses import CATEGORIES, COUNTRY, ExpenseData, Report

PER_REPORT = ("REPORT_PER_EXPENSE", "REPORT_PER_ACCOUNT", "REPORT_PER_REPORT_PAID", "REPORT_PER_EXPENSE_PAID")
PER_USER = ("USER_PER_EXPENSE", "USER_PER_ACCOUNT", "USER_PER_REPORT_PAID")
AGGREGATED = ("REPORT_PER_ACCOUNT", "USER_PER_ACCOUNT")


@dataclass(frozen=True)
class VoucherSpec:
    """What one voucher groups: reports (all their expenses), or one expense of one report."""

    reports: tuple[int, ...]
    expense: int | None = None


def voucher_specs(data: ExpenseData, report_indices: Iterable[int], fmt: str) -> list[VoucherSpec]:
    if fmt in PER_REPORT:
        return [VoucherSpec((r,)) for r in report_indices]
    if fmt in PER_USER:
        by_owner: dict[int, list[int]] = {}
        for r in report_indices:
            by_owner.setdefault(data.owner_index(r), []).append(r)
        return [VoucherSpec(tuple(rs)) for rs in by_owner.values()]
    return [VoucherSpec((r,), e) for r in report_indices for e in range(len(data.report(r).expenses))]


def _dimension(cost_center: str, project: str | None) -> dict[str, Any]:
    return {"costCenter": cost_center, "project": project}


def _accounting_rows(report: Report, expense_positions: Iterable[int]) -> list[dict[str, Any]]:
    country = COUNTRY[report.owner.country]
    rows: list[dict[str, Any]] = []
    for e in expense_positions:
        x = report.expenses[e]
        label = CATEGORIES[x.category][0]
        common = {"expenseRecordId": x.id, "expenseReportId": report.id}
        rows.append(
            {
                "type": "DEBIT",
                "account": x.account,
                "amount": x.net,
                "taxAmount": 0,
                "taxPercent": x.vat_percent,
                "salaryCode": x.salary_code,
                "dimension": _dimension(x.cost_center, x.project),
                "text": x.text,
                **common,
            }
        )
        if x.vat:
            rows.append(
                {
                    "type": "VAT",
                    "account": country["vat_account"],
                    "amount": x.vat,
                    "taxAmount": x.vat,
                    "taxPercent": x.vat_percent,
                    "salaryCode": None,
                    "dimension": None,
                    "text": f"Ingående moms {x.vat_percent}% {label}",
                    **common,
                }
            )
        rows.append(
            {
                "type": "CREDIT",
                "account": country["liability"],
                "amount": -x.gross,
                "taxAmount": 0,
                "taxPercent": None,
                "salaryCode": None,
                "dimension": None,
                "text": f"Skuld {report.owner.name}",
                **common,
            }
        )
    return rows


def _aggregate(rows: list[dict[str, Any]], keep_report: str | None) -> list[dict[str, Any]]:
    """Rows summed per account / tax number / salary type (and cost dimension for debit rows)."""
    out: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (
            row["type"],
            row["account"],
            row["salaryCode"],
            row["taxPercent"] if row["type"] != "CREDIT" else None,
            json.dumps(row["dimension"], sort_keys=True) if row["type"] == "DEBIT" else None,
        )
        agg = out.get(key)
        if agg is None:
            text = {"DEBIT": None, "VAT": f"Ingående moms {row['taxPercent']}%", "CREDIT": row["text"]}[row["type"]]
            if text is None:
                text = next(label for label, account, *_ in CATEGORIES.values() if account == row["account"])
            out[key] = {
                **row,
                "amount": row["amount"],
                "taxAmount": row["taxAmount"],
                "text": text,
                "expenseRecordId": None,
                "expenseReportId": keep_report,
            }
        else:
            agg["amount"] += row["amount"]
            agg["taxAmount"] += row["taxAmount"]
    return list(out.values())


def _payment_row(
    report: Report, gross: int, vat: int, text: str, expense_id: str | None, report_id: str | None
) -> dict[str, Any]:
    return {
        "type": "PAYMENT",
        "account": COUNTRY[report.owner.country]["liability"],
        "amount": gross,
        "taxAmount": vat,
        "taxPercent": None,
        "salaryCode": None,
        "dimension": None,
        "text": text,
        "expenseRecordId": expense_id,
        "expenseReportId": report_id,
    }


def voucher_rows(data: ExpenseData, spec: VoucherSpec, fmt: str) -> list[dict[str, Any]]:
    """The rows of one voucher, amounts in integer minor units."""
    reports = [data.report(r) for r in spec.reports]
    if fmt == "EXPENSE":
        return _accounting_rows(reports[0], [spec.expense or 0])
    if fmt in ACCOUNTING_FORMATS:
        rows = [row for rep in reports for row in _accounting_rows(rep, range(len(rep.expenses)))]
        if fmt in AGGREGATED:
            return _aggregate(rows, reports[0].id if fmt == "REPORT_PER_ACCOUNT" else None)
        return rows
    if fmt == "REPORT_PER_REPORT_PAID":
        rep = reports[0]
        return [_payment_row(rep, rep.gross, rep.vat, f"Utbetalning {rep.title}", None, rep.id)]
    if fmt == "USER_PER_REPORT_PAID":
        owner = reports[0].owner
        return [
            _payment_row(
                reports[0],
                sum(r.gross for r in reports),
                sum(r.vat for r in reports),
                f"Utbetalning utlägg {owner.name}",
                None,
                None,
            )
        ]
    rep = reports[0]  # REPORT_PER_EXPENSE_PAID
    return [_payment_row(rep, x.gross, x.vat, x.text, x.id, rep.id) for x in rep.expenses]


def voucher_header(data: ExpenseData, spec: VoucherSpec, fmt: str) -> dict[str, Any]:
    reports = [data.report(r) for r in spec.reports]
    owner = reports[0].owner
    if fmt in PER_USER:
        report_id, text = None, f"Utlägg {owner.name} ({len(reports)} rapporter)"
        date = max(r.date for r in reports)
    elif spec.expense is not None:
        expense = reports[0].expenses[spec.expense]
        report_id, text, date = reports[0].id, expense.text, expense.date
    else:
        report_id, text, date = reports[0].id, f"{reports[0].title} - {owner.name}", reports[0].date
    return {
        "ownerId": owner.id,
        "ownerName": owner.name,
        "employeeNumber": owner.employee_number,
        "expenseReportId": report_id,
        "voucherDate": date,
        "currency": owner.currency,
        "text": text,
    }


def rows_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "amount": number(row["amount"]), "taxAmount": number(row["taxAmount"])} for row in rows]
