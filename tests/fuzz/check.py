"""One case, in this process: build ``f`` with ``exec``, run it through gilmap on every
container and both loop kernels, before and after changing its globals, and compare each
run with CPython (:mod:`tests.fuzz.oracle`).

Used by the child processes of :mod:`tests.fuzz.runner` (a crash or hang there is caught
by the parent), by the minimizer and by the regression tests.
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from . import inputs, oracle
from .gen import Case

EXPECTED_BACKEND = {"jit": "jit", "arrow": "arrow_kernel", "numba": "numba_native"}
REFERENCE_SECONDS = 10
BIG = 3000  # elements of the long runs (one case in five)
BIG_CONTAINERS = ("list", "numpy", "chunked")


class SlowReference(BaseException):
    """CPython itself took too long on the case (not a finding: the case is skipped)."""


@dataclass
class Result:
    seed: int
    backend: str  # the backend explain() chose ("" if none)
    accepted: bool  # explain() chose the backend the case was generated for
    simt: bool = False  # the lane-parallel kernel was exercised
    runs: int = 0  # gilmap.map calls compared
    inputs: int = 0  # elements compared (over all runs)
    skipped: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_function(case: Case) -> tuple[Any, dict[str, Any]]:
    """``f`` and its globals: the source is compiled from a string, no file behind it."""
    scope: dict[str, Any] = {"__name__": f"gilmap_fuzz_{case.seed}"}
    exec(compile(case.source, f"<fuzz {case.backend} {case.seed}>", "exec"), scope)  # noqa: S102
    return scope["f"], scope


def apply_changes(case: Case, f: Any, scope: dict[str, Any]) -> None:
    """Changes globals and closure cells as the case says (between two calls)."""
    for name, value in case.changes:
        if name.startswith("cell:"):
            if name[5:] in f.__code__.co_freevars:  # an unused capture is no cell of f
                cell = f.__closure__[f.__code__.co_freevars.index(name[5:])]
                cell.cell_contents = value
        else:
            scope[name] = value


class Checker:
    """Runs one case's comparisons; findings accumulate in ``self.result``."""

    def __init__(self, case: Case, containers: tuple[str, ...] = inputs.CONTAINERS) -> None:
        import gilmap

        self.gilmap = gilmap
        self.case = case
        self.containers = containers
        self.lane = case.lane
        self.cache: dict[Any, Any] = {}
        self.result = Result(case.seed, "", False)

    def outcome(self, x: Any) -> Any:
        k = oracle.key(x)
        if k not in self.cache:
            self.cache[k] = oracle.reference_outcome(self.f, x)
        return self.cache[k]

    def run_one(self, container: str, xs: list[Any], phase: str) -> None:
        data, received = inputs.build(container, xs, self.lane)
        kind = {"list_none": "list", "arrow_sliced": "arrow"}.get(container, container)
        want = oracle.expected(
            kind, received, [None if x is None else self.outcome(x) for x in received], self.lane
        )
        got, line = oracle.observe(self.gilmap, self.f, data, received)
        self.result.runs += 1
        self.result.inputs += len(received)
        if isinstance(got, oracle.Raised) and got.exc is ValueError and "cannot run" in got.message:
            return  # no backend could run it (refused; counted by the caller)
        chunks = tuple(len(c) for c in data.chunks) if container == "chunked" else ()
        finding = oracle.compare(want, got, chunks)
        if finding is not None:
            finding.container, finding.phase = container, phase
            finding.mode = "simt" if " simt=on " in line else "elem" if " simt=off " in line else ""
            finding.backend = line.split("backend=", 1)[-1].split(" ", 1)[0]
            self.result.findings.append(asdict(finding))

    def run_all(self, xs: list[Any], phase: str, containers: tuple[str, ...]) -> None:
        rng = random.Random(self.case.seed)
        for c in containers:
            elems = inputs.inputs_for(c, xs, rng)
            self.run_one(c, elems, phase)
            # If CPython fails, the results of the elements that do not fail are compared too.
            ok = [x for x in elems if x is None or not isinstance(self.outcome(x), oracle.Raised)]
            if len(ok) != len(elems) and any(x is not None for x in ok):
                self.run_one(c, ok, phase + "/ok")

    def simt_ready(self) -> bool:
        """Builds the lane-parallel kernel if the JIT runs ``f`` and can have one."""
        from gilmap._api import router

        info = self.gilmap.explain(self.f, dtype=self.lane)
        if info["backend"] != "jit" or info.get("simt_lanes") != 8:
            return False
        router.decide(self.f, self.lane).payload.kernel.compile_simt()
        return True

    def run(self, xs: list[Any] | None = None) -> Result:
        case = self.case
        big = xs is None and case.seed % 5 == 0
        saved = os.environ.get("GILMAP_JIT")
        if case.backend == "arrow":
            os.environ["GILMAP_JIT"] = "0"
        old = signal.signal(signal.SIGALRM, _alarm)
        try:
            self.f, self.scope = build_function(case)
            if xs is None:
                xs = inputs.values(case.lane, random.Random(case.seed * 7919 + 1))
            info = self.gilmap.explain(self.f, dtype=case.lane)
            self.result.backend = info["backend"] or ""
            self.result.accepted = info["backend"] == EXPECTED_BACKEND[case.backend]
            signal.alarm(REFERENCE_SECONDS)
            t0 = time.perf_counter()
            for x in xs:
                self.outcome(x)
            signal.alarm(0)
            if time.perf_counter() - t0 > 1.0:
                # CPython is slow here (big ints): gilmap re-evaluates such elements with
                # CPython on every run, so one run, or the case would look like a hang.
                self.run_one("list", list(xs), "first")
                self.result.skipped = "CPython is slow: one run only"
                return self.result
            self.run_all(xs, "first", self.containers)
            if big and self.lane != "bool":
                # Thousands of elements: parallel chunks, the lowest failing element across
                # them, and the tier-up to the lane-parallel kernel of a long run.
                more = inputs.values(self.lane, random.Random(case.seed), n_random=BIG)
                signal.alarm(REFERENCE_SECONDS)
                for x in more:
                    self.outcome(x)
                signal.alarm(0)
                self.run_all(more, "big", tuple(c for c in self.containers if c in BIG_CONTAINERS))
            if self.simt_ready():
                self.result.simt = True
                self.run_all(xs, "simt", self.containers)
            if case.changes and case.backend != "numba":
                apply_changes(case, self.f, self.scope)
                self.cache.clear()
                signal.alarm(REFERENCE_SECONDS)
                t0 = time.perf_counter()
                for x in xs:
                    self.outcome(x)
                signal.alarm(0)
                if time.perf_counter() - t0 > 1.0:
                    # As above: CPython is slow with the new globals (seed 7112131: 3.7 s
                    # per element of big-int squaring); one run, not one per container.
                    self.run_one("list", list(xs), "changed")
                    self.result.skipped = "CPython is slow: one run only"
                    return self.result
                changed = tuple(c for c in self.containers if c in ("list", "numpy", "chunked"))
                self.run_all(xs, "changed", changed or self.containers)
                if self.simt_ready():
                    self.result.simt = True
                    self.run_all(xs, "changed-simt", changed or self.containers)
        except SlowReference:
            self.result.skipped = "CPython took too long"
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
            if saved is None:
                os.environ.pop("GILMAP_JIT", None)
            else:
                os.environ["GILMAP_JIT"] = saved
        return self.result


def _alarm(signum: int, frame: Any) -> None:
    raise SlowReference


def check(
    case: Case, xs: list[Any] | None = None, containers: tuple[str, ...] = inputs.CONTAINERS
) -> Result:
    """Checks ``case`` on ``xs`` (default: the seed's edge and random inputs)."""
    return Checker(case, containers).run(xs)
