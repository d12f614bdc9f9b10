"""Suppliers and employees of the emulated organization: small fixed pools per seed, shared by all streams."""

from __future__ import annotations

from dataclasses import dataclass

from ..framework.data import city, company_name, iban_and_bic, person_name, record_rng, stable_uuid, vat_id
from .reference import GL_ACCOUNTS

SUPPLIER_COUNT = 60
EMPLOYEE_COUNT = 40


@dataclass(frozen=True)
class Supplier:
    name: str
    accounts_payable_number: str
    accounts_receivable_number: str | None
    iban: str
    swift: str
    vat_id: str
    gl_code: str
    city: str


@dataclass(frozen=True)
class Employee:
    id: str
    name: str
    accounts_payable_number: str
    iban: str
    swift: str
    cost_center: int


class Parties:
    def __init__(self, seed: int) -> None:
        self.suppliers = [self._supplier(seed, k) for k in range(SUPPLIER_COUNT)]
        self.employees = [self._employee(seed, k) for k in range(EMPLOYEE_COUNT)]

    @staticmethod
    def _supplier(seed: int, k: int) -> Supplier:
        rng = record_rng(seed, "suppliers", k)
        iban, bic = iban_and_bic(rng, "DE")
        return Supplier(
            name=company_name(rng, "DE"),
            accounts_payable_number=str(70001 + k),  # DATEV creditor range 70000–99999
            accounts_receivable_number=str(10001 + k) if rng.random() < 0.1 else None,
            iban=iban,
            swift=bic,
            vat_id=vat_id(rng, "DE"),
            gl_code=GL_ACCOUNTS[int(rng.random() * len(GL_ACCOUNTS))][0],
            city=city(rng, "DE")[1],
        )

    @staticmethod
    def _employee(seed: int, k: int) -> Employee:
        rng = record_rng(seed, "employees", k)
        iban, bic = iban_and_bic(rng, "DE")
        return Employee(
            id=stable_uuid(seed, "employee", k),
            name=person_name(rng, "DE"),
            accounts_payable_number=f"K{1300000 + 37 * k + int(rng.random() * 30):07d}",
            iban=iban,
            swift=bic,
            cost_center=int(rng.random() * 7),
        )
