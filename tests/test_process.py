"""Process-level behaviour, each in a fresh interpreter: exit, fork, Ctrl-C, thread count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT, run_python, subprocess_env

FATAL = ("Fatal Python error", "Segmentation fault", "Aborted", "panicked")


def assert_clean(proc: subprocess.CompletedProcess) -> None:
    details = f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, details
    assert not any(word in proc.stderr for word in FATAL), details


# ------------------------------------------------------------------ clean exit


def test_clean_exit_after_using_the_pool_without_shutdown():
    # On 3.12, finalizing with live sub-interpreters aborts: the atexit hook must end them.
    code = textwrap.dedent(
        """
        import numpy as np
        import gilmap, gm_funcs as g
        from gilmap import _gilmap

        xs = list(range(5000))
        assert gilmap.map(g.heavy, xs) == list(map(g.heavy, xs))
        assert gilmap.map(g.halve, np.arange(100)).dtype == np.float64
        try:
            gilmap.map(g.reciprocal, [1, 0])
        except ZeroDivisionError:
            pass
        assert gilmap.explain(g.heavy)["backend"] == "subinterp"
        assert _gilmap.pool_running()
        print("done", flush=True)
        """
    )
    proc = run_python(code)
    assert_clean(proc)
    assert proc.stdout.strip() == "done"


def test_clean_exit_when_the_pool_was_started_by_another_thread():
    code = textwrap.dedent(
        """
        import threading
        import gilmap, gm_funcs as g

        out = []
        t = threading.Thread(target=lambda: out.append(gilmap.map(g.affine, [1, 2])))
        t.start(); t.join()
        assert out == [[4, 7]]
        print("done", flush=True)
        """
    )
    proc = run_python(code)
    assert_clean(proc)
    assert proc.stdout.strip() == "done"


def test_clean_exit_after_explicit_shutdown_and_restart():
    code = textwrap.dedent(
        """
        import gilmap, gm_funcs as g
        for _ in range(3):
            assert gilmap.map(g.affine, list(range(100))) == [3 * x + 1 for x in range(100)]
            gilmap.shutdown_workers()
        assert gilmap.map(g.affine, [0]) == [1]
        print("done", flush=True)
        """
    )
    proc = run_python(code)
    assert_clean(proc)


def test_exit_does_not_wait_for_an_abandoned_daemon_thread_job(tmp_path):
    # A daemon thread is inside a ~20 s map when the main thread ends. Python abandons
    # daemon threads at exit; the atexit shutdown must stop the workers (as Ctrl-C does)
    # instead of running the abandoned job to its end, and the exit must stay clean.
    code = textwrap.dedent(
        """
        import os, threading, time
        import gilmap, gm_funcs as g

        def background():
            gilmap.map(g.slow, list(range(8000)))

        threading.Thread(target=background, daemon=True).start()
        busy = os.path.join(os.environ["GM_MARKER_DIR"], "busy")
        while not os.path.exists(busy):
            time.sleep(0.005)
        print("leaving", flush=True)
        """
    )
    start = time.monotonic()
    try:
        proc = run_python(code, timeout=8, GM_MARKER_DIR=str(tmp_path))
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"the process was still exiting {time.monotonic() - start:.1f} s after its main "
            "thread ended: interpreter exit waits for the whole in-flight pool job"
        )
    assert_clean(proc)
    assert proc.stdout.strip() == "leaving"


# ------------------------------------------------------------------ fork

FORK_SCRIPT = """
import os, sys, time, warnings
import gilmap, gm_funcs as g
from gilmap import _gilmap

warnings.simplefilter("ignore", DeprecationWarning)  # fork() while threads run
USE_POOL_FIRST = {use_pool_first}
parent_workers = set()
if USE_POOL_FIRST:
    xs = list(range(1000))
    assert gilmap.map(g.affine, xs) == list(map(g.affine, xs))
    assert _gilmap.pool_running()
    parent_workers = {{s["thread_id"] for s in _gilmap.pool_last_stats()}}
pid = os.fork()
if pid == 0:
    ys = list(range(300))
    ok = gilmap.map(g.heavy, ys) == list(map(g.heavy, ys))
    child_workers = {{s["thread_id"] for s in _gilmap.pool_last_stats()}}
    ok = ok and bool(child_workers) and not (child_workers & parent_workers)
    ok = ok and gilmap.map(g.rendezvous, [9001100, 9001101]) == [True, True]
    print("child ok" if ok else "child WRONG", flush=True)
    sys.exit(0 if ok else 3)  # a normal exit: atexit shuts the child's own pool down
deadline = time.monotonic() + 10
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("child status", os.waitstatus_to_exitcode(status), flush=True)
        break
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("child HUNG", flush=True)
        break
    time.sleep(0.01)
print("parent ok", gilmap.map(g.affine, [1, 2]) == [4, 7], flush=True)
"""


@pytest.mark.parametrize("use_pool_first", [False, True], ids=["fresh", "after-pool-use"])
def test_fork_child_uses_the_pool(use_pool_first, tmp_path):
    code = FORK_SCRIPT.format(use_pool_first=use_pool_first)
    proc = run_python(code, timeout=30, GM_RENDEZVOUS_DIR=str(tmp_path))
    lines = proc.stdout.splitlines()
    details = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    assert "child status 0" in lines, details
    assert "child ok" in lines, details
    assert "parent ok True" in lines, details
    assert_clean(proc)


# ------------------------------------------------------------------ Ctrl-C

SIGINT_SCRIPT = """
import os, signal, threading, time
import gilmap, gm_funcs as g

# The signal's arrival time, taken by a thread woken through the wakeup fd (written by the
# C-level handler the moment SIGINT arrives), not when Python code next runs.
rfd, wfd = os.pipe()
os.set_blocking(wfd, False)
signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
arrived = []

def watch():
    os.read(rfd, 1)
    arrived.append(time.monotonic())

watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
data = list(range(6000))  # about 15 s of 5 ms elements on 2 workers
try:
    gilmap.map(g.slow, data)
    print("RESULT not interrupted", flush=True)
except KeyboardInterrupt:
    caught = time.monotonic()
    watcher.join(5)
    print(f"RESULT KeyboardInterrupt {{caught - arrived[0]:.4f}}", flush=True)
signal.set_wakeup_fd(-1)
ys = list(range(-300, 300))
print("AFTER", gilmap.map(g.floordiv7, ys) == list(map(g.floordiv7, ys)), flush=True)
print("AFTER-SLOW", gilmap.map(g.slow, [1, 2, 3]) == [1, 2, 3], flush=True)
"""


def test_ctrl_c_interrupts_a_long_call_promptly(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGINT_SCRIPT.format()],
        cwd=ROOT,
        env=subprocess_env(GM_MARKER_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        busy = tmp_path / "busy"
        deadline = time.monotonic() + 30
        while not busy.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the pool never started the long call"
            time.sleep(0.005)
        time.sleep(0.2)  # well inside the call: every worker is busy
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    details = f"rc={proc.returncode}\nstdout:\n{out}\nstderr:\n{err[-3000:]}"
    result = [line for line in out.splitlines() if line.startswith("RESULT")]
    assert len(result) == 1 and result[0].startswith("RESULT KeyboardInterrupt"), details
    latency = float(result[0].split()[-1])
    print(f"Ctrl-C latency on Python {sys.version_info[:2]}: {latency * 1000:.1f} ms")
    assert latency < 1.0, details  # the issue asks for ~100 ms; lenient here
    assert "AFTER True" in out and "AFTER-SLOW True" in out, details
    assert proc.returncode == 0, details


# ------------------------------------------------------------------ GILMAP_NUM_THREADS

THREADS_SCRIPT = """
import gilmap, gm_funcs as g
from gilmap import _gilmap

n = _gilmap.configured_threads()
print("configured", n)
assert gilmap.map(g.affine, list(range(100))) == [3 * x + 1 for x in range(100)]
if n > 1:
    # Every worker must take part: each call waits for all the others (gm_funcs.rendezvous).
    group = [1000 + (n - 1) * 100 + m for m in range(n)]
    print("overlap", gilmap.map(g.rendezvous, group) == [True] * n)
stats = _gilmap.pool_last_stats()
print("stats", len(stats))
print("distinct", len({s["thread_id"] for s in stats if s["elements"]}))
"""


@pytest.mark.parametrize("count", [1, 3])
def test_gilmap_num_threads_sets_the_worker_count(count, tmp_path):
    proc = run_python(
        THREADS_SCRIPT, GILMAP_NUM_THREADS=str(count), GM_RENDEZVOUS_DIR=str(tmp_path)
    )
    assert_clean(proc)
    lines = proc.stdout.splitlines()
    assert f"configured {count}" in lines
    assert f"stats {count}" in lines
    assert f"distinct {count}" in lines
    if count > 1:
        assert "overlap True" in lines


def test_default_worker_count_is_the_available_cores(tmp_path):
    proc = run_python(THREADS_SCRIPT, GM_RENDEZVOUS_DIR=str(tmp_path))
    assert_clean(proc)
    n = int(proc.stdout.splitlines()[0].split()[1])
    assert 1 <= n <= len(os.sched_getaffinity(0))  # fewer only under a cgroup CPU quota
    assert f"stats {n}" in proc.stdout.splitlines()


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_invalid_gilmap_num_threads_is_a_value_error(value):
    code = textwrap.dedent(
        """
        import gilmap, gm_funcs as g
        for _ in range(2):  # the error is not a one-off: the next call reports it again
            try:
                gilmap.map(g.affine, [1, 2])
            except ValueError as e:
                print("ValueError", e)
            else:
                print("NO ERROR")
        """
    )
    proc = run_python(code, GILMAP_NUM_THREADS=value)
    assert_clean(proc)
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    for line in lines:
        assert line.startswith("ValueError") and "GILMAP_NUM_THREADS" in line, line
        assert repr(value) in line or f'"{value}"' in line, line


def test_gilmap_debug_env_in_a_fresh_process():
    proc = run_python(
        "import gilmap, gm_funcs as g; gilmap.map(g.affine, [1, 2, 3])", GILMAP_DEBUG="1"
    )
    assert_clean(proc)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("gilmap:")]
    assert len(lines) == 1, proc.stderr
    assert "backend=subinterp" in lines[0] and "lane=int64" in lines[0] and "n=3 " in lines[0]
