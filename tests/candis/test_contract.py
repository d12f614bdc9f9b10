"""tap-candis and the Candis emulator against Candis's published OpenAPI document (transcribed in
``sandbox/sandbox/contract/candis.json``): every request of a full run (organization discovery, an export
created and waited for, postings of documents, card transactions and reimbursements, the three lists with
their status filters, file downloads) and of an incremental rerun, and every response the emulator gives."""

from __future__ import annotations

from sandbox.candis import TOKEN_PATH

from tests.candis.conftest import candis_config
from tests.contract_traffic import assert_follows_contract, log_bodies

#: Paths the published document does not cover: Candis's Keycloak token endpoint.
OUTSIDE = [rf"^{TOKEN_PATH}$"]


def test_every_request_and_response_of_a_full_run_follows_candis_s_contract(candis_factory, tmp_path, tap) -> None:
    candis = candis_factory(export_delay=0.2)
    log_bodies(candis)
    candis.admin("POST", "/candis/exportable", {"entityType": "CARD_TRANSACTION", "count": 3})
    config = {
        **candis_config(candis, tmp_path, files_dir=str(tmp_path / "files")),
        "create_export": True,
        "export_entity_types": ["DOCUMENT", "CARD_TRANSACTION", "REIMBURSEMENT_ITEM"],
        "purchase_request_statuses": ["APPROVED", "FULFILLED"],
        "max_requests_per_minute": 0,
    }
    first = tap(config)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.records("postings") and first.records("files") and first.records("invoices")
    again = tap(config, state=first.state)
    assert again.returncode == 0, again.stderr[-3000:]

    assert_follows_contract(candis, "candis", outside=OUTSIDE, min_bodies=20)
