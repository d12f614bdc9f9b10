"""The transcribed contracts (`sandbox/sandbox/contract/*.json`) agree with the published OpenAPI documents
in `../shared/api-specs/` (run where that folder is present, as in CI), and the validator refuses what the
documents refuse."""

from __future__ import annotations

import pytest
from sandbox.contract import extract, load


@pytest.mark.skipif(not extract.DEFAULT_SPECS.is_dir(), reason="../shared/api-specs/ is not present")
@pytest.mark.parametrize("provider", sorted(extract.ENDPOINTS))
def test_the_transcription_still_agrees_with_the_published_documents(provider: str) -> None:
    fresh = extract.render(extract.transcribe(provider))
    committed = extract.contract_path(provider).read_text(encoding="utf-8")
    assert committed == fresh, f"rerun `python -m sandbox.contract.extract`: {provider}.json differs from the documents"


def test_every_transcribed_operation_names_its_source_document_and_commit() -> None:
    for provider in extract.ENDPOINTS:
        data = load(provider).data
        files = {s["file"]: s for s in data["sources"]}
        assert all(len(s["commit"]) == 40 for s in files.values())
        assert all(op["source"] in files for op in data["operations"].values())


def test_the_validator_refuses_what_the_document_refuses() -> None:
    op = load("pleo").operation("POST /v1/accounting-entries:search")
    ok = op.request_errors(
        "/v1/accounting-entries:search",
        {"sorting_order": "ASC", "limit": "50"},
        {"includeDeleted": False, "exportStatus": ["NOT_EXPORTED"]},
        has_body=True,
        strict=True,
    )
    assert ok == []
    bad = op.request_errors(
        "/v1/accounting-entries:search",
        {"sorting_order": "asc", "company": "x"},
        {"exportStatus": ["not_exported"]},
        has_body=True,
        strict=True,
    )
    assert {e.location for e in bad} == {"query.sorting_order[0]", "query.company", "body", "body.exportStatus[0]"}
    jobs = load("pleo").operation("GET /v3/export-jobs")
    extra = jobs.response_errors(
        200,
        "application/json",
        {
            "data": [],
            "pagination": {
                "hasNextPage": False,
                "hasPreviousPage": False,
                "currentRequestPagination": {"parameters": {}},
            },
            "more": 1,
        },
        strict=True,
    )
    assert [e.location for e in extra] == ["$"] and "more" in extra[0].message
