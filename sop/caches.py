"""Per-process caches: one way to keep a computed value in memory, on cachetools.

`remembering(cache)` gives a function `(key, compute) -> value` that returns the value kept
under `key` in `cache` (a cachetools mapping: it decides size, age and eviction), or calls
`compute()` once, outside the lock, and keeps its result. Thread-safe; `.cache_clear()`
empties it. Callers share the value: keep tuples or other values nobody mutates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, MutableMapping
from typing import Any, Protocol, TypeVar

from cachetools import cached

T = TypeVar("T")


class Remembering(Protocol):
    def __call__(self, key: Hashable, compute: Callable[[], T]) -> T: ...

    def cache_clear(self) -> None: ...


def key_only(key: Hashable, compute: Callable[[], Any]) -> Hashable:
    """The cache key of a `(key, compute)` call: the key alone."""
    return key


def remembering(cache: MutableMapping[Any, Any]) -> Remembering:
    @cached(cache, key=key_only, lock=threading.Lock())
    def remembered(key: Hashable, compute: Callable[[], T]) -> T:
        return compute()

    return remembered  # type: ignore[return-value]
