"""No secret in logs (even debug), errors, URLs or state."""

from __future__ import annotations

from sandbox.findity import CLIENT_SECRET

from tests.findity.conftest import findity_config


def test_debug_logs_hold_neither_the_client_secret_nor_any_token(findity, tap, tmp_path):
    findity.faults({"path": "/export$", "kind": "expire_tokens", "after": 2, "times": 1})
    config = findity_config(findity, tmp_path)
    run = tap(config, env={"TAP_FINDITY_LOG_LEVEL": "DEBUG", "SINGER_SDK_LOG_LEVEL": "DEBUG", "LOGLEVEL": "DEBUG"})
    assert run.returncode == 0
    assert "| DEBUG " in run.stderr, "the run did not log at debug level"
    issued = findity.admin("GET", "/findity/issued-tokens")
    assert len(issued) >= 4
    for text in (run.stderr, str(run.messages)):
        assert CLIENT_SECRET not in text
        assert not [tok for tok in issued if tok in text]
    manifest = "".join(p.read_text() for p in (tmp_path / "manifests").glob("*.json"))
    assert CLIENT_SECRET not in manifest and not [tok for tok in issued if tok in manifest]


def test_a_rejected_secret_is_not_echoed_in_the_error(findity, tap, tmp_path):
    run = tap(findity_config(findity, tmp_path, client_secret="s3cr3t-value-xyz"))
    assert run.returncode == 1 and "s3cr3t-value-xyz" not in run.stderr
