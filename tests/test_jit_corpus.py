"""The JIT corpus (../shared/jit/corpus.py): every positive case routes to the JIT and
equals ``list(map(f, xs))`` (values, element types, exception types); every negative case
is refused by the JIT and, where the answer is numeric and the function importable, still
gets CPython's answer through the fallback."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

import gilmap

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "jit"
if not (CORPUS_DIR / "corpus.py").exists():
    pytest.skip("../shared/jit/corpus.py not present", allow_module_level=True)


def _load():
    # Imported under its own name with its directory on sys.path, so sub-interpreter
    # workers can import it too (the fallback for negative cases).
    if str(CORPUS_DIR) not in sys.path:
        sys.path.append(str(CORPUS_DIR))
    if "corpus" in sys.modules:
        return sys.modules["corpus"]
    spec = importlib.util.spec_from_file_location("corpus", CORPUS_DIR / "corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = mod
    spec.loader.exec_module(mod)
    return mod


corpus = _load()
POS = {c.name: c for c in corpus.POSITIVE}
NEG = {c.name: c for c in corpus.NEGATIVE}


def outcome(fn, xs):
    """('ok', [(type, value)...]) or ('raise', ExceptionType) like list(map(fn, xs))."""
    try:
        return "ok", [(type(v), v) for v in map(fn, xs)]
    except Exception as exc:  # noqa: BLE001
        return "raise", type(exc)


def same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return issubclass(b[1], a[1]) or issubclass(a[1], b[1])
    if len(a[1]) != len(b[1]):
        return False
    for (ta, va), (tb, vb) in zip(a[1], b[1], strict=True):
        if ta is not tb:
            return False
        if isinstance(va, float) and math.isnan(va):
            if not math.isnan(vb):
                return False
        elif isinstance(va, float):
            if math.copysign(1.0, va) != math.copysign(1.0, vb) or va != vb:
                return False
        elif va != vb:
            return False
    return True


def gilmap_outcome(fn, xs):
    try:
        return "ok", [(type(v), v) for v in gilmap.map(fn, xs)]
    except Exception as exc:  # noqa: BLE001
        return "raise", type(exc)


@pytest.mark.parametrize("name", sorted(POS))
def test_positive_case_runs_on_the_jit_and_matches_cpython(name):
    case = POS[name]
    info = gilmap.explain(case.fn, dtype=case.lane)
    assert info["backend"] == "jit", info["reason"]
    assert info["has_fast_path"] is True
    assert info["kernel_hash"] and info["typed_ir"] and info["llvm_ir"]
    want = outcome(case.fn, case.inputs)
    got = gilmap_outcome(case.fn, case.inputs)
    assert same(want, got), f"{name}: CPython {want} vs gilmap {got}"
    # Each input alone too: the first failing element decides, elements are independent.
    for x in case.inputs:
        assert same(outcome(case.fn, [x]), gilmap_outcome(case.fn, [x])), f"{name}({x!r})"


@pytest.mark.parametrize("name", sorted(NEG))
def test_negative_case_is_refused_by_the_jit(name):
    case = NEG[name]
    info = gilmap.explain(case.fn, dtype=case.lane)
    assert info["backend"] != "jit"
    assert "jit" in info["rejected"], info
    reason = info["rejected"]["jit"]
    assert reason.startswith("JIT refused"), reason
    want = outcome(case.fn, case.inputs)
    numeric = want[0] == "ok" and all(t in (int, float, bool) for t, _ in want[1])
    if info["backend"] == "subinterp" and numeric and name not in ("n_print", "n_global_mut"):
        assert same(want, gilmap_outcome(case.fn, case.inputs))
