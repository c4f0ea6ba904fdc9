"""Smoke test of an installed gilmap (run from a directory outside the repository):
the JIT compiles a lambda, the sub-interpreter pool runs an importable function, explain
dumps IR, and numba and gilmap compile alternately in one process."""

from __future__ import annotations

import os
import pathlib
import sys

import gilmap

here = pathlib.Path.cwd()
assert not (here / "gilmap").exists(), "run me outside the source tree"
assert pathlib.Path(gilmap.__file__).is_relative_to(pathlib.Path(sys.prefix)), gilmap.__file__

f = lambda x: x * 3 + 1  # noqa: E731
assert gilmap.explain(f, dtype=int)["backend"] == "jit"
assert gilmap.map(f, list(range(100_000))) == [x * 3 + 1 for x in range(100_000)]

info = gilmap.explain(lambda x: x * 1.5 + 0.5, dtype=float)
assert info["backend"] == "jit" and "fmul" in info["llvm_ir"] and "fn <lambda>" in info["typed_ir"]

(here / "smoke_mod.py").write_text(
    "def words(n):\n    d = {str(k): k for k in range(n % 7)}\n    return len(d) + len(str(n))\n"
)
sys.path.insert(0, str(here))
import smoke_mod  # noqa: E402

assert gilmap.explain(smoke_mod.words)["backend"] == "subinterp"
xs = list(range(5_000))
assert gilmap.map(smoke_mod.words, xs) == [smoke_mod.words(x) for x in xs]
gilmap.shutdown_workers()

if not os.environ.get("GILMAP_SMOKE_NO_NUMBA"):
    import numba
    import numpy as np

    for k in range(3):  # numba (its own LLVM) and gilmap's LLVM, compiling alternately
        nb = numba.njit(lambda x, k=k: x * (k + 2) - 1)  # noqa: E731
        assert nb(3.0) == 3.0 * (k + 2) - 1
        g = eval(f"lambda x: x * {k + 2} - 1")
        assert gilmap.map(g, [3.0]) == [3.0 * (k + 2) - 1]
        assert gilmap.map(nb, np.array([3.0])).tolist() == [3.0 * (k + 2) - 1]
print("smoke test ok:", gilmap.__version__, "from", gilmap.__file__)
