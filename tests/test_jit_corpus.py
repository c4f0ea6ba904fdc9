"""The JIT corpus: every positive case routes to the JIT, runs on it, and equals
``list(map(f, xs))`` (values, element types, float and NaN signs, exception types); every
negative case is refused by the JIT and still gets CPython's answer through another backend.

The project's own corpus is ``tests/jit_corpus.py`` (ids ``project-*``), always run. An
optional external corpus at ``../shared/jit/corpus.py`` is run as well when it is present
(ids ``shared-*``).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import jit_corpus
import pytest
from conftest import map_on

import gilmap

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared" / "jit"


def _load_shared():
    """The optional external corpus, or None. Imported under its own name with its directory
    on sys.path, so sub-interpreter workers can import it too (the negative cases' fallback)."""
    path = SHARED_DIR / "corpus.py"
    if not path.exists():
        return None
    if str(SHARED_DIR) not in sys.path:
        sys.path.append(str(SHARED_DIR))
    if "corpus" in sys.modules:
        return sys.modules["corpus"]
    spec = importlib.util.spec_from_file_location("corpus", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = mod
    spec.loader.exec_module(mod)
    return mod


def _index(cases, prefix):
    return {f"{prefix}-{c.name}": c for c in cases}


_shared = _load_shared()
POS = _index(jit_corpus.POSITIVE, "project")
NEG = _index(jit_corpus.NEGATIVE, "project")
if _shared is not None:
    POS.update(_index(_shared.POSITIVE, "shared"))
    NEG.update(_index(_shared.NEGATIVE, "shared"))

# Shared negative cases with side effects (output, a mutated global): their values are not
# compared with a second CPython run.
SIDE_EFFECTS = {"shared-n_print", "shared-n_global_mut"}


def outcome(mapper, fn, xs):
    """('ok', [(type, value)...]) or ('raise', ExceptionType) for ``mapper(fn, xs)``."""
    try:
        return "ok", [(type(v), v) for v in mapper(fn, xs)]
    except Exception as exc:  # noqa: BLE001
        return "raise", type(exc)


def jit_map(fn, xs):
    """``gilmap.map(fn, xs)``, asserting that this very call ran on the JIT."""
    return map_on("jit", fn, xs)


def _same_float(a: float, b: float) -> bool:
    if math.copysign(1.0, a) != math.copysign(1.0, b):  # -0.0, and the sign of a NaN
        return False
    return math.isnan(a) and math.isnan(b) or a == b


def same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a[1] is b[1]
    if len(a[1]) != len(b[1]):
        return False
    for (ta, va), (tb, vb) in zip(a[1], b[1], strict=True):
        if ta is not tb:
            return False
        if ta is float:
            if not _same_float(va, vb):
                return False
        elif ta is complex:
            if not (_same_float(va.real, vb.real) and _same_float(va.imag, vb.imag)):
                return False
        elif va != vb:
            return False
    return True


def _show(o):
    if o[0] == "raise":
        return f"raises {o[1].__name__}"

    def one(t, v):
        if t is float and math.isnan(v) and math.copysign(1.0, v) < 0:
            return "float -nan"
        return f"{t.__name__} {v!r}"

    return "[" + ", ".join(one(t, v) for t, v in o[1]) + "]"


@pytest.mark.parametrize("name", sorted(POS))
def test_positive_case_runs_on_the_jit_and_matches_cpython(name):
    case = POS[name]
    info = gilmap.explain(case.fn, dtype=case.lane)
    assert info["backend"] == "jit", info["reason"]
    assert info["has_fast_path"] is True
    assert info["kernel_hash"] and info["typed_ir"] and info["llvm_ir"]
    want = outcome(map, case.fn, case.inputs)
    got = outcome(jit_map, case.fn, case.inputs)
    assert same(want, got), f"{name}: CPython {_show(want)}, gilmap {_show(got)}"
    # Each input alone too: elements are independent, the first failing one decides.
    for x in case.inputs:
        want = outcome(map, case.fn, [x])
        got = outcome(jit_map, case.fn, [x])
        assert same(want, got), f"{name}({x!r}): CPython {_show(want)}, gilmap {_show(got)}"


def _comparable(o) -> bool:
    return o[0] == "raise" or all(t in (int, float, bool, type(None)) for t, _ in o[1])


@pytest.mark.parametrize("name", sorted(NEG))
def test_negative_case_is_refused_by_the_jit(name):
    case = NEG[name]
    info = gilmap.explain(case.fn, dtype=case.lane)
    assert info["backend"] != "jit"
    assert "jit" in info["rejected"], info
    reason = info["rejected"]["jit"]
    assert reason.startswith("JIT refused"), reason
    want = outcome(map, case.fn, case.inputs)
    if name.startswith("project-"):
        # The project's negative cases are importable and side-effect free: a backend runs
        # them and the answer is CPython's.
        assert info["backend"] is not None, info["reason"]
        if _comparable(want):
            got = outcome(gilmap.map, case.fn, case.inputs)
            assert same(want, got), f"{name}: CPython {_show(want)}, gilmap {_show(got)}"
        return
    numeric = want[0] == "ok" and all(t in (int, float, bool) for t, _ in want[1])
    if info["backend"] == "subinterp" and numeric and name not in SIDE_EFFECTS:
        assert same(want, outcome(gilmap.map, case.fn, case.inputs))


@pytest.mark.parametrize(
    "name, glob, value",
    jit_corpus.REBINDS,
    ids=[f"{n}-{g}={v!r}" for n, g, v in jit_corpus.REBINDS],
)
def test_rebound_global_is_seen_by_the_next_call(name, glob, value):
    """A module global changed between two calls (the kernel baked the old value in and
    guards it): the second call must see the new value, as CPython does."""
    case = POS[f"project-{name}"]
    old = getattr(jit_corpus, glob)
    assert same(outcome(map, case.fn, case.inputs), outcome(jit_map, case.fn, case.inputs))
    setattr(jit_corpus, glob, value)
    try:
        want = outcome(map, case.fn, case.inputs)
        got = outcome(gilmap.map, case.fn, case.inputs)
    finally:
        setattr(jit_corpus, glob, old)
    assert same(want, got), (
        f"{name} after {glob} = {value!r}: CPython {_show(want)}, gilmap {_show(got)}"
    )
