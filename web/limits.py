"""Per-client rate limits and the cache of serialised answers, so one client cannot
take every CPU (issue 11: four clients looping on a city-wide /streets raised another
user's route p50 from 4 to 273 ms).

Both live in the worker process, with no outside service: a token bucket per
client address for each expensive endpoint, and a byte-bounded LRU of answer
bodies for answers that depend only on their parameters and the loaded artifact.
Limits are in jol/settings.py; docs/web.md says where each applies.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class TokenBuckets:
    """One token bucket per client: `burst` requests at once, refilled at `rate_per_s`.

    The table forgets the least recently seen clients beyond `max_clients`, so a
    flood of spoofed or rotating addresses cannot grow memory without bound.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one token of `client`: 0.0 if allowed, else seconds until one is free."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / self.rate_per_s


def retry_after_s(wait_s: float) -> int:
    """Whole seconds for a Retry-After header: never 0, which would invite a busy loop."""
    return max(1, math.ceil(wait_s))


@dataclass(frozen=True)
class CachedBody:
    """A serialised answer and its strong ETag (sha256 of the bytes)."""

    body: bytes
    etag: str


class BodyCache:
    """LRU of serialised answers, bounded by their total size in bytes.

    `hits` and `misses` count lookups, so tests and operators can see it work.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[object, CachedBody] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_make(self, key: object, make: Callable[[], bytes]) -> CachedBody:
        """The cached answer for `key`, or `make()`'s, stored when it fits the budget."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        # Made outside the lock: two threads may both make it; either result is right.
        body = make()
        entry = CachedBody(body, hashlib.sha256(body).hexdigest()[:32])
        if len(body) <= self.max_bytes:
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = entry
                    self._bytes += len(body)
                while self._bytes > self.max_bytes:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= len(dropped.body)
        return entry


def parse_rate_limits(
    text: str, defaults: dict[str, tuple[int, float] | None]
) -> dict[str, tuple[int, float] | None]:
    """Limits from `JOL_RATE_LIMITS`: "off", or "streets=30/3,route=off" (burst/per second).

    Endpoints not named keep `defaults`; raises ValueError naming a malformed item,
    so a typo stops the server at start rather than silently lifting a limit.
    """
    text = text.strip()
    if text.lower() == "off":
        return dict.fromkeys(defaults)
    limits = dict(defaults)
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        if name not in defaults:
            raise ValueError(f"JOL_RATE_LIMITS: unknown endpoint {name!r} in {item!r}")
        if value.strip().lower() == "off":
            limits[name] = None
            continue
        try:
            burst, rate = value.split("/")
            limits[name] = (int(burst), float(rate))
        except ValueError:
            raise ValueError(
                f"JOL_RATE_LIMITS: expected {name}=BURST/PER_SECOND, got {item!r}"
            ) from None
        if limits[name][0] < 1 or not 0 < limits[name][1] < math.inf:
            raise ValueError(f"JOL_RATE_LIMITS: {item!r} must be a burst >= 1 and a rate > 0")
    return limits
