"""The child process: ``python -m tests.fuzz.child`` reads one JSON job on stdin and writes
one JSON line per event on stdout (flushed), so the parent knows which case was running when
the child crashed or hung.

Jobs: ``{"backend": b, "seeds": [...]}`` checks generated cases;
``{"cases": [{"case": ..., "xs": ..., "containers": [...]}]}`` checks given cases (the
minimizer's candidates). Events: ``{"begin": seed}``, ``{"result": {...}}``, ``{"done": 1}``.
"""

from __future__ import annotations

import json
import resource
import struct
import sys
from typing import Any

from .check import check
from .gen import Case, generate


def enc(v: Any) -> Any:
    """A JSON form that keeps float bits (NaN signs included) and big ints."""
    if type(v) is float:
        return {"f": struct.pack("<d", v).hex()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    return v


def dec(v: Any) -> Any:
    if isinstance(v, dict) and "f" in v:
        return struct.unpack("<d", bytes.fromhex(v["f"]))[0]
    if isinstance(v, list):
        return [dec(x) for x in v]
    return v


def case_to_json(case: Case) -> dict[str, Any]:
    return {
        "seed": case.seed,
        "backend": case.backend,
        "lane": case.lane,
        "source": case.source,
        "changes": [[n, enc(v)] for n, v in case.changes],
    }


def case_from_json(d: dict[str, Any]) -> Case:
    return Case(
        d["seed"], d["backend"], d["lane"], d["source"], [(n, dec(v)) for n, v in d["changes"]]
    )


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    # CPython's big ints can grow without bound in a generated loop: fail instead of swapping.
    limit = 6 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    job = json.loads(sys.stdin.read())
    if "numba" in (job.get("backend"), *(c["case"]["backend"] for c in job.get("cases", []))):
        import numba  # noqa: F401 - numba_native is only considered once numba is imported
    for seed in job.get("seeds", []):
        emit({"begin": seed})
        case = generate(seed, job["backend"])
        try:
            result = check(case).as_dict()
        except Exception as exc:  # noqa: BLE001 - the generator made a bad program
            result = {"seed": seed, "error": f"{type(exc).__name__}: {exc}"[:300]}
        emit({"result": result})
    for item in job.get("cases", []):
        case = case_from_json(item["case"])
        emit({"begin": case.seed})
        xs = dec(item["xs"]) if item.get("xs") is not None else None
        containers = tuple(item.get("containers") or ()) or None
        try:
            r = check(case, xs, containers) if containers else check(case, xs)
            result = r.as_dict()
        except Exception as exc:  # noqa: BLE001
            result = {"seed": case.seed, "error": f"{type(exc).__name__}: {exc}"[:300]}
        emit({"result": result})
    emit({"done": 1})


if __name__ == "__main__":
    main()
