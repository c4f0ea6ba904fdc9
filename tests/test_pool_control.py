"""The pool stays in control: Ctrl-C and interpreter exit with a never-ending element, and
memory over fork cycles. Each test runs a fresh interpreter with a timeout, so a hang fails
the test instead of hanging the suite. The functions live in ``gm_funcs`` (importable by
the workers) and every script asserts that the sub-interpreter pool runs them."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT, run_python, subprocess_env

FATAL = ("Fatal Python error", "Segmentation fault", "Aborted", "panicked")
POOL_ONLY = {"GILMAP_JIT": "0", "GILMAP_ARROW": "0"}


def details(rc, out, err) -> str:
    return f"rc={rc}\nstdout:\n{out}\nstderr:\n{err[-3000:]}"


# ------------------------------------------------------------------ Ctrl-C

SIGINT_SCRIPT = """
import time
import gilmap, gm_funcs as g

f = g.{func}
assert gilmap.explain(f)["backend"] == "subinterp", gilmap.explain(f)
print("READY", flush=True)
try:
    gilmap.map(f, [1, 2, -1, 3, 4])  # -1 never returns
    print("RESULT not interrupted", flush=True)
except KeyboardInterrupt:
    print(f"RESULT KeyboardInterrupt {{time.monotonic():.6f}}", flush=True)
xs = list(range(600))  # no -1: every element returns
print("AFTER", gilmap.map(g.forever, xs) == [x + 1 for x in xs], flush=True)
print("EXPLAIN", gilmap.explain(g.forever)["backend"], flush=True)
"""


@pytest.mark.parametrize("func", ["forever", "forever_swallowing", "blocked"])
def test_ctrl_c_interrupts_a_worker_in_an_endless_python_loop(func, tmp_path):
    # forever*: the worker gets KeyboardInterrupt and leaves the element. blocked (a C
    # sleep): the worker stays in it, but the caller does not wait for it (it will read no
    # more input); the next map runs on the other workers, and the exit is not held up.
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGINT_SCRIPT.format(func=func)],
        cwd=ROOT,
        env=subprocess_env(GM_MARKER_DIR=str(tmp_path), **POOL_ONLY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stuck = tmp_path / "stuck"
        deadline = time.monotonic() + 30
        while not stuck.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no worker entered the endless element"
            time.sleep(0.005)
        time.sleep(0.2)  # the worker is well inside its loop
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("Ctrl-C did not stop the call within 20 s\n" + details(None, out, err))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    info = details(proc.returncode, out, err)
    result = [line for line in out.splitlines() if line.startswith("RESULT")]
    assert len(result) == 1 and result[0].startswith("RESULT KeyboardInterrupt"), info
    latency = float(result[0].split()[-1]) - sent
    print(f"Ctrl-C to KeyboardInterrupt on {sys.version_info[:2]}: {latency * 1000:.1f} ms")
    assert latency < 2.0, info
    assert "AFTER True" in out and "EXPLAIN subinterp" in out, info
    assert proc.returncode == 0 and not any(w in err for w in FATAL), info


# ------------------------------------------------------------------ shutdown

SHUTDOWN_SCRIPT = """
import os, threading, time
import gilmap, gm_funcs as g
from gilmap import _gilmap

assert gilmap.explain(g.forever)["backend"] == "subinterp"
errors = []

def background():
    try:
        gilmap.map(g.forever, [1, -1])  # both elements claimed: the job left the queue
    except BaseException as exc:
        errors.append(type(exc).__name__)

t = threading.Thread(target=background, daemon=True)
t.start()
while not os.path.exists(os.path.join(os.environ["GM_MARKER_DIR"], "stuck")):
    time.sleep(0.005)
start = time.monotonic()
_gilmap.shutdown_workers()
took = time.monotonic() - start
t.join(5)
print("SHUTDOWN", f"{took:.3f}", errors, _gilmap.pool_running(), flush=True)
print("AFTER", gilmap.map(g.forever, [1, 2]) == [2, 3], flush=True)
"""


def test_shutdown_interrupts_a_call_whose_elements_are_all_claimed(tmp_path):
    proc = run_python(SHUTDOWN_SCRIPT, timeout=30, GM_MARKER_DIR=str(tmp_path), **POOL_ONLY)
    info = details(proc.returncode, proc.stdout, proc.stderr)
    line = [x for x in proc.stdout.splitlines() if x.startswith("SHUTDOWN")]
    assert line, info
    _, took, *rest = line[0].split(" ", 2)
    assert float(took) < 1.5, info
    assert rest == ["['RuntimeError'] False"], info
    assert "AFTER True" in proc.stdout, info
    assert proc.returncode == 0 and not any(w in proc.stderr for w in FATAL), info


# ------------------------------------------------------------------ exit

EXIT_SCRIPT = """
import os, threading, time
import gilmap, gm_funcs as g

f = g.{func}
assert gilmap.explain(f)["backend"] == "subinterp", gilmap.explain(f)
threading.Thread(target=lambda: gilmap.map(f, [1, -1, 2]), daemon=True).start()
while not os.path.exists(os.path.join(os.environ["GM_MARKER_DIR"], "stuck")):
    time.sleep(0.005)
time.sleep(0.3)  # the worker is inside its loop, or its sleep (not just before it)
print(f"LEAVING {{time.monotonic():.6f}}", flush=True)
"""


def run_exit(func: str, tmp_path, timeout: float):
    try:
        proc = run_python(
            EXIT_SCRIPT.format(func=func), timeout=timeout, GM_MARKER_DIR=str(tmp_path), **POOL_ONLY
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"interpreter exit hung with {func} in flight: {exc}")
    ended = time.monotonic()
    info = details(proc.returncode, proc.stdout, proc.stderr)
    leaving = [x for x in proc.stdout.splitlines() if x.startswith("LEAVING")]
    assert leaving, info
    return proc, ended - float(leaving[0].split()[1]), info


@pytest.mark.parametrize("func", ["forever", "forever_swallowing"])
def test_exit_interrupts_an_endless_python_element(func, tmp_path):
    # The atexit shutdown interrupts the worker: no grace period, a normal finalization.
    proc, exit_time, info = run_exit(func, tmp_path, timeout=20)
    print(f"exit with {func} in flight on {sys.version_info[:2]}: {exit_time * 1000:.0f} ms")
    assert exit_time < 1.5, info
    assert proc.returncode == 0 and not any(w in proc.stderr for w in FATAL), info
    assert "still inside an element" not in proc.stderr, info


def test_exit_does_not_hang_on_a_worker_blocked_in_c(tmp_path):
    # time.sleep(3600) in a worker: the interrupt cannot reach C code. After the 2 s grace
    # the exit goes on: 3.12 leaves through os._exit (its finalization would abort with a
    # live sub-interpreter), 3.13 tears the leftover interpreter down itself.
    proc, exit_time, info = run_exit("blocked", tmp_path, timeout=30)
    print(f"exit with a blocked worker on {sys.version_info[:2]}: {exit_time * 1000:.0f} ms")
    assert 1.5 < exit_time < 8, info
    assert proc.returncode == 0 and not any(w in proc.stderr for w in FATAL), info
    if sys.version_info < (3, 13):
        assert "gilmap: a worker is still inside an element" in proc.stderr, info


def test_exit_status_of_an_uncaught_exception_with_a_blocked_worker(tmp_path):
    code = EXIT_SCRIPT.format(func="blocked") + "\nraise SystemError('main failed')\n"
    try:
        proc = run_python(code, timeout=30, GM_MARKER_DIR=str(tmp_path), **POOL_ONLY)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"interpreter exit hung: {exc}")
    info = details(proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == 1 and "main failed" in proc.stderr, info
    assert not any(w in proc.stderr for w in FATAL), info


# ------------------------------------------------------------------ fork

FORK_RSS_SCRIPT = """
import os, warnings
import gilmap, gm_funcs as g
from gilmap import _gilmap

warnings.simplefilter("ignore", DeprecationWarning)  # fork() while threads run

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

assert gilmap.explain(g.heavy)["backend"] == "subinterp"
xs = list(range(100))
for _ in range(3):  # warm up: the pool, the import in the workers, the buffers
    assert gilmap.map(g.heavy, xs) == list(map(g.heavy, xs))
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
start = rss_mb()
for _ in range({cycles}):
    assert gilmap.map(g.heavy, xs) == list(map(g.heavy, xs))
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
print("RSS", start, rss_mb(), _gilmap.configured_threads(), flush=True)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_rss_over_map_then_fork_cycles_is_bounded():
    # Every fork stops the workers and the next map starts new ones. CPython keeps about
    # 2.5-3 MB of each ended sub-interpreter that imported a module (docs/ARCHITECTURE.md:
    # "Memory across restarts"), which gilmap cannot free; this bound (4 MB per worker and
    # cycle) fails if gilmap's own restart leaks on top of that.
    cycles = 20
    proc = run_python(FORK_RSS_SCRIPT.format(cycles=cycles), timeout=120, **POOL_ONLY)
    info = details(proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == 0, info
    line = [x for x in proc.stdout.splitlines() if x.startswith("RSS")]
    assert line, info
    start, end, workers = (float(v) for v in line[0].split()[1:])
    per_worker_cycle = (end - start) / (cycles * workers)
    print(f"RSS {start:.0f} -> {end:.0f} MB: {per_worker_cycle:.2f} MB per worker restart")
    assert per_worker_cycle < 4.0, info


def test_stuck_call_interrupts_are_supported_here():
    # The mechanism needs CPython's exported _PyEval_AddPendingCall (3.12 and 3.13 have it).
    proc = run_python(
        textwrap.dedent(
            """
            import ctypes
            print(hasattr(ctypes.pythonapi, "_PyEval_AddPendingCall"))
            """
        )
    )
    assert proc.stdout.strip() == "True", proc.stderr
