"""The one way values are kept per process (sop.caches.remembering over cachetools)."""

from __future__ import annotations

from cachetools import FIFOCache, LRUCache, TTLCache

from sop.caches import remembering


def counting(results: list[str], value: str):
    def compute() -> str:
        results.append(value)
        return value
    return compute


def test_a_value_is_computed_once_per_key_until_cleared():
    calls: list[str] = []
    remembered = remembering(LRUCache(maxsize=8))
    assert remembered("a", counting(calls, "A")) == "A"
    assert remembered("a", counting(calls, "other")) == "A"
    assert remembered("b", counting(calls, "B")) == "B"
    remembered.cache_clear()
    assert remembered("a", counting(calls, "A2")) == "A2"
    assert calls == ["A", "B", "A2"]


def test_the_cache_decides_what_is_dropped():
    calls: list[str] = []
    least_recent = remembering(LRUCache(maxsize=2))
    least_recent("a", counting(calls, "a"))
    least_recent("b", counting(calls, "b"))
    least_recent("a", counting(calls, "a?"))  # a is now the most recent
    least_recent("c", counting(calls, "c"))   # drops b
    least_recent("a", counting(calls, "a?"))
    least_recent("b", counting(calls, "b2"))
    assert calls == ["a", "b", "c", "b2"]

    calls.clear()
    first_in = remembering(FIFOCache(maxsize=2))
    first_in("a", counting(calls, "a"))
    first_in("b", counting(calls, "b"))
    first_in("a", counting(calls, "a?"))
    first_in("c", counting(calls, "c"))      # drops a, the first in
    first_in("a", counting(calls, "a2"))
    assert calls == ["a", "b", "c", "a2"]


def test_a_value_expires_after_its_time():
    clock = [0.0]
    calls: list[str] = []
    remembered = remembering(TTLCache(maxsize=4, ttl=5, timer=lambda: clock[0]))
    remembered("k", counting(calls, "1"))
    clock[0] = 4.9
    assert remembered("k", counting(calls, "2")) == "1"
    clock[0] = 5.1
    assert remembered("k", counting(calls, "3")) == "3"
    assert calls == ["1", "3"]
