"""Runs the benchmark suite and writes a results JSON (``benchmarks.report`` renders it).

    python -m benchmarks.run --out FILE.json [--quick] [--repeats N] [--only NAME ...]

Every (workload, container, size, runner) cell: the first call (compilation, pool
start-up) is timed on its own, then ``--repeats`` steady-state calls; each output is
checked against ``list(map(f, xs))`` (ints exactly, floats bit for bit, vector-form peers
to 1e-9 relative) and a mismatch is recorded as a failure. ``--quick`` keeps the whole run
under two minutes (CI smoke test).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numpy as np  # noqa: E402

import gilmap  # noqa: E402

from . import suite  # noqa: E402

#: A runner that took longer than this at one size is not run at larger sizes.
BUDGET_S = 20.0


def _version(mod: str) -> str | None:
    try:
        m = __import__(mod)
    except ImportError:
        return None
    return getattr(m, "__version__", "unknown")


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "os": platform.platform()}


def versions() -> dict[str, Any]:
    from gilmap import _gilmap

    numba = _version("numba")
    out = {
        "python": platform.python_version(),
        "gilmap": gilmap.__version__,
        "llvm": _gilmap.llvm_version(),
        "numba": numba,
        "numpy": _version("numpy"),
        "pyarrow": _version("pyarrow"),
        "numexpr": _version("numexpr"),
        "joblib": _version("joblib"),
        "dask": _version("dask"),
    }
    if numba:
        out["numba_threading_layer"] = os.environ["NUMBA_THREADING_LAYER"]
    return out


def commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def container_data(arr: np.ndarray, container: str) -> Any:
    if container == "list":
        return arr.tolist()
    if container == "numpy":
        return arr
    import pyarrow as pa

    return pa.array(arr)


def run_cell(call: Any, data: Any, want: list[Any], approx: bool, repeats: int) -> dict:
    t0 = time.perf_counter()
    try:
        out = call(data)
    except Exception as exc:  # a runner failing is a result, not a crash of the suite
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    first = time.perf_counter() - t0
    ok = suite.matches(suite.to_list(out), want, approx)
    del out
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = call(data)
        times.append(time.perf_counter() - t0)
        del out  # freeing the result is not timed (the same work for every runner)
    return {
        "ok": ok,
        "first_s": first,
        "best_s": min(times) if times else first,
        "median_s": statistics.median(times) if times else first,
        **({} if ok else {"error": "output differs from list(map(f, xs))"}),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--only", nargs="*", default=None, help="workload names")
    args = ap.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    workloads = [w for w in suite.WORKLOADS if not args.only or w.name in args.only]
    results: list[dict] = []
    started = time.perf_counter()
    try:
        for wl in workloads:
            sizes = wl.quick_sizes if args.quick else wl.sizes
            over_budget: set[tuple[str, str]] = set()
            for size in sizes:
                arr = wl.make(size)
                want = list(map(wl.func, arr.tolist()))
                for r in suite.RUNNERS:
                    key = (r.name, r.container)
                    cell = {
                        "workload": wl.name,
                        "container": r.container,
                        "runner": r.name,
                        "size": size,
                    }
                    if args.quick and r.name in ("joblib(loky)", "ProcessPoolExecutor"):
                        continue  # pool start-up dominates a smoke test
                    if size > r.max_size or key in over_budget:
                        results.append({**cell, "skipped": "size or time budget"})
                        continue
                    call = r.setup(wl)
                    if call is None:
                        continue  # does not apply to this workload
                    data = container_data(arr, r.container)
                    res = run_cell(call, data, want, r.approx and wl.approx_forms, repeats)
                    results.append({**cell, **res})
                    if res.get("best_s", 0.0) > BUDGET_S:
                        over_budget.add(key)
                    status = "ok" if res["ok"] else "FAIL " + res.get("error", "")
                    best = res.get("best_s")
                    shown = f"{best * 1e3:10.2f} ms" if best is not None else "       -"
                    print(
                        f"{wl.name:<16} {r.container:<6} {size:>10,} {r.name:<28} {shown}  "
                        f"{status}",
                        flush=True,
                    )
    finally:
        suite.POOLS.close()
    doc = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "repeats": repeats,
        "machine": machine(),
        "versions": versions(),
        "commit": commit(),
        "wall_s": time.perf_counter() - started,
        "workloads": {
            w.name: {"lane": w.lane, "notes": w.notes, "approx_forms": w.approx_forms}
            for w in workloads
        },
        "results": results,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    failures = [r for r in results if r.get("ok") is False]
    print(
        f"wrote {args.out}: {len(results)} cells, {len(failures)} failures, {doc['wall_s']:.0f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
