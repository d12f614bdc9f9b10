"""Everything the Candis emulator holds for one (seed, scale): per organization its data, modifications and
exports (:class:`OrganizationData`), and the token store they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..framework.data import company_name, record_rng
from ..framework.money import Totals
from ..framework.tenants import Organizations, seed_and_scale, sum_streams
from .config import ORGANIZATIONS, CandisConfig, initial_refresh_token
from .exports import POOL_REFERENCE_MS, Export, ExportBook
from .oauth import TokenStore
from .parties import Parties
from .postings import POOL_SPACES, SPACE_HISTORY, PostingCore, PostingFactory
from .records import STREAM_CLASSES, ListStream

SPACE_ENTITY_TYPES = {space: etype for etype, space in POOL_SPACES.items()}


def organization_name(slug: str) -> str:
    """The name of a known organization, else a German company name drawn from the slug."""
    return ORGANIZATIONS.get(slug) or company_name(record_rng(0, "candis-organization", slug), "DE")


class OrganizationData:
    """What one organization holds: its seeded data (its own ``seed`` and ``scale``), modifications and exports."""

    def __init__(self, slug: str, seed: int, scale: int, config: CandisConfig, now_ms: Callable[[], int]) -> None:
        self.slug = slug
        self.name = organization_name(slug)
        self.config = config
        self.seed = seed
        self.scale = scale
        self.now_ms = now_ms
        self.parties = Parties(seed)
        self.postings = PostingFactory(seed, self.parties, slug, self.name)
        self.exports = ExportBook.seeded(seed, scale)
        self.streams: dict[str, ListStream] = {
            name: cls(seed, scale, self.parties, slug) for name, cls in STREAM_CLASSES.items()
        }
        #: modified records per stream: {index: new updatedAt ms}
        self.overlay: dict[str, dict[int, int]] = {name: {} for name in self.streams}
        self._next_unmodified = dict.fromkeys(self.streams, 0)
        self.version = 0  # bumped by every change of data (not by the clock)
        self._truth_base: dict | None = None
        self._truth_cache: tuple[tuple, dict] | None = None

    # -- modifications ------------------------------------------------------------------------------
    def modify(self, stream: str, count: int) -> list[int]:
        """Modify the first ``count`` records, in ascending updatedAt order, that are still unmodified.

        Base updatedAt grows with the index, so these are the lowest unmodified indices: exactly the
        records a client paging by ascending updatedAt has already seen. They get updatedAt = now.
        """
        overlay = self.overlay[stream]
        n = self.streams[stream].n
        now = self.now_ms()
        changed = []
        i = self._next_unmodified[stream]
        while len(changed) < count and i < n:
            if i not in overlay:
                overlay[i] = now
                changed.append(i)
            i += 1
        self._next_unmodified[stream] = i
        if changed:
            self.version += 1
        return changed

    # -- exports and postings ---------------------------------------------------------------------------
    def create_export(self, entity_type: str) -> Export | None:
        export = self.exports.create(entity_type, self.now_ms(), self.config.export_delay)
        if export is not None:
            self.version += 1
        return export

    def add_exportable(self, entity_type: str, count: int) -> int:
        self.exports.add_exportable(entity_type, count)
        self.version += 1
        return self.exports.exportable(entity_type)

    def complete_export(self, export: Export) -> None:
        export.forced_done = True
        self.version += 1

    def posting_cores(self, export: Export) -> Iterator[PostingCore]:
        ref = export.created_ms if export.space == SPACE_HISTORY else POOL_REFERENCE_MS
        core = self.postings.core
        for index in range(export.start, export.start + export.count):
            yield core(export.space, index, export.entity_type, ref)

    def file_core(self, file_id: str) -> tuple[PostingCore, int] | None:
        decoded = self.postings.decode_file_id(file_id)
        if decoded is None:
            return None
        space, index, position = decoded
        if space == SPACE_HISTORY:
            export = self.exports.history_export_of(index)
            if export is None:
                return None
            core = self.postings.core(space, index, export.entity_type, export.created_ms)
        elif space in SPACE_ENTITY_TYPES:
            entity_type = SPACE_ENTITY_TYPES[space]
            if index >= self.exports.pool_added[entity_type]:
                return None
            core = self.postings.core(space, index, entity_type, POOL_REFERENCE_MS)
        else:
            return None
        if position >= core.nfiles:
            return None
        return core, position

    # -- ground truth --------------------------------------------------------------------------------
    def _base_truth(self) -> dict:
        """Totals of the seeded data (history exports, unmodified streams); computed once per state."""
        if self._truth_base is None:
            postings, files = Totals(), [0, 0]
            count = failed = 0
            for export in self.exports.history:
                failed += export.failed
                for core in self.posting_cores(export):
                    count += 1
                    postings.add(core.currency, core.minor)
                    files[0] += core.nfiles
                    files[1] += self.postings.files_size(core)
            streams = {}
            for name, stream in self.streams.items():
                totals = Totals()
                money = stream.money
                for i in range(stream.n):
                    currency, minor = money(i)
                    totals.add(currency, minor)
                streams[name] = totals
            self._truth_base = {
                "postings": postings,
                "posting_count": count,
                "failed": failed,
                "files": files,
                "streams": streams,
            }
        return self._truth_base

    def ground_truth(self) -> dict:
        now = self.now_ms()
        done = tuple(e.id for e in self.exports.created if e.status(now) != "EXPORTING")
        key = (self.version, done)
        if self._truth_cache is not None and self._truth_cache[0] == key:
            return self._truth_cache[1]
        base = self._base_truth()
        postings = base["postings"].copy()
        count, failed = base["posting_count"], base["failed"]
        files_count, files_bytes = base["files"]
        done_ids = set(done)
        for export in self.exports.created:
            if export.id not in done_ids:
                continue
            failed += export.failed
            for core in self.posting_cores(export):
                count += 1
                postings.add(core.currency, core.minor)
                files_count += core.nfiles
                files_bytes += self.postings.files_size(core)
        streams_out = {}
        money_paths = {
            "reimbursement_items": "totalAmount.amount",
            "invoices": "amount.value",
            "purchase_requests": "grossAmount.value",
        }
        for name, stream in self.streams.items():
            totals = base["streams"][name].copy()
            for i, modified_ms in self.overlay[name].items():
                cur0, m0 = stream.money(i)
                cur1, m1 = stream.money(i, modified_ms)
                totals.add(cur0, -m0)
                totals.add(cur1, m1)
            streams_out[name] = {"count": stream.n, "money": {money_paths[name]: totals.as_strings(2)}}
        result = {
            "provider": "candis",
            "organization": self.slug,
            "seed": self.seed,
            "scale": self.scale,
            "streams": {
                "exports": {"count": len(self.exports.history) + len(self.exports.created), "money": {}},
                "postings": {"count": count, "money": {"amount.value": postings.as_strings(2)}},
                "failed_postings": {"count": failed, "money": {}},
                **streams_out,
                "files": {"count": files_count, "bytes": files_bytes, "money": {}},
            },
        }
        self._truth_cache = (key, result)
        return result


class CandisState(Organizations[OrganizationData]):
    """The organizations (``config.organizations``; the first keeps ``seed`` and ``scale``, the others get their
    own from their slug) and the token store of the token endpoint (``oauth.py``)."""

    def __init__(self, config: CandisConfig, now_ms: Callable[[], int]) -> None:
        self.config = config
        self.seed = config.seed
        self.scale = config.scale
        self.now_ms = now_ms
        self.organizations: dict[str, OrganizationData] = {}
        prefixes: set[str] = set()
        for k, slug in enumerate(config.organizations):
            seed, scale = seed_and_scale(config.seed, config.scale, "candis", slug, first=k == 0)
            data = OrganizationData(slug, seed, scale, config, now_ms)
            factory = data.postings
            while factory.file_prefix in prefixes:  # file ids stay unique across the organizations
                factory.file_prefix = str(10000 + (int(factory.file_prefix) - 10000 + 1) % 90000)
            prefixes.add(factory.file_prefix)
            self.organizations[slug] = data
        self.tokens = TokenStore(config, now_ms)

    def find_export(self, export_id: str) -> tuple[OrganizationData, Export] | None:
        for data in self.organizations.values():
            export = data.exports.get(export_id)
            if export is not None:
                return data, export
        return None

    # -- tenants and ground truth --------------------------------------------------------------------
    def tenants(self) -> list[dict[str, Any]]:
        return [
            {
                "id": data.slug,
                "name": data.name,
                "seed": data.seed,
                "scale": data.scale,
                "refreshToken": initial_refresh_token(data.slug, self.config.organizations),
            }
            for data in self.organizations.values()
        ]

    def tenant_ground_truth(self, slug: str) -> dict:
        return {**self.organizations[slug].ground_truth(), "tenant": slug}

    def ground_truth(self) -> dict:
        """The first organization's truth with one organization; with several, its header and every stream
        added up over the organizations."""
        truths = [data.ground_truth() for data in self.organizations.values()]
        if len(truths) == 1:
            return truths[0]
        return {**truths[0], "streams": sum_streams(truths)}
