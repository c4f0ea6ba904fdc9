"""Guards (issue 10): a cached decision is reused only while everything it read is
unchanged, compared by identity or by type and exact bits; refusals are re-decided too.

Each case runs a function, changes what it depends on, and checks that the next call
gives CPython's new answer on the backend that should run it (``map_on`` asserts which)."""

from __future__ import annotations

import builtins
import math

import pytest
from conftest import map_on

import gilmap
from gilmap import _guards


def make(src: str, **ns):
    """Functions defined by ``exec`` (no source file), in a fresh globals dict."""
    g = {"math": math, **ns}
    exec(src, g)
    return g


def _bits(v):
    return [(type(x), math.copysign(1.0, x) if isinstance(x, float) else x) for x in v]


def test_same_value_compares_type_and_bits():
    assert _guards.same_value(0.0, 0.0)
    assert not _guards.same_value(-0.0, 0.0)
    assert _guards.same_value(float("nan"), float("nan"))
    assert not _guards.same_value(1, 1.0)
    assert not _guards.same_value(True, 1)
    assert _guards.same_value(3, 3)


@pytest.mark.parametrize(("first", "second"), [(0.0, -0.0), (-0.0, 0.0), (1, 1.0), (1, True)])
def test_global_rebound_to_an_equal_value_of_other_bits_or_type(first, second):
    g = make("def f(x):\n    return x * 0.0 + K if x > 5 else K\n", K=first)
    assert _bits(map_on("jit", g["f"], [1, 2])) == _bits([first, first])
    g["K"] = second
    assert _bits(map_on("jit", g["f"], [1, 2])) == _bits([second, second])


def test_nan_global_does_not_recompile_every_call():
    g = make("def f(x):\n    return x + K\n", K=float("nan"))
    map_on("jit", g["f"], [1.0])
    before = gilmap._api.router.analyses
    for _ in range(5):
        map_on("jit", g["f"], [1.0])
    assert gilmap._api.router.analyses == before


def test_replaced_code_is_seen():
    g = make("def f(x):\n    return x + 1\n")
    f = g["f"]
    assert map_on("jit", f, [1, 2]) == [2, 3]
    f.__code__ = (lambda x: x * 10).__code__
    assert map_on("jit", f, [1, 2]) == [10, 20]


def test_helper_code_and_defaults_are_seen():
    g = make("def h(x, k=2):\n    return x * k\ndef f(x):\n    return h(x) + 1\n")
    assert map_on("jit", g["f"], [1, 2]) == [3, 5]
    g["h"].__defaults__ = (5,)
    assert map_on("jit", g["f"], [1, 2]) == [6, 11]
    g["h"].__code__ = (lambda x, k=0: x - k).__code__
    assert map_on("jit", g["f"], [1, 2]) == list(map(g["f"], [1, 2]))


def test_monkeypatched_math_pi(monkeypatch):
    g = make("def f(x):\n    return x * math.pi\n")
    assert map_on("jit", g["f"], [1.0]) == [math.pi]
    monkeypatch.setattr(math, "pi", 3.0)
    # No longer the constant the compiler knows: refused, with the reason.
    info = gilmap.explain(g["f"], dtype=float)
    assert info["backend"] != "jit"
    assert "math.pi at line 2" in info["rejected"]["jit"]
    assert "(reassigned)" in info["rejected"]["jit"]
    with pytest.raises(ValueError, match="cannot run f"):
        gilmap.map(g["f"], [1.0])  # exec-defined: the pool cannot import it either
    monkeypatch.undo()
    assert map_on("jit", g["f"], [1.0]) == [math.pi]


def test_monkeypatched_math_function(monkeypatch):
    g = make("def f(x):\n    return math.sqrt(x)\n")
    assert map_on("jit", g["f"], [4.0]) == [2.0]
    monkeypatch.setattr(math, "sqrt", lambda x: -1.0)
    info = gilmap.explain(g["f"], dtype=float)
    assert "math.sqrt at line 2" in info["rejected"]["jit"]
    assert "math.sqrt was reassigned" in info["rejected"]["arrow_kernel"]
    monkeypatch.undo()
    assert map_on("jit", g["f"], [4.0]) == [2.0]


def test_monkeypatched_builtin_abs(monkeypatch):
    g = make("def f(x):\n    return abs(x)\n")
    assert map_on("jit", g["f"], [-3]) == [3]
    monkeypatch.setattr(builtins, "abs", lambda x: 42)
    assert gilmap.map(g["f"], [-3]) == [42]
    monkeypatch.undo()
    assert map_on("jit", g["f"], [-3]) == [3]


def test_shadowing_global_for_a_builtin():
    g = make("def f(x):\n    return abs(x)\n")
    assert map_on("jit", g["f"], [-3]) == [3]
    g["abs"] = lambda x: x + 100
    assert gilmap.map(g["f"], [-3]) == [97]
    del g["abs"]
    assert map_on("jit", g["f"], [-3]) == [3]


def test_a_refusal_is_re_decided_when_the_global_comes_back():
    g = make("def f(x):\n    return x + K\n", K=3)
    assert map_on("jit", g["f"], [1]) == [4]
    g["K"] = 2**70  # beyond int64: the JIT refuses; a lambda-like exec function has no pool
    assert gilmap.explain(g["f"], dtype=int)["backend"] != "jit"
    g["K"] = 3
    assert map_on("jit", g["f"], [1]) == [4]


def test_arrow_kernel_sees_a_replaced_code():
    pa = pytest.importorskip("pyarrow")
    import os

    g = make("def f(x):\n    return x * 2.0\n")
    # arrow_kernel comes after the JIT: turn the JIT off for this test.
    os.environ["GILMAP_JIT"] = "0"
    gilmap._api.router.clear()
    try:
        arr = pa.array([1.0, 2.0])
        assert map_on("arrow_kernel", g["f"], arr).to_pylist() == [2.0, 4.0]
        g["f"].__code__ = (lambda x: x * 3.0).__code__
        assert map_on("arrow_kernel", g["f"], arr).to_pylist() == [3.0, 6.0]
    finally:
        del os.environ["GILMAP_JIT"]
        gilmap._api.router.clear()
