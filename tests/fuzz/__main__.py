"""``python -m tests.fuzz``: fuzz gilmap against CPython for a time budget or a seed count.

    python -m tests.fuzz --seconds 300 --seed 0 --backend all --out fuzz-out

Runs generated cases in child processes (one at a time), prints a summary (functions,
accepted by the backend they target, lane-parallel kernels exercised, compared runs and
elements, findings by kind), minimizes one failing case per distinct finding and writes
``findings.jsonl``, ``summary.json`` and ``reproducers.py`` (``pytest.param`` entries for
``tests/test_fuzz_regressions.py``) to ``--out``. Exit status 1 if anything was found.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .child import case_from_json, case_to_json, dec, enc
from .gen import generate
from .inputs import value_text, values
from .minimize import shrink, subprocess_holds
from .runner import Outcome, child_cwd, child_env, run_seeds, smoke

ROTATION = ("jit", "jit", "arrow", "jit", "jit", "numba", "jit", "arrow")


def summarize(outcomes: list[Outcome], backends: set[str]) -> dict[str, Any]:
    stats: dict[str, Counter[str]] = {b: Counter() for b in backends}
    for o in outcomes:
        c = stats.setdefault(o.backend, Counter())
        c["functions"] += 1
        if o.crash:
            c[o.crash] += 1
            continue
        r = o.result or {}
        if "error" in r:
            c["generator-error"] += 1
            continue
        c["accepted"] += bool(r["accepted"])
        c["refused"] += not r["accepted"]
        c["simt"] += bool(r["simt"])
        c["runs"] += r["runs"]
        c["inputs"] += r["inputs"]
        c["skipped"] += bool(r["skipped"])
        for k in {f["kind"] for f in r["findings"]}:
            c[k] += 1
    return {b: dict(c) for b, c in stats.items()}


def signature(o: Outcome) -> tuple[str, ...]:
    if o.crash:
        return (o.backend, o.crash)
    f = o.result["findings"][0]  # type: ignore[index]
    return (o.backend, f["kind"], f["container"], f["phase"].split("/")[0], f["mode"])


def failing(outcomes: list[Outcome]) -> list[Outcome]:
    return [
        o
        for o in outcomes
        if o.crash or (o.result and (o.result.get("findings") or "error" in o.result))
    ]


def minimize(o: Outcome, seconds: float, timeout: float, python: str) -> dict[str, Any]:
    """The minimized reproducer of one failing outcome."""
    case = generate(o.seed, o.backend)
    xs = values(case.lane, __import__("random").Random(case.seed * 7919 + 1))
    if o.crash:
        kind, container = o.crash, "list"
        from .inputs import CONTAINERS

        holds = subprocess_holds(kind, min(timeout, 20.0), python)
        container = next((c for c in CONTAINERS if holds(case, xs, c)), "")
        if container:
            case, xs, container = shrink(case, xs, container, holds, seconds)
        detail = o.detail
    else:
        f = o.result["findings"][0]  # type: ignore[index]
        kind, container, detail = f["kind"], f["container"], f["detail"]
        job = {
            "case": case_to_json(case),
            "xs": enc(xs),
            "container": container,
            "kind": kind,
            "seconds": seconds,
        }
        try:
            done = subprocess.run(
                [python, "-m", "tests.fuzz.minimize"],
                input=json.dumps(job), capture_output=True, text=True, cwd=child_cwd(),
                env=child_env(), timeout=seconds + 120,
            )  # fmt: skip
            last = json.loads(done.stdout.strip().splitlines()[-1])
            case, xs, container = case_from_json(last["case"]), dec(last["xs"]), last["container"]
        except (subprocess.TimeoutExpired, IndexError, json.JSONDecodeError, KeyError):
            pass
    return {
        "seed": o.seed,
        "backend": o.backend,
        "kind": kind,
        "detail": detail,
        "lane": case.lane,
        "container": container,
        "source": case.source,
        "xs": enc(xs),
        "changes": case_to_json(case)["changes"],
    }


def as_param(rep: dict[str, Any]) -> str:
    """A ``pytest.param`` entry for tests/test_fuzz_regressions.py."""
    xs = "[" + ", ".join(value_text(v) for v in dec(rep["xs"])) + "]"
    changes = "[" + ", ".join(f"({n!r}, {value_text(dec(v))})" for n, v in rep["changes"]) + "]"
    src = rep["source"].rstrip("\n").replace("\\", "\\\\")
    return (
        f"    # {rep['kind']}: {rep['detail'][:150]}\n"
        f'    pytest.param("{rep["backend"]}", "{rep["lane"]}", "{rep["container"]}", '
        f"{rep['seed']},\n"
        f'        """\\\n{src}\n""",\n        {xs},\n        {changes},\n'
        f'        id="{rep["backend"]}-{rep["kind"]}-{rep["seed"]}",\n    ),\n'
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="time budget (default 60)")
    ap.add_argument("--count", type=int, default=0, help="stop after this many functions")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--backend", default="all", choices=["all", "jit", "arrow", "numba"])
    ap.add_argument("--out", type=Path, default=None, help="directory for the reports")
    ap.add_argument("--batch", type=int, default=40, help="seeds per child process")
    ap.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per case before it is a hang"
    )
    ap.add_argument("--minimize-seconds", type=float, default=60.0)
    ap.add_argument("--max-minimize", type=int, default=12, help="distinct findings to minimize")
    ap.add_argument("--python", default=sys.executable, help="interpreter of the children")
    ap.add_argument("--gilmap-path", default="", help="directory holding the gilmap to test")
    args = ap.parse_args(argv)
    if args.gilmap_path:
        os.environ["GILMAP_FUZZ_PATH"] = os.path.abspath(args.gilmap_path)
    if os.sep in args.python:  # the children run in another directory
        args.python = os.path.abspath(args.python)
    broken = smoke(args.python)
    if broken:
        print(f"gilmap does not work in {args.python}; not fuzzing:\n{broken}", file=sys.stderr)
        return 2
    end = time.monotonic() + args.seconds
    backends = ROTATION if args.backend == "all" else (args.backend,)
    outcomes: list[Outcome] = []
    seed, turn = args.seed, 0
    while time.monotonic() < end and (not args.count or len(outcomes) < args.count):
        backend = backends[turn % len(backends)]
        n = args.batch if backend != "numba" else max(1, args.batch // 8)
        if args.count:
            n = min(n, args.count - len(outcomes))
        got = run_seeds(backend, list(range(seed, seed + n)), args.timeout, args.python, batch=n)
        outcomes += got
        seed, turn = seed + n, turn + 1
    stats = summarize(outcomes, set(backends))
    print(f"gilmap fuzz: seeds {args.seed}..{seed - 1} on {args.python}")
    for b, c in stats.items():
        print(f"  {b}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    bad = failing(outcomes)
    seen: dict[tuple[str, ...], int] = {}
    for o in bad:
        seen[signature(o)] = seen.get(signature(o), 0) + 1
        what = o.crash or (
            o.result.get("error") if o.result and "error" in o.result else o.result["findings"][0]
        )  # type: ignore[index]
        print(f"  FAIL {o.backend} seed {o.seed}: {what}")
    reps: list[dict[str, Any]] = []
    firsts = {}
    for o in bad:
        firsts.setdefault(signature(o), o)
    for sig, o in list(firsts.items())[: args.max_minimize]:
        if o.result and "error" in o.result:
            continue
        rep = minimize(o, args.minimize_seconds, args.timeout, args.python)
        rep["count"] = seen[sig]
        reps.append(rep)
        print(f"\n--- minimized {sig} (seen {seen[sig]}x), seed {o.seed}:\n{as_param(rep)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with open(args.out / "findings.jsonl", "w") as fh:
            for o in bad:
                fh.write(
                    json.dumps(
                        {
                            "seed": o.seed,
                            "backend": o.backend,
                            "crash": o.crash,
                            "detail": o.detail,
                            "result": o.result,
                        }
                    )
                    + "\n"
                )
        (args.out / "summary.json").write_text(
            json.dumps({"python": args.python, "stats": stats, "reproducers": reps}, indent=1)
        )
        (args.out / "reproducers.py").write_text("".join(as_param(r) for r in reps))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
