"""The router: picks a backend per ``(func, lane)`` and caches the decision.

Backends are tried in priority order. Each has a detector that accepts or rejects ``func``
for a lane with a reason, so ``explain`` can say why every higher-priority backend was
passed over. Decisions are cached on a weak reference to ``func`` (callables that cannot be
weakly referenced work too, uncached), so a repeat call does not re-analyse the function;
a cached decision is reused only while the guards of every verdict it rests on hold
(``gilmap._guards``): a refusal is re-decided too when the value that caused it changes.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import _guards

LANES = ("int64", "float64")
#: Lanes a decision can be made for ("bool": int64 data whose elements are Python bools).
ALL_LANES = (*LANES, "bool")


@dataclass(frozen=True)
class Verdict:
    """A detector's answer: accepted or not, why, and backend-specific data to run with."""

    accepted: bool
    reason: str
    payload: Any = None
    #: What the answer assumed (``gilmap._guards``), for acceptances and refusals alike.
    guards: tuple = ()


@dataclass(frozen=True)
class Decision:
    """The router's choice for one ``(func, lane)``."""

    backend: str | None  # None: no backend can run func
    reason: str
    lane: str
    payload: Any = None
    has_fast_path: bool = False
    rejected: dict[str, str] = field(default_factory=dict)
    #: The guards of every verdict the decision rests on (the refusals before it too):
    #: when one changes, the cached decision is stale.
    guards: tuple = ()


class Backend(Protocol):
    name: str
    #: True when the backend runs native code (JIT, numba); False for the interpreter pool.
    fast_path: bool

    def detect(self, func: Any, lane: str) -> Verdict: ...

    def run(
        self, decision: Decision, column: Any, output: str, func: Any, source: Any = None
    ) -> Any: ...


class Router:
    def __init__(self, backends: list[Backend]) -> None:
        self.backends = backends
        self._by_name = {b.name: b for b in backends}
        self._cache: weakref.WeakKeyDictionary[Any, dict[str, Decision]] = (
            weakref.WeakKeyDictionary()
        )
        #: How many times a detector pass ran (tests check that repeats hit the cache).
        self.analyses = 0

    def backend(self, name: str) -> Backend:
        return self._by_name[name]

    def decide(self, func: Any, lane: str) -> Decision:
        try:
            per_func = self._cache.get(func)
        except TypeError:  # not hashable or not weakly referenceable
            return self._analyse(func, lane)
        if per_func is not None and lane in per_func:
            cached = per_func[lane]
            if _guards.stale(cached.guards) is None:
                return cached
        decision = self._analyse(func, lane)
        try:
            self._cache.setdefault(func, {})[lane] = decision
        except TypeError:
            pass
        return decision

    def _analyse(self, func: Any, lane: str) -> Decision:
        self.analyses += 1
        rejected: dict[str, str] = {}
        guards: list[Any] = []
        for b in self.backends:
            verdict = b.detect(func, lane)
            guards += verdict.guards
            if verdict.accepted:
                return Decision(
                    b.name,
                    verdict.reason,
                    lane,
                    verdict.payload,
                    b.fast_path,
                    rejected,
                    tuple(guards),
                )
            rejected[b.name] = verdict.reason
        last = next(reversed(rejected.values()), "no backend is available")
        return Decision(None, last, lane, None, False, rejected, tuple(guards))

    def forget(self, func: Any) -> None:
        """Drops the cached decisions for ``func`` (a baked-in value changed)."""
        try:
            self._cache.pop(func, None)
        except TypeError:
            pass

    def clear(self) -> None:
        self._cache = weakref.WeakKeyDictionary()
