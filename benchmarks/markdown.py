"""The Markdown tables of benchmarks/README.md: a header row, an alignment row (the text columns left, every
number right) and one row of cells per measurement."""

from __future__ import annotations

import typing as t


def markdown_table(columns: t.Sequence[str], rows: t.Iterable[t.Sequence[object]], *, text: t.Container[int]) -> str:
    """`columns` the headers, `text` the indexes of the left-aligned columns, `rows` the cells (str()-ed)."""
    align = ["---" if index in text else "---:" for index in range(len(columns))]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
