#!/usr/bin/env python3
"""What landed in the warehouse, next to what the sandbox holds: rows and money, stream by stream.

Used by `./scripts/demo` (the summary table a person reads) and by the Meltano end-to-end tests
(`tests/e2e/`, which assert on the same comparison). Three warehouses are understood:

* DuckDB written by target-duckdb (jwills): nested objects are JSON columns, or `parent__child` columns
  when the tap's `flattening_enabled` is on; JSON numbers are DOUBLE there, so money is summed from the
  exact integer minor-unit fields the taps add beside every amount (`amount.valueMinor`, ...).
* PostgreSQL written by MeltanoLabs target-postgres: numbers are NUMERIC and nested objects JSONB (exact).
* A directory of JSON Lines files written by target-jsonl: parsed here with `Decimal` (exact).

The sandbox's ground truth (`GET /_sandbox/ground-truth`) reads
`{"provider": ..., "streams": {stream: {"count": int, "money": {field path: {currency: "decimal"}}}}}`.
For a money path such as `amount.value` the warehouse side is the sum, per currency, of the integer
`amount.valueMinor` (the currency from the sibling `currencyCode` or `currency`), converted with the
currency's ISO 4217 exponent; a path that already ends in `Minor` is compared as integers. Where the
warehouse keeps decimals exactly (`--exact`), the sum of the provider's own decimal is compared too (or of
the tap's exact `<path>Major` beside it, where the provider's field can be in minor units). Rows are
counted once per primary key (the upserting targets keep one row per key; an appending target such as
target-jsonl is deduplicated here, last record wins), and the raw row count is reported too.

CLI:  warehouse_summary.py --ground-truth URL_OR_FILE (--duckdb FILE | --postgres DSN | --jsonl DIR)
      [--schema tap_candis] [--title TEXT] [--exact]
exits 0 when every line matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import decimal
import json
import sys
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

Decimal = decimal.Decimal

# Primary keys of the streams (DESIGN.md), for warehouses that do not record them (JSON Lines); the SQL
# warehouses use the PRIMARY KEY the target created. Streams not listed are keyed on `id`.
PRIMARY_KEYS: dict[str, list[str]] = {
    "failed_postings": ["exportId", "id"],
    "export_job_items": ["exportJobId", "accountingEntryId"],
    "export_items": ["exportJobId", "accountingEntryId"],
    "columns": ["companyCode", "column", "code"],
    "voucher_rows": ["voucherId", "rowNumber"],
}

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {
    "BHD": 3,
    "BIF": 0,
    "CLF": 4,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "UYW": 4,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}
CURRENCY_SIBLINGS = ("currencyCode", "currency")
MINOR_SUFFIX = "Minor"
MAJOR_SUFFIX = "Major"


def currency_exponent(currency: str | None) -> int:
    """Minor-unit digits of an ISO 4217 currency."""
    return _EXPONENTS.get((currency or "").upper(), 2)


def primary_key(stream: str) -> list[str]:
    """The key properties of a stream."""
    return PRIMARY_KEYS.get(stream, ["id"])


@dataclasses.dataclass(frozen=True)
class MoneyPath:
    """How one ground-truth money path is found in the warehouse."""

    path: str  # as the ground truth names it, e.g. "amount.value"

    @property
    def is_minor(self) -> bool:
        return self.path.endswith(MINOR_SUFFIX)

    @property
    def minor_path(self) -> str:
        return self.path if self.is_minor else self.path + MINOR_SUFFIX

    @property
    def major_path(self) -> str:
        """Where a tap puts the exact major-unit amount when the provider's field may hold minor units."""
        return self.path + MAJOR_SUFFIX

    @property
    def currency_paths(self) -> list[str]:
        parent = self.path.rpartition(".")[0]
        return [f"{parent}.{name}" if parent else name for name in CURRENCY_SIBLINGS]


# ---------------------------------------------------------------------------------------------- ground truth
def load_ground_truth(source: str) -> dict[str, Any]:
    """Ground truth from the sandbox admin URL (http...) or from a saved JSON file."""
    if source.startswith(("http://", "https://")):
        url = source if "/_sandbox/" in source else source.rstrip("/") + "/_sandbox/ground-truth"
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read(), parse_float=Decimal)
    return json.loads(Path(source).read_text(), parse_float=Decimal)


# ---------------------------------------------------------------------------------------------- observations
@dataclasses.dataclass
class Observed:
    """What a warehouse holds for one stream."""

    rows: int  # distinct primary keys
    raw_rows: int  # rows as stored
    minor: dict[str, dict[str, int]]  # money path -> currency -> sum of integer minor units
    exact: dict[str, dict[str, Decimal]] | None = None  # money path -> currency -> sum of the decimals
    bytes: int | None = None  # sum of `size` (the files stream: bytes stored)


class Warehouse:
    """A place records landed; `observe` returns None when the stream's table does not exist."""

    description = "warehouse"
    exact_numbers = False  # whether the provider's own decimals are stored exactly

    def observe(self, stream: str, money: Sequence[MoneyPath]) -> Observed | None:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _resolve(path: str, columns: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """Column holding a dotted path: the longest flattened prefix (`a__b`), then the rest inside JSON."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        name = columns.get("__".join(parts[:cut]).lower())
        if name is not None:
            return name, parts[cut:]
    return None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class _SqlWarehouse(Warehouse):
    """Shared SQL for DuckDB and PostgreSQL."""

    schema: str
    _conn: Any  # a DB-API connection whose execute() returns a cursor
    _placeholder = "?"  # query parameter marker of the driver
    _number_type = "NUMERIC"  # the exact type money and byte sums are cast to
    #: (column, value): only the rows whose column (its name matched case-insensitively) holds the value, e.g.
    #: one tenant's rows of tables several tenants load into; set with :meth:`only`.
    _only: tuple[str, str] | None = None

    def only(self, column: str, value: str) -> _SqlWarehouse:
        """Observe only the rows whose `column` is `value` (a table without the column is an error)."""
        self._only = (column, value)
        return self

    def _columns(self, table: str) -> dict[str, str]:
        mark = self._placeholder
        rows = self._conn.execute(
            f"SELECT column_name FROM information_schema.columns WHERE table_schema = {mark} AND table_name = {mark}",
            [self.schema, table],
        ).fetchall()
        return {name.lower(): name for (name,) in rows}

    def _primary_key(self, table: str) -> list[str]:
        """The table's PRIMARY KEY columns as the target created them (empty: unknown)."""
        raise NotImplementedError

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql).fetchall()

    def _json_text(self, column: str, rest: list[str]) -> str:
        raise NotImplementedError

    def _text(self, path: str, columns: Mapping[str, str]) -> str | None:
        found = _resolve(path, columns)
        if found is None:
            return None
        column, rest = found
        if not rest:
            return f"CAST({_quote(column)} AS VARCHAR)"
        return self._json_text(column, rest)

    def close(self) -> None:
        self._conn.close()

    def _sums(self, rows: str, currency: str, value: str | None, number_type: str) -> list[tuple[Any, Any]]:
        """``(currency, SUM(value))`` per currency over ``rows``, the value cast to ``number_type``; none when
        there is no value column (``None``)."""
        if value is None:
            return []
        return self._query(
            f"SELECT {currency}, SUM(CAST({value} AS {number_type})) FROM {rows} WHERE {value} IS NOT NULL GROUP BY 1"
        )

    def observe(self, stream: str, money: Sequence[MoneyPath]) -> Observed | None:
        columns = self._columns(stream)
        if not columns:
            return None
        table = f"{_quote(self.schema)}.{_quote(stream)}"
        keys = []
        for key in self._primary_key(stream) or primary_key(stream):
            if key.lower() not in columns:
                msg = f"{self.description}: table {stream} has no primary-key column {key}"
                raise LookupError(msg)
            keys.append(_quote(columns[key.lower()]))
        key_list = ", ".join(keys)
        conditions = []
        if "_sdc_deleted_at" in columns:  # rows a target soft-deleted (ACTIVATE_VERSION) are not there
            conditions.append(f"{_quote(columns['_sdc_deleted_at'])} IS NULL")
        if self._only is not None:
            column, value = self._only
            if column.lower() not in columns:
                msg = f"{self.description}: table {stream} has no column {column}"
                raise LookupError(msg)
            literal = "'" + str(value).replace("'", "''") + "'"
            conditions.append(f"CAST({_quote(columns[column.lower()])} AS VARCHAR) = {literal}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        source = f"(SELECT * FROM {table}{where}) src"
        raw_rows = self._query(f"SELECT COUNT(*) FROM {source}")[0][0]
        rows = self._query(f"SELECT COUNT(*) FROM (SELECT DISTINCT {key_list} FROM {source}) k")[0][0]
        deduped = f"(SELECT DISTINCT ON ({key_list}) * FROM {source}) d"
        observed = Observed(rows=int(rows), raw_rows=int(raw_rows), minor={}, exact={} if self.exact_numbers else None)
        if "size" in columns:
            size = f"SUM(CAST({_quote(columns['size'])} AS {self._number_type}))"
            observed.bytes = int(self._query(f"SELECT {size} FROM {deduped}")[0][0] or 0)
        for item in money:
            currency_exprs = [e for e in (self._text(p, columns) for p in item.currency_paths) if e]
            currency = f"COALESCE({', '.join(currency_exprs)})" if currency_exprs else "NULL"
            minor = self._text(item.minor_path, columns)
            sums = self._sums(deduped, currency, minor, self._number_type)
            observed.minor[item.path] = {str(cur): int(total) for cur, total in sums}
            if observed.exact is not None and not item.is_minor:
                # a tap-derived exact major-unit sibling wins (reimbursement `amount` may be minor units)
                candidates = [e for e in (self._text(item.major_path, columns), self._text(item.path, columns)) if e]
                value = f"COALESCE({', '.join(candidates)})" if candidates else None
                sums = self._sums(deduped, currency, value, "NUMERIC")
                observed.exact[item.path] = {str(cur): Decimal(total) for cur, total in sums}
        return observed


class DuckDBWarehouse(_SqlWarehouse):
    """A DuckDB file written by target-duckdb."""

    _number_type = "HUGEINT"

    def __init__(self, path: str | Path, schema: str = "tap_candis") -> None:
        import duckdb

        self.path = Path(path)
        self.schema = schema
        self.description = f"DuckDB {self.path} (schema {schema})"
        self._conn = duckdb.connect(str(self.path), read_only=True)

    def _primary_key(self, table: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE schema_name = ? AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [self.schema, table],
        ).fetchall()
        return list(rows[0][0]) if rows else []

    def _json_text(self, column: str, rest: list[str]) -> str:
        json_path = "$" + "".join(f'."{part}"' for part in rest)
        return f"json_extract_string({_quote(column)}, '{json_path}')"


class PostgresWarehouse(_SqlWarehouse):
    """A PostgreSQL schema written by MeltanoLabs target-postgres (NUMERIC and JSONB: exact)."""

    exact_numbers = True
    _placeholder = "%s"

    def __init__(self, dsn: str, schema: str = "tap_candis") -> None:
        import psycopg

        self.schema = schema
        self.description = f"PostgreSQL (schema {schema})"
        self._conn = psycopg.connect(dsn, autocommit=True)

    def _primary_key(self, table: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT a.attname FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indisprimary AND i.indrelid = to_regclass(%s) ORDER BY array_position(i.indkey, a.attnum)",
            [f"{_quote(self.schema)}.{_quote(table)}"],
        ).fetchall()
        return [name for (name,) in rows]

    def _json_text(self, column: str, rest: list[str]) -> str:
        # a flattened column deeper than flattening_max_depth holds JSON text, not JSONB
        return f"(CAST({_quote(column)} AS JSONB) #>> '{{{','.join(rest)}}}')"

    def _text(self, path: str, columns: Mapping[str, str]) -> str | None:
        expr = super()._text(path, columns)
        return None if expr is None else expr.replace(" AS VARCHAR)", " AS TEXT)")


class JsonlWarehouse(Warehouse):
    """A directory of `<stream>.jsonl` files written by target-jsonl; numbers parsed as Decimal."""

    exact_numbers = True

    def __init__(self, directory: str | Path, keys: Mapping[str, Sequence[str]] | None = None) -> None:
        self.directory = Path(directory)
        self.description = f"JSON Lines {self.directory}"
        self.keys = dict(keys or {})

    def files(self, stream: str) -> list[Path]:
        exact = self.directory / f"{stream}.jsonl"
        stamped = sorted(self.directory.glob(f"{stream}-*.jsonl"))  # do_timestamp_file: one per run
        return ([exact] if exact.exists() else []) + stamped

    def records(self, stream: str) -> Iterator[dict[str, Any]]:
        for path in self.files(stream):
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        yield json.loads(line, parse_float=Decimal)

    def observe(self, stream: str, money: Sequence[MoneyPath]) -> Observed | None:
        if not self.files(stream):
            return None
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        raw_rows = 0
        for record in self.records(stream):
            raw_rows += 1
            key = tuple(
                json.dumps(_lookup(record, k), default=str) for k in self.keys.get(stream) or primary_key(stream)
            )
            latest[key] = record  # last one wins, as an upsert would
        observed = Observed(rows=len(latest), raw_rows=raw_rows, minor={}, exact={})
        sizes = [r["size"] for r in latest.values() if isinstance(r.get("size"), (int, Decimal))]
        observed.bytes = int(sum(sizes)) if sizes else None
        for item in money:
            minor_totals: dict[str, int] = {}
            exact_totals: dict[str, Decimal] = {}
            for record in latest.values():
                currency = next((c for c in (_lookup(record, p) for p in item.currency_paths) if c is not None), None)
                minor = _lookup(record, item.minor_path)
                if minor is not None:
                    if isinstance(minor, Decimal) and minor != minor.to_integral_value():
                        msg = f"{stream}.{item.minor_path} is not an integer: {minor}"
                        raise ValueError(msg)
                    minor_totals[str(currency)] = minor_totals.get(str(currency), 0) + int(minor)
                value = _lookup(record, item.major_path)
                if value is None:
                    value = _lookup(record, item.path)
                if value is not None and not item.is_minor:
                    exact_totals[str(currency)] = exact_totals.get(str(currency), Decimal(0)) + Decimal(value)
            observed.minor[item.path] = minor_totals
            if not item.is_minor:
                assert observed.exact is not None
                observed.exact[item.path] = exact_totals
        return observed


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    """A dotted path in a record, nested (`a.b`) or flattened by the SDK (`a__b`, deeper parts as JSON)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        key = "__".join(parts[:cut])
        if key in record:
            value: Any = record[key]
            for part in parts[cut:]:
                if isinstance(value, str):
                    try:
                        value = json.loads(value, parse_float=Decimal)
                    except ValueError:
                        return None
                if not isinstance(value, Mapping):
                    return None
                value = value.get(part)
            return value
    return None


# ---------------------------------------------------------------------------------------------- comparison
@dataclasses.dataclass
class Line:
    """One checked line of the summary."""

    stream: str
    label: str  # "rows" or "<path> <CUR>"
    warehouse: str
    sandbox: str
    ok: bool
    note: str = ""


@dataclasses.dataclass
class Report:
    title: str
    warehouse: str
    lines: list[Line]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def failures(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]

    def render(self, color: bool = False) -> str:
        return render(self, color=color)


def _fmt_money(value: Decimal) -> str:
    return f"{value:,f}"


def compare(
    ground_truth: Mapping[str, Any],
    warehouse: Warehouse,
    *,
    title: str = "",
    exact: bool = False,
    streams: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> Report:
    """Check every stream of the ground truth (or only `streams`) against the warehouse.

    `exact` also compares the sum of the provider's own decimal values (only for warehouses that keep
    them exactly: PostgreSQL and JSON Lines). `exclude` names streams the run did not sync on purpose
    (e.g. `files` when `files_dir` is unset).
    """
    truth = ground_truth.get("streams", ground_truth)
    skipped = set(exclude)
    selected = [name for name in (list(streams) if streams is not None else sorted(truth)) if name not in skipped]
    lines: list[Line] = []
    for stream in selected:
        expected = truth.get(stream)
        if expected is None:
            lines.append(Line(stream, "rows", "?", "?", False, "no ground truth for this stream"))
            continue
        money = [MoneyPath(path) for path in sorted(expected.get("money") or {})]
        observed = warehouse.observe(stream, money)
        count = int(expected.get("count", 0))
        if observed is None:
            lines.append(Line(stream, "rows", "no table", str(count), count == 0))
            observed = Observed(rows=0, raw_rows=0, minor={}, exact={})
        else:
            note = "" if observed.raw_rows == observed.rows else f"{observed.raw_rows} rows stored (appended)"
            lines.append(Line(stream, "rows", str(observed.rows), str(count), observed.rows == count, note))
        if expected.get("bytes") is not None:
            want_bytes = int(expected["bytes"])
            got_bytes = observed.bytes or 0
            lines.append(Line(stream, "bytes", f"{got_bytes:,}", f"{want_bytes:,}", got_bytes == want_bytes))
        for item in money:
            per_currency = expected["money"][item.path] or {}
            seen_minor = observed.minor.get(item.path, {})
            for currency in sorted(set(per_currency) | set(seen_minor)):
                want = Decimal(str(per_currency.get(currency, "0")))
                exponent = 0 if item.is_minor else currency_exponent(currency)
                got_minor = seen_minor.get(currency, 0)
                got = Decimal(got_minor).scaleb(-exponent)
                label = f"{item.path} {currency}"
                lines.append(Line(stream, label, _fmt_money(got), _fmt_money(want), got == want, "minor units"))
                if exact and not item.is_minor and warehouse.exact_numbers and observed.exact is not None:
                    got_exact = observed.exact.get(item.path, {}).get(currency, Decimal(0))
                    lines.append(
                        Line(stream, label, _fmt_money(got_exact), _fmt_money(want), got_exact == want, "decimals")
                    )
    return Report(title=title, warehouse=warehouse.description, lines=lines)


# ---------------------------------------------------------------------------------------------- journal
# Where the journal's money comes from in each provider's ground truth: the journal's lines (transform/,
# journal_lines) add up, per currency, to these streams' totals (Candis split postings to their postings'
# amounts and reimbursement bookings to the items' totals, Pleo's lines to the export items' amounts in the
# company's currency, Įvesk's line totals to the documents' totals, Findity's rows to themselves), and
# journal_documents holds one row per record of the document streams.
JOURNAL_MONEY: dict[str, list[tuple[str, str]]] = {
    "candis": [("postings", "amount.value"), ("reimbursement_items", "totalAmount.amount")],
    "pleo": [("export_items", "amount.inWalletCurrency.value")],
    "ivesk": [("documents", "total")],
    "findity": [("voucher_rows", "amount")],
}
JOURNAL_DOCUMENTS: dict[str, list[str]] = {
    "candis": ["postings", "reimbursement_items"],
    "pleo": ["export_items"],
    "ivesk": ["documents"],
    "findity": ["vouchers"],
}


def journal_expected(provider: str, ground_truth: Mapping[str, Any]) -> tuple[int, dict[str, Decimal]]:
    """(documents, {currency: amount}) the journal must hold for one provider's ground truth."""
    truth = ground_truth.get("streams", ground_truth)
    documents = sum(int(truth.get(stream, {}).get("count", 0)) for stream in JOURNAL_DOCUMENTS[provider])
    money: dict[str, Decimal] = {}
    for stream, path in JOURNAL_MONEY[provider]:
        for currency, value in ((truth.get(stream, {}).get("money") or {}).get(path) or {}).items():
            money[currency] = money.get(currency, Decimal(0)) + Decimal(str(value))
    return documents, money


def compare_journal(
    ground_truths: Mapping[str, Mapping[str, Any]], warehouse: _SqlWarehouse, *, schema: str = "journal"
) -> Report:
    """The journal (journal_lines, journal_documents in `schema`) per provider and currency against the
    ground truth of each provider in `ground_truths` ({provider: ground truth}): documents once each, the
    lines' exact decimals and their integer minor units both equal to the sandbox's totals."""
    lines_table = f"{_quote(schema)}.{_quote('journal_lines')}"
    documents_table = f"{_quote(schema)}.{_quote('journal_documents')}"
    documents = dict(warehouse._query(f"SELECT provider, COUNT(*) FROM {documents_table} GROUP BY 1"))
    sums: dict[tuple[str, str], tuple[Decimal, int, int]] = {
        (provider, currency): (Decimal(amount), int(minor), int(count))
        for provider, currency, amount, minor, count in warehouse._query(
            f"SELECT provider, currency, SUM(amount), SUM(amount_minor), COUNT(*) FROM {lines_table} GROUP BY 1, 2"
        )
    }
    out: list[Line] = []
    for provider in sorted(ground_truths):
        want_documents, want_money = journal_expected(provider, ground_truths[provider])
        got_documents = int(documents.get(provider, 0))
        count_lines = sum(count for (p, _), (_, _, count) in sums.items() if p == provider)
        out.append(
            Line(
                provider,
                "rows",
                str(got_documents),
                str(want_documents),
                got_documents == want_documents,
                f"documents ({count_lines} lines)",
            )
        )
        seen = {currency for (p, currency) in sums if p == provider}
        for currency in sorted(set(want_money) | seen):
            want = want_money.get(currency, Decimal(0))
            amount, minor, _ = sums.get((provider, currency), (Decimal(0), 0, 0))
            exponent = currency_exponent(currency)
            as_minor = Decimal(minor).scaleb(-exponent)
            if amount == amount.quantize(Decimal(1).scaleb(-exponent)):  # DECIMAL(28,4): show the currency's digits
                amount = amount.quantize(Decimal(1).scaleb(-exponent))
            label = f"amount {currency}"
            out.append(Line(provider, label, _fmt_money(amount), _fmt_money(want), amount == want, "decimals"))
            out.append(Line(provider, label, _fmt_money(as_minor), _fmt_money(want), as_minor == want, "minor units"))
    return Report(
        title="journal", warehouse=f"{warehouse.description.split(' (schema')[0]} (schema {schema})", lines=out
    )


def render(report: Report, *, color: bool = False) -> str:
    """The summary table a person reads."""
    green, red, dim, bold, reset = ("\033[32m", "\033[31m", "\033[2m", "\033[1m", "\033[0m") if color else ("",) * 5
    out = []
    heading = f"{report.title} → {report.warehouse}" if report.title else report.warehouse
    out.append(f"{bold}{heading}{reset}")
    width_label = max([len(ln.stream) for ln in report.lines] + [len(f"  {ln.label}") for ln in report.lines] + [14])
    width_w = max([len(ln.warehouse) for ln in report.lines] + [len("warehouse")])
    width_s = max([len(ln.sandbox) for ln in report.lines] + [len("sandbox")])
    out.append(f"  {'stream / money':<{width_label}}  {'warehouse':>{width_w}}  {'sandbox':>{width_s}}")
    both_sums = any(ln.note == "decimals" for ln in report.lines)
    for ln in report.lines:
        label = ln.stream if ln.label == "rows" else f"  {ln.label}"
        mark = f"{green}✓{reset}" if ln.ok else f"{red}✗{reset}"
        note = ln.note
        if note == "minor units":
            note = "sum of integer minor units" if both_sums or not ln.ok else ""
        elif note == "decimals":
            note = "sum of the stored decimals"
        note = f"  {dim}{note}{reset}" if note else ""
        out.append(f"  {label:<{width_label}}  {ln.warehouse:>{width_w}}  {ln.sandbox:>{width_s}}  {mark}{note}")
    failures = report.failures
    if failures:
        out.append(f"{red}{len(failures)} of {len(report.lines)} checks differ.{reset}")
    else:
        out.append(
            f"{green}All {len(report.lines)} checks match: every record arrived once, every currency total to the cent.{reset}"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ground-truth", required=True, help="sandbox base URL, admin URL or saved JSON file")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--duckdb", help="DuckDB file written by target-duckdb")
    target.add_argument("--postgres", help="libpq connection string of the database target-postgres wrote")
    target.add_argument("--jsonl", help="directory target-jsonl wrote")
    parser.add_argument("--schema", default="tap_candis", help="schema the tables are in (SQL warehouses)")
    parser.add_argument("--title", default="", help="heading of the summary")
    parser.add_argument("--exact", action="store_true", help="also compare the providers' own decimals")
    parser.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    args = parser.parse_args(argv)

    truth = load_ground_truth(args.ground_truth)
    if args.duckdb:
        warehouse: Warehouse = DuckDBWarehouse(args.duckdb, args.schema)
    elif args.postgres:
        warehouse = PostgresWarehouse(args.postgres, args.schema)
    else:
        warehouse = JsonlWarehouse(args.jsonl)
    with warehouse:
        report = compare(truth, warehouse, title=args.title, exact=args.exact)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(report.render(color=color))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
