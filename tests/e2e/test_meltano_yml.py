"""meltano.yml declares every setting of every tap exactly as the tap's `--about` describes it.

Meltano only passes the settings it knows to a plugin, so a setting the tap has but meltano.yml lacks cannot be
set through Meltano at all; a default that differs means `meltano config` shows the wrong value.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import meltano_plugin, meltano_yml, plugin_about

TAPS = ("tap-candis", "tap-pleo", "tap-ivesk", "tap-findity")
CAPABILITIES = {"catalog", "discover", "state", "about", "stream-maps", "schema-flattening"}
#: Findity keeps no Singer state: its exports are a queue that the write-back empties, so Meltano must not
#: pass (or save) any.
NO_STATE = {"tap-findity"}
#: The plugin commands each tap's extractor declares (its write side).
COMMANDS = {
    "tap-candis": {"authorize"},
    "tap-pleo": {"ack", "ack-dry-run", "authorize"},
    "tap-ivesk": {"upload", "report-sync-error", "subscribe"},
    "tap-findity": {"ack", "fail", "content"},
}


@pytest.mark.parametrize("tap", TAPS)
def test_meltano_yml_declares_every_setting_of_the_tap(tap: str) -> None:
    project = meltano_yml()
    plugin = meltano_plugin(project, "extractors", tap)
    declared = {s["name"]: s for s in plugin["settings"]}
    properties = plugin_about(tap)["settings"]["properties"]

    missing = sorted(set(properties) - set(declared))
    assert not missing, f"settings of {tap} not declared in meltano.yml: {missing}"
    unknown = sorted(set(declared) - set(properties))
    assert not unknown, f"meltano.yml declares settings {tap} does not have: {unknown}"
    for name, setting in declared.items():
        assert setting.get("kind") and setting.get("description"), f"{name}: kind and description required"
        secret = bool(properties[name].get("secret") or properties[name].get("writeOnly"))
        assert bool(setting.get("sensitive")) == secret, f"{name}: sensitive must match the tap's secret flag"
        if properties[name].get("default") is not None:
            assert setting.get("value") == properties[name]["default"], f"{name}: default differs from the tap's"
    expected = CAPABILITIES - {"state"} if tap in NO_STATE else CAPABILITIES
    assert set(plugin["capabilities"]) >= expected
    assert (tap in NO_STATE) == ("state" not in plugin["capabilities"])
    assert set(plugin.get("commands") or {}) == COMMANDS[tap]

    # Utilities that run the tap's commands outside `meltano run` read the tap's own variables only.
    prefix = tap.upper().replace("-", "_") + "_"
    known = {f"{prefix}{n.upper()}" for n in properties}
    for utility in project["plugins"].get("utilities", []):
        envs = {s.get("env", "") for s in utility.get("settings", [])}
        ours = {e for e in envs if e.startswith(prefix)}
        assert ours <= known, f"utility {utility['name']} passes unknown settings of {tap}: {sorted(ours - known)}"
