"""The sub-interpreter pool: parallelism, scheduling, restarts, concurrent callers."""

from __future__ import annotations

import importlib
import random
import threading
import uuid

import gm_funcs as g
import numpy as np
import pytest
from conftest import rendezvous_inputs

import gilmap
from gilmap import _gilmap


def pool_size() -> int:
    return _gilmap.configured_threads()


def active(stats):
    return [s for s in stats if s["elements"] > 0]


def test_suite_runs_with_at_least_two_workers():
    # The parallelism tests below need two workers; the suite clears GILMAP_NUM_THREADS.
    assert pool_size() >= 2


def test_rendezvous_detects_sequential_execution(monkeypatch):
    # The proof below is not a tautology: run one after the other (here, in this thread),
    # the first member of a group never sees its peer.
    monkeypatch.setenv("GM_RENDEZVOUS_TIMEOUT", "0.2")
    assert [g.rendezvous(x) for x in rendezvous_inputs(2)] == [False, True]


def test_workers_run_in_parallel():
    assert gilmap.explain(g.rendezvous)["backend"] == "subinterp"
    # Each call waits until the other has started: both return True only if two workers
    # ran them at the same time.
    assert gilmap.map(g.rendezvous, rendezvous_inputs(2)) == [True, True]
    stats = active(_gilmap.pool_last_stats())
    assert len(stats) == 2, stats
    assert len({s["thread_id"] for s in stats}) == 2
    assert len({s["interp_id"] for s in stats}) == 2
    assert all(s["interp_id"] != 0 for s in stats)  # 0 is the main interpreter
    assert all(s["thread_id"] != threading.get_native_id() for s in stats)


def test_every_worker_overlaps():
    n = pool_size()
    assert gilmap.map(g.rendezvous, rendezvous_inputs(n)) == [True] * n
    assert len({s["thread_id"] for s in active(_gilmap.pool_last_stats())}) == n


def test_results_come_from_the_workers_threads():
    out = gilmap.map(g.worker_thread_id, list(range(2000)))
    workers = {s["thread_id"] for s in _gilmap.pool_last_stats()}
    assert set(out) <= workers
    assert threading.get_native_id() not in set(out)


def test_each_element_is_computed_exactly_once():
    data = list(range(50_000))
    assert gilmap.map(g.affine, data) == list(map(g.affine, data))
    stats = _gilmap.pool_last_stats()
    assert sum(s["elements"] for s in stats) == len(data)
    assert all(s["chunks"] >= 1 for s in active(stats))


def test_skewed_workload_keeps_every_worker_busy():
    # The dear elements (about 1000x the others) are all at the start: a static split would
    # give them all to the first worker.
    n = pool_size()
    heavy = 4 * n
    data = [-1] * heavy + list(range(3000))
    out = gilmap.map(g.skewed, data)
    stats = _gilmap.pool_last_stats()
    assert len(stats) == n
    workers = {s["thread_id"] for s in stats}
    assert set(out[:heavy]) == workers, "some worker took none of the dear elements"
    busy = [s["busy_ns"] for s in stats]
    assert min(busy) >= 0.3 * max(busy), stats
    assert sum(s["elements"] for s in stats) == len(data)


def test_shutdown_then_map_restarts_the_pool():
    assert gilmap.map(g.rendezvous, rendezvous_inputs(2)) == [True, True]
    old = {s["interp_id"] for s in _gilmap.pool_last_stats()}
    assert _gilmap.pool_running()
    gilmap.shutdown_workers()
    assert not _gilmap.pool_running()
    gilmap.shutdown_workers()  # idempotent
    data = list(range(-100, 100))
    assert gilmap.map(g.floordiv7, data) == list(map(g.floordiv7, data))
    assert _gilmap.pool_running()
    assert gilmap.map(g.rendezvous, rendezvous_inputs(2)) == [True, True]
    new = {s["interp_id"] for s in _gilmap.pool_last_stats()}
    assert new and not (new & old), "the restarted pool reused the old interpreters"


def test_workers_use_the_callers_current_sys_path(tmp_path, monkeypatch):
    # The pool is already running; a directory added to sys.path afterwards is seen.
    assert gilmap.map(g.affine, [1]) == [4]
    name = f"gm_tmp_path_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text("def f(x):\n    return x * 100\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    assert gilmap.explain(module.f)["backend"] == "subinterp"
    assert gilmap.map(module.f, [1, 2, 3]) == [100, 200, 300]
    assert len(active(_gilmap.pool_last_stats())) >= 1


def test_empty_input_does_not_need_workers():
    gilmap.shutdown_workers()
    assert gilmap.map(g.affine, []) == []
    assert gilmap.map(g.affine, [3]) == [10]


def test_eight_threads_at_once_each_with_its_own_function_and_data():
    rounds = 4
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    done = [0] * 8

    def caller(k: int) -> None:
        f = g.THREAD_FUNCS[k]
        rng = random.Random(k)
        try:
            barrier.wait(timeout=30)
            for r in range(rounds):
                data = [rng.randrange(-(10**6), 10**6) for _ in range(1500 + 100 * k)]
                if (k + r) % 2:
                    arr = np.array(data, dtype=np.int64)
                    out = gilmap.map(f, arr)
                    expected = np.array(list(map(f, data)))
                    assert out.dtype == expected.dtype and out.tolist() == expected.tolist()
                else:
                    out = gilmap.map(f, data)
                    assert [(type(v), v) for v in out] == [(type(v), v) for v in map(f, data)]
                # Stats are per calling thread: they describe this thread's own job.
                assert sum(s["elements"] for s in _gilmap.pool_last_stats()) == len(data)
                done[k] += 1
        except BaseException as e:  # reported below, with the thread's index
            errors.append(e)

    threads = [threading.Thread(target=caller, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock: a caller is still waiting"
    assert errors == []
    assert done == [rounds] * 8


def test_concurrent_failures_stay_with_their_caller():
    # One thread's failing call must not leak its exception into another thread's call.
    results: dict[str, object] = {}

    def failing():
        try:
            gilmap.map(g.hundred_div, list(range(1, 3000)) + [0])
        except ZeroDivisionError as e:
            results["failing"] = e.index

    def good():
        data = list(range(1, 3001))
        results["good"] = gilmap.map(g.hundred_div, data) == list(map(g.hundred_div, data))

    threads = [threading.Thread(target=t) for t in (failing, good, failing, good)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert results == {"failing": 2999, "good": True}


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000])
def test_small_inputs_of_every_size(n):
    data = list(range(n))
    assert gilmap.map(g.heavy, data) == list(map(g.heavy, data))


def test_globals_changed_at_run_time_reach_the_workers(monkeypatch):
    # Workers import the module afresh; number/str globals are copied in before each call.
    assert gilmap.explain(g.add_synced_offset)["backend"] == "subinterp"
    assert gilmap.map(g.add_synced_offset, [1, 2]) == [12, 13]
    monkeypatch.setattr(g, "SYNCED_OFFSET", 2**70)
    monkeypatch.setattr(g, "SYNCED_LABEL", "abc")
    assert gilmap.map(g.add_synced_offset, [1, 2]) == [2**70 + 4, 2**70 + 5]
    monkeypatch.setattr(g, "SYNCED_OFFSET", 0.5)
    assert gilmap.map(g.add_synced_offset, [1, 2]) == list(map(g.add_synced_offset, [1, 2]))
