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
        processed = parent.post_process(copy.deepcopy(record), context)
        if processed is None:
            return
        for child_context in parent.generate_child_contexts(record=processed, context=context):
            if child_context is None:
                continue
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
        """Give `parent` a `parse_response` that first starts the children of every record of the page (the
        JSON list under the stream's `records_key`, or `data`; the body is parsed once,
        `tapkit.http.parsed_json`), then hands the page to the stream's own parse as it was; and a
        `get_records` that notes the partition it reads (the context of those children)."""
        from tapkit.http import parsed_json

        own_parse, own_records = parent.parse_response, parent.get_records
        current: dict[str, t.Any] = {}

        def get_records(context: t.Any) -> t.Iterable[dict]:
            current["context"] = context
            yield from own_records(context)

        def parse_response(response: t.Any) -> t.Iterable[dict]:
            try:
                records = parsed_json(response).get(getattr(parent, "records_key", None) or "data") or []
            except (ValueError, AttributeError):
                records = []  # the stream's own parse reports a bad body
            for record in records:
                if isinstance(record, dict):
                    self.prefetch(parent, record, current.get("context"))
            return own_parse(response)

        parent.get_records, parent.parse_response = get_records, parse_response

    def close(self) -> None:
        """Drop what was prefetched and not emitted (a failed run) and stop the workers."""
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
            pool, self._pool = self._pool, None
        for future in pending:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
