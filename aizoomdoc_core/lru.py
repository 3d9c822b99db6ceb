"""A least-recently-used map bounded by the summed size of its values (bytes, mostly).

The renderer keeps originals and drawn images in it; the storage fallback keeps the bytes, chats and
document rows it recently wrote or read, to serve them while the cloud is away (sized 1 per entry
when only their number matters).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class SizedLRU:
    """A small thread-safe least-recently-used map bounded by the summed size of its values."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key][0]

    def put(self, key: Any, value: Any, size: int) -> None:
        with self.lock:
            if key in self.items:
                self.size -= self.items.pop(key)[1]
            self.items[key] = (value, size)
            self.size += size
            while self.size > self.limit and len(self.items) > 1:
                self.size -= self.items.popitem(last=False)[1][1]

    def values(self) -> list[Any]:
        with self.lock:
            return [value for value, _ in self.items.values()]

    def discard(self, predicate: Callable[[Any], bool]) -> None:
        """Drop the entries whose key matches (the blob fallback, when blobs are deleted)."""
        with self.lock:
            for key in [k for k in self.items if predicate(k)]:
                self.size -= self.items.pop(key)[1]
