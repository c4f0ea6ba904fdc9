"""Import time of an installed gilmap (run by ci/wheel_test.sh in the wheel's fresh venv).

Prints three numbers in ms, each the best of 7 fresh interpreters: ``import gilmap`` in all;
the standard-library modules that import loads, imported alone; and the difference,
gilmap's own share (its modules, the extension and its static LLVM). The budget applies to
the share: the standard library's part depends on how fast the machine runs Python (the same
modules took 11 ms on one machine here and 42 ms on another).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig

TIMED = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"


def best_of(modules: str, runs: int = 7) -> float:
    ts = []
    for _ in range(runs):
        cmd = [sys.executable, "-c", TIMED.format(modules)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        ts.append(float(out))
    return min(ts) * 1e3


def stdlib_modules_of_gilmap() -> list[str]:
    probe = (
        "import sys; before = set(sys.modules); import gilmap; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    names = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    stdlib = sysconfig.get_paths()["stdlib"]
    keep = []
    for name in names:
        if name.split(".")[0] == "gilmap":
            continue
        mod = sys.modules.get(name) or __import__(name, fromlist=["_"])
        path = getattr(mod, "__file__", None)
        # Built-in and frozen modules have no file; the rest must live in the stdlib.
        if path is None or path.startswith(stdlib) and "site-packages" not in path:
            keep.append(name)
    return keep


def main() -> None:
    total = best_of("gilmap")
    base = best_of(", ".join(stdlib_modules_of_gilmap()))
    print(f"{total:.1f} {base:.1f} {total - base:.1f}")


if __name__ == "__main__":
    main()
