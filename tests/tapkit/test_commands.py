"""tapkit.commands, the scaffold of every tap's plugin commands: settings read as the tap reads them, one output
convention, one-line errors and the tap's own HTTP policy — shown on commands of a few lines, as a fifth
provider's would be (here on tap-ivesk's settings and streams, against its sandbox)."""

from __future__ import annotations

import json
import signal
import typing as t

import pytest
from sandbox.ivesk import API_KEY
from tap_ivesk.tap import TapIvesk
from tapkit.commands import CommandLine, Context, arg
from tapkit.errors import TapError

if t.TYPE_CHECKING:
    from pathlib import Path

SHOWN = ("api_url", "queue", "columns", "company_codes", "max_retries")
NOWHERE = "http://127.0.0.1:9"  # settings-only commands make no request

cli = CommandLine(TapIvesk, "tap-demo-commands", "A provider's commands in a few lines.")


@cli.command("settings", help="show the settings the command runs with")
def settings(ctx: Context) -> None:
    ctx.out.result("settings loaded", **{k: ctx.tap.config.get(k) for k in SHOWN})


@cli.command("count", help="documents on the first page of a queue", args=(arg("--queue-name", default="exported"),))
def count(ctx: Context) -> None:
    body = ctx.stream("documents").request_json("GET", f"/{ctx.args.queue_name}", required=("documents",))
    ctx.out.result(f"{len(body['documents'])} document(s)", count=len(body["documents"]))


@cli.command("each", help="one action per item; the item `bad` fails", args=(arg("items", nargs="+"),))
def each(ctx: Context) -> None:
    for item in ctx.args.items:
        if item == "bad":
            ctx.out.failed(item, TapError("not a good item"), item=item)
        else:
            ctx.out.result(f"{item}: done", item=item, status="done")


@cli.command("interrupted", help="stopped by Ctrl-C")
def interrupted(ctx: Context) -> None:
    raise KeyboardInterrupt


@pytest.fixture(autouse=True)
def _no_tap_ivesk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SHOWN, "api_key"):
        monkeypatch.delenv(f"TAP_IVESK_{name.upper()}", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(path: Path, data: t.Any) -> str:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_config_files_are_merged_in_order_later_files_override_earlier_ones(tmp_path, capsys):
    first = write(
        tmp_path / "a.json", {"api_url": NOWHERE, "api_key": "k", "queue": "digitized", "columns": ["object"]}
    )
    second = write(tmp_path / "b.json", {"queue": "exported", "company_codes": ["302320404"]})
    code, out, _ = run(capsys, "--config", first, "--config", second, "--json", "settings")
    assert code == 0
    assert json.loads(out) == {
        "api_url": NOWHERE,
        "queue": "exported",
        "columns": ["object"],
        "company_codes": ["302320404"],
        "max_retries": 6,  # the tap's default
    }
    code, out, _ = run(capsys, "--config", second, "--config", first, "--json", "settings")
    assert json.loads(out)["queue"] == "digitized"


def test_settings_come_from_the_environment_by_default_parsed_as_the_sdk_parses_them(
    tmp_path, capsys, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TAP_IVESK_API_URL", NOWHERE)
    monkeypatch.setenv("TAP_IVESK_API_KEY", "from-env")
    monkeypatch.setenv("TAP_IVESK_COLUMNS", '["warehouse", "object"]')  # Meltano's `kind: array`
    monkeypatch.setenv("TAP_IVESK_MAX_RETRIES", "0")
    code, out, _ = run(capsys, "--json", "settings")
    assert code == 0
    shown = json.loads(out)
    assert (shown["columns"], shown["max_retries"], shown["queue"]) == (["warehouse", "object"], 0, "exported")

    file = write(tmp_path / "c.json", {"api_url": "http://127.0.0.1:8", "api_key": "k", "queue": "digitized"})
    _, out, _ = run(capsys, "--config", file, "--json", "settings")
    assert json.loads(out)["api_url"] == "http://127.0.0.1:8" and json.loads(out)["columns"] != ["warehouse", "object"]
    _, out, _ = run(capsys, "--config", file, "--config", "ENV", "--json", "settings")
    assert (json.loads(out)["api_url"], json.loads(out)["queue"]) == (NOWHERE, "digitized")  # ENV over the file


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "does not exist"),
        ('{"api_key": "k",', "is not valid JSON"),
        ('["api_key"]', "must hold a JSON object"),
    ],
)
def test_a_missing_or_broken_config_file_is_one_line_naming_it(tmp_path, capsys, content, says):
    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content)
    code, out, err = run(capsys, "--config", str(path), "settings")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"tap-ivesk: error: config file {path} {says}")


def test_settings_are_checked_by_the_taps_schema_and_its_check_config(tmp_path, capsys):
    code, _, err = run(
        capsys, "--config", write(tmp_path / "a.json", {"api_key": "k", "max_retries": "many"}), "settings"
    )
    assert code == 1 and err.startswith("tap-ivesk: error: invalid configuration: ") and "max_retries" in err
    code, _, err = run(capsys, "--config", write(tmp_path / "b.json", {"api_url": NOWHERE}), "settings")
    assert code == 1 and err.startswith("tap-ivesk: error: missing setting api_key")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_an_unknown_setting_is_one_warning_as_for_the_tap(tmp_path, capsys, caplog):
    config = write(tmp_path / "a.json", {"api_url": NOWHERE, "api_key": "k", "qeue": "digitized"})
    code, out, _ = run(capsys, "--config", config, "--json", "settings")
    assert code == 0 and json.loads(out)["queue"] == "exported"
    assert [r.getMessage() for r in caplog.records if "unknown setting" in r.getMessage()] == [
        "unknown setting(s) ignored: qeue (`tap-ivesk --about` lists the settings)"
    ]


def test_a_human_line_per_action_and_with_json_a_json_line_per_action(tmp_path, capsys):
    config = write(tmp_path / "a.json", {"api_url": NOWHERE, "api_key": "k"})
    code, out, err = run(capsys, "--config", config, "each", "one", "two")
    assert (code, out, err) == (0, "tap-ivesk:each: one: done\ntap-ivesk:each: two: done\n", "")
    for argv in (["--json", "each", "one", "two"], ["each", "--json", "one", "two"]):  # before or after the command
        code, out, err = run(capsys, "--config", config, *argv)
        assert code == 0
        assert [json.loads(line) for line in out.splitlines()] == [
            {"item": "one", "status": "done"},
            {"item": "two", "status": "done"},
        ]
        assert err == "tap-ivesk:each: one: done\ntap-ivesk:each: two: done\n"  # the human lines, on stderr


def test_a_failed_action_is_an_error_line_the_others_still_run_and_the_exit_status_is_1(tmp_path, capsys):
    config = write(tmp_path / "a.json", {"api_url": NOWHERE, "api_key": "k"})
    code, out, err = run(capsys, "--config", config, "each", "--json", "one", "bad", "three")
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == [
        {"item": "one", "status": "done"},
        {"item": "bad", "status": "failed", "error": "not a good item"},
        {"item": "three", "status": "done"},
    ]
    assert "tap-ivesk: error: bad: not a good item\n" in err


def test_requests_go_through_the_taps_policy_and_a_fatal_error_is_one_line(ivesk, tmp_path, capsys):
    ivesk.faults({"path": "^/exported$", "kind": "status", "status": 503, "times": 1})
    once = write(tmp_path / "once.json", {"api_url": ivesk.url, "api_key": API_KEY, "max_retries": 0})
    code, out, err = run(capsys, "--config", once, "count")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("tap-ivesk: error: GET /exported: HTTP 503")
    assert [r["status"] for r in ivesk.requests()] == [503]  # max_retries 0: no retry

    ivesk.clear_requests()
    ivesk.faults({"path": "^/exported$", "kind": "status", "status": 429, "retry_after": 0, "times": 1})
    twice = write(tmp_path / "twice.json", {"api_url": ivesk.url, "api_key": API_KEY, "max_retries": 1})
    code, out, _ = run(capsys, "--config", twice, "count")
    assert code == 0 and out.startswith("tap-ivesk:count: ") and out.endswith(" document(s)\n")
    assert [r["status"] for r in ivesk.requests()] == [429, 200]  # Retry-After honoured, then served


def test_an_interrupted_command_exits_130_and_the_taps_signal_handlers_are_not_left_behind(tmp_path, capsys):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    config = write(tmp_path / "a.json", {"api_url": NOWHERE, "api_key": "k"})
    code, _, err = run(capsys, "--config", config, "interrupted")
    assert (code, err) == (130, "tap-ivesk: error: interrupted\n")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
