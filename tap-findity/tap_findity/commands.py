"""`tap-findity-writeback`: the Findity write-back, run by Meltano AFTER the loader.

    meltano run tap-findity target-duckdb tap-findity:ack

* ``ack`` — confirms (``PUT /exports/{id}/updatestatus``, every voucher ``SUCCESS``) exactly the exports the
  last complete tap run extracted (its run manifest: see tapkit.manifest). Meltano only reaches this step when
  the tap and the loader succeeded, so these are exports whose vouchers the target stored. Each export is
  marked in the manifest once confirmed, so a second ``ack`` does nothing; an export Findity already shows as
  processed counts as confirmed. Findity then moves the reports to SENT and drops the export from the list.
* ``fail --export-id ID --message TEXT`` — reports every voucher of the export ``FAILED`` with ``errorText``:
  the reports go back to READY_TO_SEND and an admin can re-trigger the export.
* ``content put --export-id ID --file PATH [--content-type T] [--file-name N]`` / ``content get --export-id ID
  [--output PATH]`` — attach a file (e.g. a generated SIE or CSV) to the export / read it back.

Settings come from ``--config FILE`` (repeatable) or, by default, ``TAP_FINDITY_*`` environment variables
(what Meltano passes to plugin commands). Errors: one line ``tap-findity: error: ...`` and exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing as t
from pathlib import Path

from tapkit.errors import TapError, one_line_errors
from tapkit.http import ProviderClientError
from tapkit.timeutil import utc_now_seconds

from tap_findity.package_reader import read_vouchers
from tap_findity.tap import TapFindity

BATCH = 500  # voucher updates per request
PROCESSED_ALREADY = "INVALID_SEND_STATE"


def _tap(configs: list[str]) -> TapFindity:
    files = [c for c in configs if c != "ENV"]
    for path in files:
        if not Path(path).is_file():
            msg = f"config file {path} does not exist"
            raise TapError(msg)
    tap = TapFindity(config=files or None, parse_env_config=not files or "ENV" in configs, validate_config=True)
    tap.check_config()
    return tap


class Findity:
    """The write calls, through the tap's HTTP policy (auth renewal, retries, one-line errors)."""

    def __init__(self, tap: TapFindity) -> None:
        self.tap = tap
        self.stream = tap.streams["exports"]

    def export(self, export_id: str) -> dict:
        return self.stream.request_json("GET", f"/exports/{export_id}", required=("id",))

    def voucher_ids(self, export_id: str) -> list[str]:
        ids = [str(v.get("id") or "") for v in read_vouchers(self.stream, export_id)]
        if not all(ids):
            msg = f"export {export_id}: Findity sent vouchers without ids, so they cannot be given a status"
            raise TapError(msg)
        return ids

    def update(self, export_id: str, updates: list[dict]) -> None:
        for start in range(0, len(updates), BATCH):
            body = {"voucherUpdates": updates[start : start + BATCH]}
            self.stream.request_json("PUT", f"/exports/{export_id}/updatestatus", json=body)

    def put_content(self, export_id: str, data: bytes, content_type: str, file_name: str | None) -> t.Any:
        url = f"{self.stream.url_base}/exports/{export_id}/content"
        headers = {**self.stream.http_headers, "Content-Type": content_type}
        if file_name:
            headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
        prepared = self.stream.build_prepared_request(
            method="PUT", url=url, data=data, headers=headers, params={"fileName": file_name} if file_name else None
        )
        return self.stream.send_json(prepared)

    def get_content(self, export_id: str) -> tuple[bytes, str]:
        url = f"{self.stream.url_base}/exports/{export_id}/content"
        prepared = self.stream.build_prepared_request(
            method="GET", url=url, headers={**self.stream.http_headers, "Accept": "*/*"}
        )
        response = self.stream.request_decorator(self.stream.open_stream)(prepared, None)
        with response:
            return response.content, response.headers.get("Content-Type", "")


def _now() -> str:
    return utc_now_seconds()


def _already_processed(api: Findity, export_id: str) -> str | None:
    try:
        status = api.export(export_id).get("status")
    except ProviderClientError as exc:
        if exc.code == "EXPORT_NOT_FOUND" or exc.status == 404:
            return "gone"
        raise
    return None if status in (None, "UNPROCESSED") else str(status)


def ack(tap: TapFindity, out: t.TextIO) -> int:
    manifest = tap.manifest
    pending = manifest.unacknowledged()
    api = Findity(tap)
    confirmed = 0
    for export_id, payload in pending.items():
        if payload.get("derivedIds"):
            msg = f"export {export_id}: its vouchers came without ids, so Findity cannot be told their status"
            raise TapError(msg)
        status = _already_processed(api, export_id)
        if status is None:
            updates = [
                {"id": vid, "status": "SUCCESS", "bookingDate": _now(), "informationText": "Loaded by tap-findity"}
                for vid in payload["voucherIds"]
            ]
            try:
                api.update(export_id, updates)
                status = "PROCESSED"
            except ProviderClientError as exc:
                if exc.code != PROCESSED_ALREADY:
                    raise
                status = _already_processed(api, export_id) or "UNPROCESSED"
                if status == "UNPROCESSED":
                    raise
        manifest.mark_acked(export_id, {"status": status, "vouchers": len(payload["voucherIds"])})
        confirmed += 1
        out.write(json.dumps({"exportId": export_id, "vouchers": len(payload["voucherIds"]), "status": status}) + "\n")
    sys.stderr.write(f"tap-findity: acknowledged {confirmed} export(s); {len(pending) - confirmed} left\n")
    return 0


def fail(tap: TapFindity, export_id: str, message: str, out: t.TextIO) -> int:
    api = Findity(tap)
    manifest = tap.manifest
    payload = manifest.unacknowledged().get(export_id)
    ids = payload["voucherIds"] if payload and not payload.get("derivedIds") else api.voucher_ids(export_id)
    api.update(export_id, [{"id": vid, "status": "FAILED", "errorText": message} for vid in ids])
    manifest.mark_acked(export_id, {"status": "FAILED", "message": message})
    out.write(json.dumps({"exportId": export_id, "vouchers": len(ids), "status": "FAILED"}) + "\n")
    return 0


def content(tap: TapFindity, args: argparse.Namespace, out: t.TextIO) -> int:
    api = Findity(tap)
    if args.action == "put":
        path = Path(args.file)
        if not path.is_file():
            msg = f"--file {path} does not exist"
            raise TapError(msg)
        answer = api.put_content(args.export_id, path.read_bytes(), args.content_type, args.file_name or path.name)
        out.write(json.dumps(answer, default=str) + "\n")
        return 0
    data, ctype = api.get_content(args.export_id)
    if args.output:
        Path(args.output).write_bytes(data)
        out.write(
            json.dumps({"exportId": args.export_id, "size": len(data), "contentType": ctype, "path": args.output})
            + "\n"
        )
    else:
        sys.stdout.buffer.write(data)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tap-findity-writeback", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        help="config JSON file (repeatable); default: TAP_FINDITY_* environment variables",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ack", help="confirm the exports of the last complete run (after the load)")
    failed = sub.add_parser("fail", help="report an export as failed (its reports go back to READY_TO_SEND)")
    failed.add_argument("--export-id", required=True)
    failed.add_argument("--message", required=True, help="errorText shown to the admin")
    cont = sub.add_parser("content", help="attach a file to an export, or read it back")
    cont.add_argument("action", choices=["put", "get"])
    cont.add_argument("--export-id", required=True)
    cont.add_argument("--file", help="file to attach (put)")
    cont.add_argument("--content-type", default="application/octet-stream")
    cont.add_argument("--file-name")
    cont.add_argument("--output", help="where to write the content (get; default stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "content" and args.action == "put" and not args.file:
        build_parser().error("content put needs --file")
    with one_line_errors(TapFindity.name):
        tap = _tap(args.config or ["ENV"])
        if args.command == "ack":
            return ack(tap, sys.stdout)
        if args.command == "fail":
            return fail(tap, args.export_id, args.message, sys.stdout)
        return content(tap, args, sys.stdout)
    return 1  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
