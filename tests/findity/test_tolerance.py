"""Where the notes infer ([I]), the tap accepts the plausible alternatives: a `{data, meta}` envelope for the
export list, vouchers without ids."""

from __future__ import annotations

from tests.findity.conftest import findity_config


def test_the_export_list_in_a_data_meta_envelope_is_read_like_a_bare_array(findity_factory, tap, tmp_path):
    bare, wrapped = findity_factory(), findity_factory(list_envelope="envelope")
    a, b = tap(findity_config(bare, tmp_path / "a")), tap(findity_config(wrapped, tmp_path / "b"))
    assert a.returncode == b.returncode == 0
    assert [e["id"] for e in a.records("exports")] == [e["id"] for e in b.records("exports")]
    assert len(b.records("voucher_rows")) == wrapped.ground_truth()["voucher_rows"]["count"]


def test_vouchers_without_ids_get_stable_derived_ids(findity_factory, tap, tmp_path):
    sandbox = findity_factory(voucher_ids=False)
    first, second = tap(findity_config(sandbox, tmp_path / "1")), tap(findity_config(sandbox, tmp_path / "2"))
    ids = [v["id"] for v in first.records("vouchers")]
    assert all(v["idDerived"] for v in first.records("vouchers"))
    assert len(set(ids)) == len(ids) == sandbox.ground_truth()["vouchers"]["count"]
    assert ids == [v["id"] for v in second.records("vouchers")]


def test_ack_refuses_to_guess_for_vouchers_without_ids(findity_factory, tap, writeback, tmp_path):
    sandbox = findity_factory(voucher_ids=False)
    config = findity_config(sandbox, tmp_path)
    assert tap(config).returncode == 0
    result = writeback(config, "ack")
    assert result.returncode == 1 and "without ids" in result.stderr
