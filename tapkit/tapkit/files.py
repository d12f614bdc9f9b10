"""Stream attachments to a local folder or any fsspec URL, hashing on the way (never whole files in memory)."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import mimetypes
import re
import threading
import typing as t
import uuid

import fsspec
from singer_sdk import typing as th

if t.TYPE_CHECKING:
    from collections.abc import Iterable

CHUNK = 256 * 1024


def no_auth(request: t.Any) -> t.Any:
    """Authenticator for pre-signed storage URLs: they carry their own signature, and the provider's
    credentials must never reach the storage host (S3 also refuses a second auth mechanism)."""
    return request


def owner_properties(owners: str, key: str) -> list[th.Property]:
    """`ownerStream` / `ownerId`: the record a `files` record belongs to (`owners`: its stream or streams,
    `key`: what its primary key is)."""
    return [
        th.Property("ownerStream", th.StringType, description=f"Stream of the record this file belongs to: {owners}."),
        th.Property("ownerId", th.StringType, description=f"Primary key of that record ({key})."),
    ]


def stored_file_properties(*, sha256: str = "Hex SHA-256 of the stored bytes.") -> list[th.Property]:
    """The schema properties every `files` record ends with: what was stored, where and when."""
    return [
        th.Property("size", th.IntegerType, description="Bytes stored."),
        th.Property("sha256", th.StringType, description=sha256),
        th.Property("path", th.StringType, description="Where the file was stored (path or fsspec URL)."),
        th.Property("downloadedAt", th.DateTimeType),
    ]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, fallback: str = "file") -> str:
    """A file-name component without path separators or odd characters."""
    cleaned = _UNSAFE.sub("_", name or "").strip("._")
    return cleaned[:150] or fallback


class FileSink:
    """Writes downloads under `root` (local path or fsspec URL such as ``s3://bucket/prefix``)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.root)

    def url_for(self, *parts: str) -> str:
        return "/".join([self.root, *(safe_name(p) for p in parts)])

    def exists(self, *parts: str) -> int | None:
        """Size of an already stored file, or None."""
        path = self._path(*parts)
        try:
            return int(self.fs.size(path)) if self.fs.exists(path) else None
        except (OSError, ValueError):
            return None

    def stored(self, *parts: str) -> dict | None:
        """The `files` properties of an already stored file (size, sha256, path, downloadedAt = when it was
        written), or None. Re-emitting a file's record must not blank what the first run reported. The digest
        comes from the file's `.<name>.sha256` sidecar when it matches the size (no re-read of the file: on
        S3 that would be a download); otherwise it is computed and the sidecar written."""
        size = self.exists(*parts)
        if size is None:
            return None
        path = self._path(*parts)
        try:
            modified = self.fs.modified(path)
        except (NotImplementedError, OSError, ValueError, KeyError):
            modified = None
        if modified is not None and modified.tzinfo is None:
            modified = modified.replace(tzinfo=datetime.UTC)
        digest = self._recorded_digest(path, size)
        if digest is None:
            digest = self.sha256_of(*parts)
            self._record_digest(path, size, digest)
        return {
            "size": size,
            "sha256": digest,
            "path": self.url_for(*parts),
            "downloadedAt": modified.astimezone(datetime.UTC).isoformat(timespec="seconds") if modified else None,
        }

    def _path(self, *parts: str) -> str:
        return "/".join([self.base, *(safe_name(p) for p in parts)])

    @staticmethod
    def _sidecar(path: str) -> str:
        folder, name = path.rsplit("/", 1)
        return f"{folder}/.{name}.sha256"

    def _recorded_digest(self, path: str, size: int) -> str | None:
        try:
            with self.fs.open(self._sidecar(path), "rb") as fh:
                digest, recorded = fh.read(200).decode().split()
            return digest if int(recorded) == size and len(digest) == 64 else None
        except (OSError, ValueError, UnicodeDecodeError):
            return None

    def _record_digest(self, path: str, size: int, digest: str) -> None:
        try:
            with self.fs.open(self._sidecar(path), "wb") as fh:
                fh.write(f"{digest} {size}\n".encode())
        except OSError:
            pass  # a read-only sink still works: the digest is computed from the file next time

    def names_in(self, *parts: str) -> set[str]:
        """Names of the files stored directly under root/parts (empty when the folder does not exist)."""
        folder = self._path(*parts)
        try:
            names = (str(p).rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False))
            return {name for name in names if not name.startswith(".")}  # not sidecars or partial downloads
        except (FileNotFoundError, NotADirectoryError):
            return set()

    def sha256_of(self, *parts: str) -> str:
        digest = hashlib.sha256()
        with self.fs.open(self._path(*parts), "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def write(self, chunks: Iterable[bytes], *parts: str) -> tuple[int, str, str]:
        """Stream `chunks` to root/parts; return (size, sha256, url). Local writes are atomic (temp + rename)."""
        final = self._path(*parts)
        parent = final.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        local = self.fs.protocol in ("file", ("file", "local")) or "file" in t.cast("tuple", self.fs.protocol)
        target = f"{parent}/.part-{uuid.uuid4().hex}" if local else final
        digest = hashlib.sha256()
        size = 0
        try:
            with self.fs.open(target, "wb") as fh:
                for chunk in chunks:
                    if chunk:
                        fh.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            if local:
                self.fs.mv(target, final)
        except BaseException:
            if local and self.fs.exists(target):
                self.fs.rm(target)
            raise
        self._record_digest(final, size, digest.hexdigest())
        return size, digest.hexdigest(), self.url_for(*parts)


def download(stream: t.Any, url: str, sink: FileSink, parts: tuple[str, ...]) -> tuple[int, str, str, str | None]:
    """GET `url` through the stream's HTTP policy and stream it into `sink`; a connection that breaks or times
    out mid-body is retried from the start (bounded by `max_retries`), then RetriesExhaustedError
    `GET /path: incomplete download after N tries (read timeout 60 s)` — method, path and the cause in words,
    never the host, the query string (a pre-signed URL's signature) or a secret. Returns (size, sha256, url,
    content type)."""
    import requests

    from tapkit.http import RetriesExhaustedError, network_cause, request_line

    attempts = int(stream.config.get("max_retries", 6)) + 1
    for attempt in range(1, attempts + 1):
        prepared = stream.build_prepared_request(method="GET", url=url, headers={"Accept": "*/*"})
        response = stream.request_decorator(stream.open_stream)(prepared, None)
        try:
            with response:
                size, digest, stored = sink.write(response.iter_content(chunk_size=CHUNK), *parts)
                return size, digest, stored, response.headers.get("Content-Type")
        except requests.RequestException as exc:
            cause = f" ({network_cause(exc, stream.timeout)})"
            if attempt == attempts:
                raise RetriesExhaustedError(request_line(prepared), attempts, "incomplete download", cause) from None
            stream.logger.warning(
                "Download of %s broke off (try %d failed): %s: incomplete download%s; retrying",
                parts[-1],
                attempt,
                request_line(prepared),
                cause,
            )
    raise AssertionError  # pragma: no cover


_LOCKS: dict[str, list] = {}  # a stored file's place -> [its lock, how many hold or wait for it]
_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def _storing(where: str) -> t.Iterator[None]:
    """Held while one file's place is checked and written: parallel downloads (tapkit.prefetch) of the same
    file take turns, so the second finds it stored. Only places in use have a lock."""
    with _LOCKS_GUARD:
        entry = _LOCKS.setdefault(where, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _LOCKS_GUARD:
            entry[1] -= 1
            if not entry[1]:
                del _LOCKS[where]


def store_file(
    stream: t.Any, sink: FileSink, url: str | None, parts: tuple[str, ...], content_type: str | None = None
) -> dict | None:
    """The stored-file properties of a `files` record (size, sha256, path, contentType, downloadedAt).

    A file already stored under `parts` is not fetched again (attachments are immutable by id): its record
    is rebuilt from storage. Otherwise `url` is downloaded; None when there is nothing stored and no URL.
    Provider errors (`ProviderClientError`) propagate: what a missing file means is the tap's decision."""
    guessed = content_type or mimetypes.guess_type(parts[-1])[0]
    with _storing(sink.url_for(*parts)):  # parallel downloads (tapkit.prefetch) of one file: the second waits
        found = sink.stored(*parts)
        if found is not None:
            return {**found, "contentType": guessed}
        if not url:
            return None
        size, digest, stored, served = download(stream, url, sink, parts)
    return {
        "size": size,
        "sha256": digest,
        "path": stored,
        "contentType": content_type or served or guessed,
        "downloadedAt": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
