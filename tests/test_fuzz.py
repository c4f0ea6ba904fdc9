"""The differential fuzzer (``tests/fuzz``, issue 10) on a fixed seed budget.

Each backend's generated functions run in child processes (a crash or hang is a failure
naming its seed) and are compared with CPython on every container and both loop kernels;
a failure lists every failing seed and the minimized reproducer of each distinct one
(add it to ``tests/test_fuzz_regressions.py``). ``make fuzz`` runs the same for as long as
asked. The self-tests check that the fuzzer can fail: a wrong result, a wrong element type,
a wrong exception, a crash and a hang are each detected.
"""

from __future__ import annotations

import math
import sys

import pytest

import gilmap
from tests.fuzz import oracle
from tests.fuzz.__main__ import as_param, failing, minimize, signature, summarize
from tests.fuzz.check import Checker
from tests.fuzz.child import case_to_json
from tests.fuzz.gen import Case, generate
from tests.fuzz.minimize import shrink
from tests.fuzz.runner import run_child, run_seeds, smoke

# Functions per backend (seeds 0..n-1): well under a minute each on 2 cores.
BUDGET = {"jit": 240, "arrow": 80, "numba": 8}


@pytest.mark.parametrize("backend", sorted(BUDGET))
def test_fixed_seed_budget(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    broken = smoke()
    assert broken is None, f"gilmap does not work here (not fuzzing): {broken}"
    outcomes = run_seeds(backend, list(range(BUDGET[backend])), timeout=60, batch=120)
    stats = summarize(outcomes, {backend})[backend]
    assert stats["functions"] == BUDGET[backend]
    # The generator must mostly produce functions the backend under test accepts.
    assert stats.get("accepted", 0) >= 0.7 * BUDGET[backend], stats
    bad = failing(outcomes)
    if not bad:
        return
    lines = [f"{len(bad)} of {BUDGET[backend]} {backend} cases differ from CPython: {stats}"]
    for o in bad:
        what = (
            o.crash + " " + o.detail if o.crash else (o.result or {}).get("findings", [o.result])[0]
        )
        lines.append(f"seed {o.seed}: {what}")
    firsts: dict[tuple[str, ...], object] = {}
    for o in bad:
        if o.crash or "error" not in (o.result or {}):
            firsts.setdefault(signature(o), o)
    for o in list(firsts.values())[:3]:
        lines.append("minimized:\n" + as_param(minimize(o, 20.0, 30.0, sys.executable)))
    pytest.fail("\n".join(lines), pytrace=False)


def test_generator_is_deterministic_and_compiles():
    for backend in ("jit", "arrow", "numba"):
        for seed in range(30):
            a, b = generate(seed, backend), generate(seed, backend)
            assert repr(a) == repr(b)  # (nan != nan: compare the text)
            compile(a.source, "<fuzz>", "exec")


# ------------------------------------------------------------------ self-tests


class _Wrong:
    """A gilmap stand-in whose ``map`` gives one deliberately wrong answer."""

    def __init__(self, how):
        self.how = how

    def explain(self, f, dtype=None):
        return gilmap.explain(f, dtype=dtype)

    def map(self, f, data, debug=False):
        out = gilmap.map(f, data, debug=debug)
        if not isinstance(out, list) or not out:
            return out
        if self.how == "raise":
            raise ArithmeticError("deliberately wrong")
        out = list(out)
        i = next(k for k, v in enumerate(out) if v is not None)
        out[i] = {"value": lambda v: -v if v else v + 1, "type": float, "nan": lambda v: -v}[
            self.how
        ](out[i])
        return out


@pytest.mark.parametrize(
    "how, source, lane, xs, kind",
    [
        ("value", "def f(x):\n    return x * 2.0\n", "float64", [1.5, 0.0], "mismatch-value"),
        ("value", "def f(x):\n    return x * 2.0\n", "float64", [0.0, 1.0], "mismatch-value"),
        ("type", "def f(x):\n    return x + 1\n", "int64", [3, 4], "mismatch-type"),
        ("raise", "def f(x):\n    return x + 1\n", "int64", [3, 4], "mismatch-exception"),
        ("nan", "def f(x):\n    return x\n", "float64", [-math.nan], "mismatch-nan-sign"),
    ],
)
def test_a_wrong_result_is_detected(how, source, lane, xs, kind):
    checker = Checker(Case(1, "jit", lane, source), ("list",))
    checker.gilmap = _Wrong(how)
    found = checker.run(xs).findings
    assert found and found[0]["kind"] == kind, found


def test_a_wrong_first_failing_index_is_detected():
    zero = oracle.Raised(ZeroDivisionError, None)
    want = oracle.expected("list", [1, 0, 0], [1, zero, zero], "int64")
    got = oracle.Raised(ZeroDivisionError, 2)
    assert oracle.compare(want, got).kind == "mismatch-exception"


def _job(source):
    return {"cases": [{"case": case_to_json(Case(7, "jit", "int64", source)), "xs": [1]}]}


def test_a_crash_and_a_hang_are_caught():
    crashed, _ = run_child(_job("import os\nos.abort()\n"), timeout=30)
    assert [o.crash for o in crashed] == ["crash"] and crashed[0].seed == 7
    hung, _ = run_child(_job("while True:\n    pass\n"), timeout=3)
    assert [o.crash for o in hung] == ["hang"] and hung[0].seed == 7


def test_the_minimizer_shrinks_while_the_failure_persists():
    case = generate(3, "jit")
    case.source += "def g(x):\n    return x * 12345\n"
    xs = list(range(40))

    def holds(c, ys, container):
        return "12345" in c.source and 17 in ys

    small, ys, container = shrink(case, xs, "chunked", holds, seconds=20)
    assert ys == [17] and container == "list"
    assert "12345" in small.source and len(small.source) < len(case.source)
