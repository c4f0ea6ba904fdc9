"""Runs cases in child processes (:mod:`tests.fuzz.child`) with a per-case timeout.

A child gets a list of seeds and reports each case as it starts and ends. When it dies or a
case outlives the timeout, the case in progress is the suspect: the child is killed, that
seed is run again alone in a fresh child (the bisection down to one seed), and the rest of
the list goes on in a new child. A crash or hang that needs the earlier seeds of the batch
to show is reported with them.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    """What happened to one seed: its result dict, or a crash/hang."""

    seed: int
    result: dict[str, Any] | None = None
    crash: str = ""  # "crash" | "hang" | ""
    detail: str = ""
    history: list[int] = field(default_factory=list)  # earlier seeds of the same child
    backend: str = ""


def child_cwd() -> str:
    """The children's working directory (first on their sys.path with ``-m``)."""
    return os.environ.get("GILMAP_FUZZ_PATH") or str(ROOT)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in (
        "GILMAP_NUM_THREADS",
        "GILMAP_DEBUG",
        "GILMAP_JIT",
        "GILMAP_ARROW",
        "GILMAP_SIMT",
        "GILMAP_DUMP",
    ):
        env.pop(var, None)
    paths = [str(ROOT), str(ROOT / "tests")]
    # Another copy of the gilmap package to test (--gilmap-path): e.g. a snapshot whose
    # extension module matches its Python files while the tree is being rebuilt.
    if os.environ.get("GILMAP_FUZZ_PATH"):
        paths.insert(0, os.environ["GILMAP_FUZZ_PATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONHASHSEED"] = "0"
    return env


SMOKE = """
import gilmap, numpy as np, pyarrow as pa
f = lambda x: x * 3 + 1
def py(v):
    return v if isinstance(v, list) else v.tolist() if hasattr(v, "dtype") else v.to_pylist()
for data in ([1, None, 2], np.arange(3), pa.array([1, None, 2]), pa.chunked_array([[1], [], [2]])):
    got = py(gilmap.map(f, data))
    assert got == [None if x is None else f(x) for x in py(data)], got
"""


def smoke(python: str = sys.executable) -> str | None:
    """None if gilmap maps a small function over each container; else what went wrong
    (e.g. an extension module older than the Python package next to it)."""
    done = subprocess.run(
        [python, "-c", SMOKE],
        cwd=child_cwd(),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return None if done.returncode == 0 else done.stderr.strip()[-1500:]


def _pump(stream: Any, put: Any) -> None:
    """Passes each line of ``stream`` to ``put``, then "" at its end."""
    for line in stream:
        put(line)
    put("")


def run_child(
    job: dict[str, Any], timeout: float, python: str = sys.executable
) -> tuple[list[Outcome], list[int]]:
    """Runs ``job`` in one child until it ends or fails; returns the outcomes it reported
    and the seeds it never started (after a crash or hang)."""
    proc = subprocess.Popen(
        [python, "-m", "tests.fuzz.child"],
        cwd=child_cwd(),
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write(json.dumps(job))
    proc.stdin.close()
    order = list(job.get("seeds") or [c["case"]["seed"] for c in job.get("cases", [])])
    outcomes: list[Outcome] = []
    current: int | None = None
    started: list[int] = []
    # Both pipes are drained by threads: select() on a buffered text pipe can miss a line
    # already read into the buffer, and a full stderr pipe would block the child.
    lines: queue.Queue[str] = queue.Queue()
    err_lines: list[str] = []
    threading.Thread(target=_pump, args=(proc.stdout, lines.put), daemon=True).start()
    err_thread = threading.Thread(target=_pump, args=(proc.stderr, err_lines.append), daemon=True)
    err_thread.start()
    deadline = time.monotonic() + timeout
    failure = ""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            failure = "hang"
            break
        try:
            line = lines.get(timeout=min(left, 1.0))
        except queue.Empty:
            continue
        if not line:  # end of output
            failure = "crash"
            break
        event = json.loads(line)
        if "begin" in event:
            current = event["begin"]
            started.append(current)
            deadline = time.monotonic() + timeout
        elif "result" in event:
            outcomes.append(Outcome(current if current is not None else -1, event["result"]))
            current = None
        elif "done" in event:
            break
    if failure:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    err_thread.join(timeout=10)
    err = "".join(err_lines)[-2000:]
    if failure and current is not None:
        code = proc.returncode
        why = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
        detail = (
            f"{why}; stderr: {err.strip()[-600:]}"
            if failure == "crash"
            else f"no result in {timeout:.0f} s"
        )
        outcomes.append(Outcome(current, None, failure, detail, started[:-1]))
    elif failure and not started:  # died before starting a case: a broken environment
        raise RuntimeError(f"fuzz child failed to start ({failure}): {err[-1500:]}")
    elif failure or proc.returncode:  # between cases or at exit
        tail = f"exit status {proc.returncode} after the last case; stderr: {err.strip()[-600:]}"
        outcomes.append(Outcome(started[-1], None, "crash", tail, started[:-1]))
    done = {o.seed for o in outcomes}
    return outcomes, [s for s in order if s not in done and s not in started]


def run_seeds(
    backend: str,
    seeds: list[int],
    timeout: float = 60.0,
    python: str = sys.executable,
    batch: int = 50,
) -> list[Outcome]:
    """Checks every seed; crashes and hangs are re-run alone to confirm them."""
    out: list[Outcome] = []
    pending = list(seeds)
    while pending:
        chunk, pending = pending[:batch], pending[batch:]
        while chunk:
            outcomes, rest = run_child({"backend": backend, "seeds": chunk}, timeout, python)
            for o in outcomes:
                if o.crash:
                    alone, _ = run_child({"backend": backend, "seeds": [o.seed]}, timeout, python)
                    if alone and alone[0].crash:
                        o.detail = alone[0].detail
                        o.history = []
                    else:
                        o.detail += f" (not alone: after seeds {o.history[-5:]})"
                o.backend = backend
                out.append(o)
            chunk = rest
    return out
