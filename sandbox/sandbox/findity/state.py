"""Everything the Findity emulator holds for one (seed, scale): per organization its reports, exports and
contents (:class:`OrganizationData`), and the token store they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..framework.data import company_name, record_rng
from ..framework.money import Totals, decimal_str
from ..framework.pdf import pdf_size, tiny_pdf
from ..framework.tenants import Organizations, seed_and_scale, sum_streams
from ..framework.timeutil import HOUR_MS, iso_ms, ms_of
from .config import (
    CLIENT_APPLICATION_ID,
    CONNECT,
    EXTERNAL_ORGANIZATION_ID,
    FORMATS,
    ORGANIZATION_ID,
    ORGANIZATION_NAME,
    RECIPIENT_ID,
    RECIPIENT_NAME,
    FindityConfig,
)
from .expenses import ExpenseData
from .exports import WITHDRAWN, Export, ExportBook
from .oauth import TokenStore
from .vouchers import rows_json, voucher_header, voucher_rows

INITIAL_EXPORTS_MS = ms_of(2025, 6, 2, 8)


def organization_identity(organization_id: str) -> tuple[str, str]:
    """``(name, externalOrganizationId)`` of an organization: Norrsken's for ``ORGANIZATION_ID``, else a
    Swedish company name and an external id drawn from the id."""
    if organization_id == ORGANIZATION_ID:
        return ORGANIZATION_NAME, EXTERNAL_ORGANIZATION_ID
    rng = record_rng(0, "findity-organization", organization_id)
    return company_name(rng, "SE"), f"My{rng.between(1000, 9999)}"


class OrganizationData:
    """One organization: its expense data (its own ``seed`` and ``scale``), exports and webhook deliveries.
    Its ``export_size`` (reports per initial export, the default of a bulk send) is the configured one in
    proportion to its scale, so every organization starts with the same share of its reports sent."""

    def __init__(self, organization_id: str, seed: int, scale: int, config: FindityConfig) -> None:
        self.id = organization_id
        self.name, self.external_id = organization_identity(organization_id)
        self.config = config
        self.seed, self.scale = seed, scale
        self.export_size = config.export_size
        if scale != config.scale and config.scale > 0:
            self.export_size = max(1, config.export_size * scale // config.scale)
        self.data = ExpenseData(seed, scale)
        self.book = ExportBook(self.data)
        self.webhooks: list[dict[str, Any]] = []  # deliveries: {url, payload, status, error}
        self.version = 0
        self._truth: tuple[int, dict] | None = None
        for k in range(config.initial_exports):
            self.book.bulk_send(self.export_size, FORMATS[k % len(FORMATS)], INITIAL_EXPORTS_MS + k * HOUR_MS)

    # -- views ---------------------------------------------------------------------------------------
    def recipient(self, export: Export) -> dict[str, Any]:
        return {
            "id": RECIPIENT_ID,
            "name": RECIPIENT_NAME,
            "type": "API",
            "verificationListsType": export.fmt,
            "bookkeeping": export.fmt.endswith("_PAID") is False,
            "webhookUrl": self.config.webhook_url or None,
        }

    def export_summary(self, export: Export) -> dict[str, Any]:
        return {
            "id": export.id,
            "organizationId": self.id,
            "createdAt": iso_ms(export.created_ms),
            "status": export.status,
            "numberOfVouchers": len(export.specs(self.data)),
            "numberOfReports": len(export.reports),
        }

    def export_detail(self, export: Export) -> dict[str, Any]:
        return {
            **self.export_summary(export),
            "externalOrganizationId": self.external_id,
            "organizationName": self.name,
            "processedAt": iso_ms(export.processed_ms) if export.processed_ms is not None else None,
            "organizationRecipient": self.recipient(export),
        }

    def webhook_payload(self, export: Export) -> dict[str, Any]:
        return {
            "exportId": export.id,
            "numberOfVouchers": len(export.specs(self.data)),
            "numberOfReports": len(export.reports),
            "organizationId": self.id,
            "externalOrganizationId": self.external_id,
            "clientApplicationId": CLIENT_APPLICATION_ID,
        }

    def basis_url(self, base: str, voucher_id: str) -> str:
        return f"{base}{CONNECT.format(organizationId=self.id)}/vouchers/{voucher_id}/basis"

    def voucher(self, export: Export, position: int, base: str) -> dict[str, Any]:
        spec = export.specs(self.data)[position]
        voucher_id = export.voucher_id(position)
        out: dict[str, Any] = {"id": voucher_id} if self.config.voucher_ids else {}
        out.update(voucher_header(self.data, spec, export.fmt))
        out["basisUrl"] = self.basis_url(base, voucher_id)
        out["voucherRows"] = rows_json(voucher_rows(self.data, spec, export.fmt))
        return out

    def vouchers(self, export: Export, base: str) -> Iterator[dict[str, Any]]:
        for position in range(len(export.specs(self.data))):
            yield self.voucher(export, position, base)

    def basis_lines(self, export: Export, position: int) -> list[str]:
        spec = export.specs(self.data)[position]
        header = voucher_header(self.data, spec, export.fmt)
        lines = [
            f"{self.name} - Findity Sandbox - Underlag",
            f"Verifikation {export.voucher_id(position)}",
            f"{header['ownerName']} ({header['employeeNumber']}) {header['voucherDate']}",
            header["text"],
        ]
        for row in voucher_rows(self.data, spec, export.fmt):
            lines.append(f"{row['type']:<7} {row['account']} {decimal_str(row['amount'])} {header['currency']}")
        lines.append("Kvitton: " + ", ".join(self.data.report(r).id[:8] for r in spec.reports))
        return lines

    def basis_pdf(self, export: Export, position: int) -> bytes:
        return tiny_pdf(self.basis_lines(export, position))

    # -- totals --------------------------------------------------------------------------------------
    def export_totals(self, export: Export) -> dict[str, Any]:
        """Format-independent totals of the export's reports: gross (to pay) and VAT per currency."""
        gross, vat = Totals(), Totals()
        for r in export.reports:
            report = self.data.report(r)
            gross.add(report.currency, report.gross)
            vat.add(report.currency, report.vat)
        return {"gross": gross.as_strings(), "vat": vat.as_strings()}

    def ground_truth(self) -> dict[str, Any]:
        if self._truth is not None and self._truth[0] == self.version:
            return self._truth[1]
        exports = vouchers = rows = files_bytes = 0
        amount, tax = Totals(), Totals()
        for export in self.book.exports:
            if export.status == WITHDRAWN:
                continue
            exports += 1
            for position, spec in enumerate(export.specs(self.data)):
                vouchers += 1
                currency = self.data.report(spec.reports[0]).currency
                for row in voucher_rows(self.data, spec, export.fmt):
                    rows += 1
                    amount.add(currency, row["amount"])
                    tax.add(currency, row["taxAmount"])
                files_bytes += pdf_size(self.basis_lines(export, position))
        truth = {
            "provider": "findity",
            "organization": self.id,
            "seed": self.seed,
            "scale": self.scale,
            "streams": {
                "exports": {"count": exports, "money": {}},
                "vouchers": {"count": vouchers, "money": {}},
                "voucher_rows": {
                    "count": rows,
                    "money": {"amount": amount.as_strings(), "taxAmount": tax.as_strings()},
                },
                "files": {"count": vouchers, "bytes": files_bytes, "money": {}},
            },
        }
        self._truth = (self.version, truth)
        return truth


class FindityState(Organizations[OrganizationData]):
    """The organizations (``config.organizations``; the first keeps ``seed`` and ``scale``, the others get their
    own from their id) and the token store of the one OAuth client."""

    def __init__(self, config: FindityConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.now_ms = now_ms
        self.organizations: dict[str, OrganizationData] = {}
        for k, organization_id in enumerate(config.organizations):
            seed, scale = seed_and_scale(config.seed, config.scale, "findity", organization_id, first=k == 0)
            self.organizations[organization_id] = OrganizationData(organization_id, seed, scale, config)
        self.tokens = TokenStore(config, now_ms)

    def tenants(self) -> list[dict[str, Any]]:
        readable = self.config.readable_organizations
        return [
            {
                "id": org.id,
                "name": org.name,
                "externalOrganizationId": org.external_id,
                "seed": org.seed,
                "scale": org.scale,
                "exportSize": org.export_size,
                "client": org.id in readable,  # whether the sandbox's OAuth client may read it
            }
            for org in self.organizations.values()
        ]

    def tenant_ground_truth(self, organization_id: str) -> dict[str, Any]:
        return {**self.organizations[organization_id].ground_truth(), "tenant": organization_id}

    def ground_truth(self) -> dict[str, Any]:
        """The first organization's truth with one organization; with several, its header and every stream
        added up over the organizations."""
        truths = [org.ground_truth() for org in self.organizations.values()]
        if len(truths) == 1:
            return truths[0]
        return {**truths[0], "streams": sum_streams(truths)}
