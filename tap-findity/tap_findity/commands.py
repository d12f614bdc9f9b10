"""`tap-findity-writeback`: the Findity write-back, run by Meltano AFTER the loader.

    meltano run tap-findity target-duckdb findity-writeback:ack

* ``ack`` — confirms (``PUT /exports/{id}/updatestatus``, every voucher ``SUCCESS``) exactly the exports the
  last complete tap run extracted (its run manifest: see tapkit.manifest). Meltano only reaches this step when
  the tap and the loader succeeded, so these are exports whose vouchers the target stored. Each export is
  marked in the manifest once confirmed, so a second ``ack`` does nothing; an export Findity already shows as
  processed counts as confirmed. Findity then moves the reports to SENT and drops the export from the list.
* ``fail --export-id ID --message TEXT`` — reports every voucher of the export ``FAILED`` with ``errorText``:
  the reports go back to READY_TO_SEND and an admin can re-trigger the export.
* ``content put --export-id ID --file PATH [--content-type T] [--file-name N]`` / ``content get --export-id ID
  [--output PATH]`` — attach a file (e.g. a generated SIE or CSV) to the export / read it back.

Settings, output and errors are tapkit.commands' (``--config``, ``--json``, ``tap-findity: error: ...``).
"""

from __future__ import annotations

from pathlib import Path

from tapkit.commands import CommandLine, Context, arg
from tapkit.errors import TapError
from tapkit.http import ProviderClientError
from tapkit.timeutil import utc_now_seconds

from tap_findity.package_reader import read_vouchers
from tap_findity.tap import TapFindity

BATCH = 500  # voucher updates per request
PROCESSED_ALREADY = "INVALID_SEND_STATE"
EXPORT_ID = arg("--export-id", required=True)

cli = CommandLine(TapFindity, "tap-findity-writeback", "The Findity write-back, run by Meltano after the loader.")
main = cli.main


class Findity:
    """The write calls, through the `exports` stream's HTTP policy (auth renewal, retries, one-line errors)."""

    def __init__(self, tap: TapFindity) -> None:
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

    def put_content(self, export_id: str, data: bytes, content_type: str, file_name: str) -> None:
        headers = {
            **self.stream.http_headers,
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{file_name}"',
        }
        prepared = self.stream.build_prepared_request(
            method="PUT", url=self.content_url(export_id), data=data, headers=headers, params={"fileName": file_name}
        )
        self.stream.send_json(prepared)

    def get_content(self, export_id: str) -> tuple[bytes, str]:
        headers = {**self.stream.http_headers, "Accept": "*/*"}
        prepared = self.stream.build_prepared_request(method="GET", url=self.content_url(export_id), headers=headers)
        with self.stream.request_decorator(self.stream.open_stream)(prepared, None) as response:
            return response.content, response.headers.get("Content-Type", "")

    def content_url(self, export_id: str) -> str:
        return f"{self.stream.url_base}/exports/{export_id}/content"

    def already_processed(self, export_id: str) -> str | None:
        """Findity's status of an export that is no longer UNPROCESSED (`gone` if unknown), else None."""
        try:
            status = self.export(export_id).get("status")
        except ProviderClientError as exc:
            if exc.code == "EXPORT_NOT_FOUND" or exc.status == 404:
                return "gone"
            raise
        return None if status in (None, "UNPROCESSED") else str(status)


@cli.command("ack", help="confirm the exports of the last complete run (after the load)")
def ack(ctx: Context) -> None:
    manifest = ctx.tap.manifest
    pending = manifest.unacknowledged()
    if not pending:
        ctx.out.note(f"nothing to acknowledge ({manifest.path})")
    api = Findity(ctx.tap)
    for export_id, payload in pending.items():
        if payload.get("derivedIds"):
            msg = f"export {export_id}: its vouchers came without ids, so Findity cannot be told their status"
            raise TapError(msg)
        vouchers = len(payload["voucherIds"])
        status = api.already_processed(export_id)
        if status is None:
            now = utc_now_seconds()
            updates = [
                {"id": vid, "status": "SUCCESS", "bookingDate": now, "informationText": "Loaded by tap-findity"}
                for vid in payload["voucherIds"]
            ]
            try:
                api.update(export_id, updates)
                status = "PROCESSED"
            except ProviderClientError as exc:
                if exc.code != PROCESSED_ALREADY:
                    raise
                status = api.already_processed(export_id) or "UNPROCESSED"
                if status == "UNPROCESSED":
                    raise
        manifest.mark_acked(export_id, {"status": status, "vouchers": vouchers})
        ctx.out.result(
            f"export {export_id}: {vouchers} voucher(s) confirmed (Findity status {status})",
            exportId=export_id,
            vouchers=vouchers,
            status=status,
        )


@cli.command(
    "fail",
    help="report an export as failed (its reports go back to READY_TO_SEND)",
    args=(EXPORT_ID, arg("--message", required=True, help="errorText shown to the admin")),
)
def fail(ctx: Context) -> None:
    export_id, message = ctx.args.export_id, ctx.args.message
    api = Findity(ctx.tap)
    manifest = ctx.tap.manifest
    payload = manifest.unacknowledged().get(export_id)
    ids = payload["voucherIds"] if payload and not payload.get("derivedIds") else api.voucher_ids(export_id)
    api.update(export_id, [{"id": vid, "status": "FAILED", "errorText": message} for vid in ids])
    manifest.mark_acked(export_id, {"status": "FAILED", "message": message})
    ctx.out.result(
        f"export {export_id}: {len(ids)} voucher(s) reported FAILED",
        exportId=export_id,
        vouchers=len(ids),
        status="FAILED",
    )


@cli.command(
    "content",
    help="attach a file to an export, or read it back",
    args=(
        arg("action", choices=["put", "get"]),
        EXPORT_ID,
        arg("--file", help="file to attach (put)"),
        arg("--content-type", default="application/octet-stream"),
        arg("--file-name", help="name Findity stores (put; default the file's name)"),
        arg("--output", help="where to write the content (get; default stdout)"),
    ),
)
def content(ctx: Context) -> None:
    args, api = ctx.args, Findity(ctx.tap)
    if args.action == "put":
        if not args.file:
            raise TapError("content put needs --file")
        path = Path(args.file)
        if not path.is_file():
            raise TapError(f"--file {path} does not exist")
        data, name = path.read_bytes(), args.file_name or path.name
        api.put_content(args.export_id, data, args.content_type, name)
        ctx.out.result(
            f"export {args.export_id}: attached {name} ({len(data)} bytes, {args.content_type})",
            exportId=args.export_id,
            fileName=name,
            size=len(data),
            contentType=args.content_type,
        )
        return
    data, ctype = api.get_content(args.export_id)
    if not args.output:
        ctx.out.write_bytes(data)
        ctx.out.note(f"export {args.export_id}: content written to stdout ({len(data)} bytes, {ctype})")
        return
    Path(args.output).write_bytes(data)
    ctx.out.result(
        f"export {args.export_id}: content written to {args.output} ({len(data)} bytes, {ctype})",
        exportId=args.export_id,
        size=len(data),
        contentType=ctype,
        path=args.output,
    )
