"""Attachments downloaded in parallel, emitted in order: the `files` stream of a parent record runs ahead on a
bounded pool of threads (`max_parallel_downloads`), and its records are emitted when the SDK syncs that child,
exactly where a serial run emits them.

How it fits the SDK: the SDK syncs a child stream once per parent record, inside the parent's loop, before it
writes the parent record. `Downloads.wire(tap)` gives the `files` stream's instance a `get_records` that first
looks for a prefetched result of its context (the child's own `get_records(context)`, run to the end on a
worker: every file stored and hashed, its records listed) and waits for it, and gives the parents named in
`ProviderTap.files_lookahead` a `get_records` that reads up to `2 × max_parallel_downloads` records ahead of
what the SDK has processed and submits their children's contexts. Only parents whose `get_records` has no
side effect on the bookmark when it is resumed may look ahead (not Įvesk's documents or Pleo's accounting
entries, whose position follows the SDK's consumption); such a parent may instead `prefetch` the children of
the records of a page it holds (`Downloads.prefetch`), which moves no bookmark.

Guarantees: a `files` record is emitted only after its file is stored and its sha256 known (the worker returns
complete records only); the records, STATE messages and bookmarks come in the serial run's order (the main
thread emits everything); a download that finally fails raises its error (one line naming the file, from the
child's own code) when the SDK reaches that child: nothing after it is emitted. Rate limits: the API host's
downloads take slots of the tap's thread-safe limiter (`open_stream`), pre-signed hosts' do not.

Child reads ahead (`max_parallel_requests`, `ChildReads`): over a real network a tap is latency-bound, one
request at a time, so children that are one request (chain) per parent record — Candis postings per export,
Pleo job items per job, Findity packages per export — are read ahead on a second bounded pool. Only the HTTP
runs there: when a page of a parent named in `ProviderTap.child_reads_page_prefetch` arrives (a page moves no
bookmark), the contexts of the children its records will produce (the parent's `will_emit`) are queued, and at
most `2 × max_parallel_requests` of them are read at a time: the child's `prefetch_reads(context)`, on a copy of
the stream, sends the child's own prepared requests through its own request policy (retries, Retry-After, 401
refresh, the shared rate limiter) and keeps the responses, bodies read into memory. When the SDK syncs that
child, its own `get_records` runs on the main thread with those responses served in place of its requests, in
order (`read_pages`, `read_body`): records, manifest notes, bookmarks and STATE are a serial run's. Whatever
was not prefetched, differs (another request, a body too large, a broken one) or failed other than with the
request's final error runs serially; a final error is raised where the serial run raises it.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import json
import threading
import typing as t

#: attachments downloaded at once by default (benchmarks/README.md, "Over a network": 1 against 8)
DEFAULT_PARALLEL_DOWNLOADS = 8


def _listed(get_records: t.Callable[[t.Any], t.Iterable[dict]], context: dict) -> list[dict]:
    return list(get_records(context))


def context_key(context: t.Mapping[str, t.Any] | None) -> str:
    return json.dumps(dict(context or {}), sort_keys=True, default=str)


def child_contexts(parent: t.Any, record: dict, context: t.Any) -> list[dict]:
    """The child contexts the SDK will sync for `record` (a record of `parent`, as its `get_records` yields it):
    those of a copy post-processed as the SDK will."""
    processed = parent.post_process(copy.deepcopy(record), context)
    if processed is None:
        return []
    return [c for c in parent.generate_child_contexts(record=processed, context=context) if c is not None]


def page_prefetching(
    parent: t.Any,
    prefetch: t.Callable[[dict, t.Any], None],
    page: t.Callable[[list[dict], t.Any], None] | None = None,
) -> None:
    """Give `parent` a `parse_response` that first calls `page(records, context)` once (when given) and then
    `prefetch(record, context)` for every record of the page (the JSON list under the stream's `records_key`, or
    `data`, or the body itself; the body is parsed once, `tapkit.http.parsed_json`), then hands the page to the
    stream's own parse as it was; and a `get_records` that notes the partition it reads (the context of those
    children). A page moves no bookmark."""
    from tapkit.http import parsed_json

    own_parse, own_records = parent.parse_response, parent.get_records
    current: dict[str, t.Any] = {}

    def get_records(context: t.Any) -> t.Iterable[dict]:
        current["context"] = context
        yield from own_records(context)

    def parse_response(response: t.Any) -> t.Iterable[dict]:
        try:
            body = parsed_json(response)
            records = body if isinstance(body, list) else body.get(getattr(parent, "records_key", None) or "data")
        except (ValueError, AttributeError):
            records = None  # the stream's own parse reports a bad body
        listed = [record for record in records if isinstance(record, dict)] if isinstance(records, list) else []
        if page is not None and listed:
            page(listed, current.get("context"))
        for record in listed:
            prefetch(record, current.get("context"))
        return own_parse(response)

    parent.get_records, parent.parse_response = get_records, parse_response


class Downloads:
    """The tap's pool of attachment downloads and the prefetched children not yet emitted."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: dict[str, concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        self.child: t.Any = None

    @property
    def parallel(self) -> bool:
        return self.workers > 1 and self.child is not None

    def wire(self, tap: t.Any) -> None:
        """Give the `files` stream and the look-ahead parents their prefetching `get_records` (once)."""
        child = tap.streams.get("files") if tap.config.get("files_dir") else None
        if child is None or self.workers <= 1:
            return
        self.child = child
        own = child.get_records

        def get_records(context: t.Any) -> t.Iterable[dict]:
            future = self._take(context)
            if future is None:
                yield from own(context)
            else:
                records = future.result()
                tap.files_prefetched(context)  # after the worker's own get_records ran to its end
                yield from records

        child.get_records = get_records
        child._tapkit_own_get_records = own
        for name in getattr(tap, "files_lookahead", ()):
            parent = tap.streams.get(name)
            if parent is not None and child in parent.child_streams:
                parent.get_records = self._looking_ahead(parent, parent.get_records)
        for name in getattr(tap, "files_page_prefetch", ()):
            parent = tap.streams.get(name)
            if parent is not None and child in parent.child_streams:
                self._page_prefetching(parent)

    def prefetch(self, parent: t.Any, record: dict, context: t.Any) -> None:
        """Start the `files` children of `record` (a record of `parent`, as its `get_records` yields it: the
        children's contexts are those of a copy post-processed as the SDK will). A context that turns out
        different from the one the SDK syncs is only a wasted prefetch: the child then runs serially."""
        if not self.parallel or not (self.child.selected or self.child.has_selected_descendents):
            return
        for child_context in child_contexts(parent, record, context):
            key = context_key(child_context)
            with self._lock:
                if key in self._pending:
                    continue
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="download")
                self._pending[key] = self._pool.submit(_listed, self.child._tapkit_own_get_records, dict(child_context))

    def in_order(self, work: t.Callable[[t.Any], t.Any], items: t.Iterable[t.Any]) -> t.Iterator[t.Any]:
        """`work(item)` for each item on the pool, at most `2 × workers` ahead; the results in the items' order
        (an error raised when its turn comes). Within one child context (Findity's vouchers of an export);
        never from a worker. Serial when the pool has one worker."""
        if self.workers <= 1:
            yield from map(work, items)
            return
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="download")
            pool = self._pool
        window: collections.deque[concurrent.futures.Future] = collections.deque()
        try:
            for item in items:
                window.append(pool.submit(work, item))
                if len(window) > 2 * self.workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()

    def _take(self, context: t.Any) -> concurrent.futures.Future | None:
        with self._lock:
            return self._pending.pop(context_key(context), None)

    def _looking_ahead(self, parent: t.Any, own: t.Callable[[t.Any], t.Iterable[dict]]) -> t.Callable:
        depth = 2 * self.workers

        def get_records(context: t.Any) -> t.Iterator[dict]:
            window: collections.deque[dict] = collections.deque()
            for record in own(context):
                self.prefetch(parent, record, context)
                window.append(record)
                if len(window) > depth:
                    yield window.popleft()
            while window:
                yield window.popleft()

        return get_records

    def _page_prefetching(self, parent: t.Any) -> None:
        """Per page of `parent`: the child's `page_arrived(parent, records, context)` when it has one (it may
        prepare for the page as a whole, as Pleo lists a page's receipts at once), then each record's files."""
        arrived = getattr(self.child, "page_arrived", None)
        page = (lambda records, context: arrived(parent, records, context)) if arrived else None
        page_prefetching(parent, lambda record, context: self.prefetch(parent, record, context), page)

    def close(self) -> None:
        """Drop what was prefetched and not emitted (a failed run) and stop the workers."""
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
            pool, self._pool = self._pool, None
        for future in pending:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


#: child contexts read at once by default (`max_parallel_requests`): at 300 ms, 4 halves a Pleo first sync beside
#: parallel downloads (benchmarks/README.md, "Over a network"); safe for a shared organization, as every request
#: takes a slot of the tap's one rate limiter
DEFAULT_PARALLEL_REQUESTS = 4
#: a prefetched body larger than this is left to the main thread, which streams it as a serial run does
MAX_PREFETCHED_BODY = 8 * 1024 * 1024
_CHUNK = 64 * 1024


def _request_id(prepared: t.Any) -> tuple[str, str]:
    return (prepared.method or "GET").upper(), str(prepared.url)


class Recording:
    """What a worker's reads of one child context got, in order: per request sent, its method and URL and the
    response (its body in memory) or the request's final error."""

    def __init__(self) -> None:
        self.exchanges: collections.deque[tuple[tuple[str, str], t.Any]] = collections.deque()

    def add(self, prepared: t.Any, outcome: t.Any) -> None:
        self.exchanges.append((_request_id(prepared), outcome))


def read_pages(stream: t.Any, context: t.Any) -> Recording:
    """The requests the SDK's `request_records(context)` sends, on a worker: its own paginator, prepared requests
    and `request_decorator(_request)`, up to the page the SDK stops at (no next page, or no records)."""
    from singer_sdk.pagination import SinglePagePaginator

    recording = Recording()
    paginator = stream.get_new_paginator() or SinglePagePaginator()
    send = stream.request_decorator(stream._request)
    while not paginator.finished:
        prepared = stream._prepare_request(context=context, page=paginator)
        try:
            response = send(prepared, context)
        except Exception as exc:  # noqa: BLE001 - the final error, raised on the main thread at its turn
            recording.add(prepared, exc)
            break
        recording.add(prepared, response)
        try:  # (what the SDK does with the page; an error here is the main thread's to raise, from its own parse)
            if next(iter(stream.parse_response(response)), None) is None and not paginator.continue_if_empty(response):
                break
            paginator.advance(response)
        except Exception:  # noqa: BLE001
            break
    return recording


def read_body(stream: t.Any, url: str) -> Recording:
    """`GET url` as `tapkit.resumable.read_resumably` sends it (`request_decorator(open_stream)`), on a worker,
    the body read into memory. A body that breaks off or exceeds MAX_PREFETCHED_BODY is not kept: the main
    thread then reads it itself, streaming and resuming as a serial run does."""
    recording = Recording()
    prepared = stream.build_prepared_request(method="GET", url=url, headers=stream.http_headers)
    try:
        response = stream.request_decorator(stream.open_stream)(prepared, None)
    except Exception as exc:  # noqa: BLE001 - the final error, raised on the main thread at its turn
        recording.add(prepared, exc)
        return recording
    chunks: list[bytes] = []
    size = 0
    with response:
        try:
            for chunk in response.iter_content(chunk_size=_CHUNK):
                size += len(chunk)
                if size > MAX_PREFETCHED_BODY:
                    return recording
                chunks.append(chunk)
        except Exception:  # noqa: BLE001 - read again (and retried) by the main thread
            return recording
    # what `requests.Response.content` does: the body is now in memory and `iter_content` replays it
    response._content = b"".join(chunks)
    response._content_consumed = True
    recording.add(prepared, response)
    return recording


class _Entry:
    __slots__ = ("child", "context", "future")

    def __init__(self, child: t.Any, context: dict) -> None:
        self.child, self.context = child, context
        self.future: concurrent.futures.Future | None = None


class ChildReads:
    """The tap's reads of child contexts ahead of the SDK (`max_parallel_requests`): planned in the parents'
    order, at most `2 × workers` read or held at a time, each served to the child's own `get_records` when the
    SDK syncs it. A child takes part by having `prefetch_reads(context)` (a Recording, or None when that context
    sends no request; `read_pages` or `read_body`) and may name what its requests depend on, `prefetch_key`."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self.depth = 2 * self.workers
        self._entries: collections.OrderedDict[tuple[str, str], _Entry] = collections.OrderedDict()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._children: dict[str, list[t.Any]] = {}
        self._lock = threading.Lock()

    def wire(self, tap: t.Any) -> None:
        """Give the parents in `ProviderTap.child_reads_page_prefetch` their page prefetch and their children that
        take part their replaying `get_records` (once)."""
        if self.workers <= 1:
            return
        for name in getattr(tap, "child_reads_page_prefetch", ()):
            parent = tap.streams.get(name)
            children = [c for c in getattr(parent, "child_streams", ()) if hasattr(c, "prefetch_reads")]
            if parent is None or not children:
                continue
            self._children[parent.name] = children
            for child in children:
                self._wire_child(child)
            page_prefetching(parent, lambda record, context, parent=parent: self.plan(parent, record, context))

    def plan(self, parent: t.Any, record: dict, context: t.Any) -> None:
        """Queue the children of `record` (a listed record of `parent`) that the parent will emit (`will_emit`)."""
        will_emit = getattr(parent, "will_emit", None)
        if will_emit is not None and not will_emit(record, context):
            return
        children = [c for c in self._children.get(parent.name, ()) if c.selected or c.has_selected_descendents]
        if not children:
            return
        for child_context in child_contexts(parent, record, context):  # in the SDK's order: contexts, children
            for child in children:
                key = self._key(child, child_context)
                with self._lock:
                    if key not in self._entries:
                        self._entries[key] = _Entry(child, dict(child_context))
        self._fill()

    def close(self) -> None:
        """Drop what was read and not used (a failed run, a record not emitted) and stop the workers."""
        with self._lock:
            entries, self._entries = list(self._entries.values()), collections.OrderedDict()
            pool, self._pool = self._pool, None
        for entry in entries:
            if entry.future is not None:
                entry.future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _key(child: t.Any, context: t.Any) -> tuple[str, str]:
        key = getattr(child, "prefetch_key", None)
        return child.name, (str(key(context)) if key is not None else context_key(context))

    def _fill(self) -> None:
        """Start reading the next planned contexts while fewer than `depth` are read or held (main thread)."""
        with self._lock:
            busy = sum(1 for e in self._entries.values() if e.future is not None)
            for entry in self._entries.values():
                if busy >= self.depth:
                    break
                if entry.future is None:
                    if self._pool is None:
                        self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="read")
                    entry.future = self._pool.submit(self._worker(entry.child).prefetch_reads, entry.context)
                    busy += 1

    @staticmethod
    def _worker(child: t.Any) -> t.Any:
        """A copy of the stream for one worker: the same session, authenticator, limiter and policy, its own
        per-request flags (the 401 refresh), and the stream's own methods (not the main thread's replay)."""
        child.requests_session  # noqa: B018 - created once, shared by the copies (one connection pool)
        worker = copy.copy(child)
        for name in ("get_records", "_request", "open_stream", "_tapkit_replay"):
            vars(worker).pop(name, None)
        worker._tapkit_refreshed_once = False
        return worker

    def _take(self, child: t.Any, context: t.Any) -> Recording | None:
        """The reads of this context (waited for), or None: not planned, or not read ahead. What was planned
        before it is dropped: the SDK syncs children in the parents' order, so it skipped those."""
        key = self._key(child, context)
        with self._lock:
            if key not in self._entries:
                return None
            while True:
                found, entry = self._entries.popitem(last=False)
                if found == key:
                    break
                if entry.future is not None:
                    entry.future.cancel()
        self._fill()
        if entry.future is None:
            return None
        try:
            return entry.future.result()
        except Exception:  # noqa: BLE001 - a fault of the read-ahead itself: the child reads serially
            return None

    def _wire_child(self, child: t.Any) -> None:
        own_records = child.get_records

        def get_records(context: t.Any) -> t.Iterator[dict]:
            recording = self._take(child, context)
            if recording is None:
                yield from own_records(context)
                return
            child._tapkit_replay = (threading.get_ident(), recording.exchanges)
            try:
                yield from own_records(context)
            finally:
                child._tapkit_replay = None

        child.get_records = get_records
        for name in ("_request", "open_stream"):
            if hasattr(child, name):
                setattr(child, name, self._replaying(child, getattr(child, name)))

    @staticmethod
    def _replaying(child: t.Any, own: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """`own(prepared, context)`, except while the main thread replays a recording of this child: then the
        recorded outcome of the same request, in order (after a request the recording lacks, the rest is
        dropped and the child sends its own)."""

        def call(prepared: t.Any, context: t.Any) -> t.Any:
            replay = vars(child).get("_tapkit_replay")
            if replay is not None and replay[0] == threading.get_ident() and replay[1]:
                exchanges = replay[1]
                request_id, outcome = exchanges[0]
                if request_id == _request_id(prepared):
                    exchanges.popleft()
                    if isinstance(outcome, BaseException):
                        raise outcome
                    return outcome
                exchanges.clear()
            return own(prepared, context)

        return call
