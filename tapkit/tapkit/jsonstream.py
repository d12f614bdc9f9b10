"""Helpers for reading large JSON bodies item by item with ijson (flat memory however long the list)."""

from __future__ import annotations

import typing as t


class ItemSink(list):
    """The target of an ijson coroutine (``ijson.items_coro(sink, prefix)``): collects the items parsed from
    the chunks sent so far; the caller yields and clears them after every chunk."""

    def send(self, item: t.Any) -> None:
        self.append(item)
