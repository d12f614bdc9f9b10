"""Every record names its tenant (tapkit.tenant): Candis and Findity `organizationId`, Pleo `companyId`, Įvesk
`companycode` / `companyCode`, the value the tap used in its request, also where the provider's body has it.

One real run of each tap against its sandbox (every stream selected, files included), then one test per
(tap, stream): the stream emitted records, and every one names the tenant the run read.
"""

from __future__ import annotations

import contextlib
import typing as t
from pathlib import Path

import pytest
from sandbox.candis import ORGANIZATION_ID as CANDIS_ORGANIZATION
from sandbox.findity import ORGANIZATION_ID as FINDITY_ORGANIZATION
from sandbox.ivesk import COMPANY_CODES
from sandbox.pleo import DEFAULT_COMPANY_ID
from tap_candis.tap import TapCandis
from tap_findity.tap import TapFindity
from tap_pleo.tap import TapPleo

from tests.candis.conftest import candis_config
from tests.findity.conftest import findity_config
from tests.helpers import Sandbox, TapRun, run_tap
from tests.ivesk.conftest import ivesk_config
from tests.pleo.conftest import pleo_config

#: what every record of a stream must name: (field, the tenant of this record given the whole run)
Expect = t.Callable[[dict, TapRun], tuple[str, t.Any]]


def _same(field: str, value: str) -> Expect:
    return lambda record, run: (field, value)


def _ivesk_document(record: dict, run: TapRun) -> tuple[str, t.Any]:
    # the queue is asked for no company: the document's own code, one of the account's companies
    code = record.get("companycode")
    return "companycode", code if code in COMPANY_CODES else f"one of {COMPANY_CODES}"


def _ivesk_file(record: dict, run: TapRun) -> tuple[str, t.Any]:
    owners = {d["id"]: d.get("companycode") for d in run.records("documents")}
    return "companycode", owners[record["ownerId"]]


def _ivesk_column(record: dict, run: TapRun) -> tuple[str, t.Any]:
    code = record["companyCode"]  # the path's {companyCode}: one of company_codes
    return "companyCode", code if code in COMPANY_CODES else f"one of {COMPANY_CODES}"


CANDIS = _same("organizationId", CANDIS_ORGANIZATION)
FINDITY = _same("organizationId", FINDITY_ORGANIZATION)
EXPECTED: dict[str, dict[str, Expect]] = {
    "tap-candis": dict.fromkeys((*(c.name for c in TapCandis.stream_types), "files"), CANDIS),
    "tap-findity": dict.fromkeys((*(c.name for c in TapFindity.stream_types), "files"), FINDITY),
    "tap-ivesk": {"documents": _ivesk_document, "columns": _ivesk_column, "files": _ivesk_file},
    # every company-scoped stream; `companies` lists the companies themselves (see its own test below)
    "tap-pleo": dict.fromkeys(
        (*(c.name for c in TapPleo.stream_types if c.name != "companies"), "files"),
        _same("companyId", DEFAULT_COMPANY_ID),
    ),
}
CASES = [(tap, stream) for tap, streams in EXPECTED.items() for stream in streams]


def _config(tap: str, url: str, tmp: Path) -> dict:
    """The tap's usual test config (its tests' conftest), with files: every stream has records."""
    files = str(tmp / "files")
    if tap == "tap-candis":
        return candis_config(Sandbox(url), tmp, files_dir=files)
    if tap == "tap-findity":
        return findity_config(Sandbox(url), tmp, files_dir=files)
    if tap == "tap-pleo":
        return pleo_config(Sandbox(url), tmp, files_dir=files)  # company_id: the default company
    return ivesk_config(Sandbox(url), company_codes=list(COMPANY_CODES), files_dir=files)


def _app(tap: str) -> t.Any:
    if tap == "tap-candis":
        from sandbox.candis import CandisConfig, create_app

        return create_app(CandisConfig(scale=60))
    if tap == "tap-findity":
        from sandbox.findity import FindityConfig, create_app

        return create_app(FindityConfig(scale=40))
    if tap == "tap-pleo":
        from sandbox.pleo import PleoConfig, create_app

        return create_app(PleoConfig(scale=40))
    from sandbox.ivesk import IveskConfig, create_app

    return create_app(IveskConfig(scale=60))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[t.Callable[[str], TapRun]]:
    """`runs(tap)`: the one full run of `tap` against a fresh sandbox of its provider (made when first asked)."""
    from sandbox.framework.server import serve_in_thread

    done: dict[str, TapRun] = {}
    with contextlib.ExitStack() as stack:

        def run(tap: str) -> TapRun:
            if tap not in done:
                url = stack.enter_context(serve_in_thread(_app(tap)))
                tmp = tmp_path_factory.mktemp(tap)
                done[tap] = run_tap(tap, _config(tap, url, tmp), tmp)
            assert done[tap].returncode == 0, done[tap].stderr[-2000:]
            return done[tap]

        yield run


@pytest.mark.parametrize(("tap", "stream"), CASES)
def test_every_record_names_the_tenant_the_tap_read(runs: t.Callable[[str], TapRun], tap: str, stream: str) -> None:
    run = runs(tap)
    records = run.records(stream)
    assert records, f"{tap} emitted no {stream}: nothing proves the field"
    expect = EXPECTED[tap][stream]
    wrong = []
    for record in records:
        field, value = expect(record, run)
        if record.get(field) != value:
            wrong.append((record.get(field), value))
    assert not wrong, f"{len(wrong)} of {len(records)} {stream} records name another tenant, e.g. {wrong[:3]}"
    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream)
    assert field in schema["properties"]
    assert schema["properties"][field].get("description")


# --- the provider's body has the field already: the request's value wins ---------------------------------
def _stream(tap_class: t.Any, config: dict, name: str) -> t.Any:
    return tap_class(config=config, parse_env_config=False, validate_config=False).streams[name]


def test_candis_invoices_name_the_organization_of_the_request_not_of_the_body() -> None:
    stream = _stream(TapCandis, {"organization_id": "acme", "access_token": "x"}, "invoices")
    invoice = {"id": "i1", "organizationId": "someone-else", "status": "APPROVED", "createdAt": None}
    assert stream.post_process(invoice, None)["organizationId"] == "acme"
    assert "overwriting" in stream.schema["properties"]["organizationId"]["description"]


def test_findity_exports_name_the_organization_of_the_request_not_of_the_body() -> None:
    config = {"organization_id": "a" * 32, "client_id": "c", "client_secret": "s"}
    stream = _stream(TapFindity, config, "exports")
    assert stream.post_process({"id": "e1", "organizationId": "b" * 32}, None)["organizationId"] == "a" * 32
    assert "overwriting" in stream.schema["properties"]["organizationId"]["description"]


def test_pleo_companies_is_the_list_of_tenants_and_names_none(runs: t.Callable[[str], TapRun]) -> None:
    companies = runs("tap-pleo").records("companies")
    assert companies and all("companyId" not in c for c in companies)
    assert DEFAULT_COMPANY_ID in {c["id"] for c in companies}


@pytest.mark.parametrize("stream", ["export_jobs", "export_items", "accounting_entries", "vendors"])
def test_pleo_records_name_the_company_of_the_request_not_of_the_body(stream: str) -> None:
    tap_stream = _stream(TapPleo, {"company_id": "c1", "api_key": "k"}, stream)
    context = {"companyId": "c1", "exportJobId": "j1"}
    record = tap_stream.post_process({"id": "x", "accountingEntryId": "e", "companyId": "c2"}, context)
    assert record["companyId"] == "c1"
    assert "overwriting" in tap_stream.schema["properties"]["companyId"]["description"]


def test_a_catalog_without_the_field_gets_records_without_it() -> None:
    """A catalog saved before the field existed: the records keep to it (as the SDK drops what a catalog
    lacks), so no target sees a property its schema does not have."""
    config = {"organization_id": "a" * 32, "client_id": "c", "client_secret": "s"}
    catalog = TapFindity(config=config, parse_env_config=False, validate_config=False).catalog_dict
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "voucher_rows")
    del entry["schema"]["properties"]["organizationId"]
    entry["schema"]["required"].remove("organizationId")
    tap = TapFindity(config=config, catalog=catalog, parse_env_config=False, validate_config=False)
    row = tap.streams["voucher_rows"].post_process({"voucherId": "v", "rowNumber": 1}, {"exportId": "e"})
    assert "organizationId" not in row
