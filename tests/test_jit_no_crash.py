"""No input crashes the process: every bad element gives the exception CPython raises for
it (or CPython's exact answer where there is one), on the serial and the parallel path, for
list and numpy/Arrow input; and a batch of such calls in a fresh interpreter with
faulthandler on exits normally (no SIGSEGV, SIGILL or abort)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from conftest import assert_same_list, run_python
from jit_funcs import jmap, outcome

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NAN, INF = float("nan"), float("inf")

# (name, function, input list, the exception CPython raises for it)
RAISING = [
    ("int_floordiv_zero", lambda x: 10 // x, [3, 0, 1], ZeroDivisionError),
    ("int_mod_zero", lambda x: 10 % x, [3, 0], ZeroDivisionError),
    ("int_truediv_zero", lambda x: 10 / x, [3, 0], ZeroDivisionError),
    ("int_pow_neg_zero", lambda x: x**-1, [2, 0], ZeroDivisionError),
    ("float_truediv_zero", lambda x: 1.0 / x, [2.0, 0.0], ZeroDivisionError),
    ("float_floordiv_zero", lambda x: x // 0.0, [2.0], ZeroDivisionError),
    ("float_mod_negzero", lambda x: x % -0.0, [2.0], ZeroDivisionError),
    ("float_pow_zero_neg", lambda x: x**-1.0, [0.0], ZeroDivisionError),
    ("int_nan", lambda x: int(x), [1.5, NAN], ValueError),
    ("int_inf", lambda x: int(x), [1.5, INF], OverflowError),
    ("int_neg_inf", lambda x: int(x), [-INF], OverflowError),
    ("round_nan", lambda x: round(x), [NAN], ValueError),
    ("round_inf", lambda x: round(x), [INF], OverflowError),
    ("floor_inf", lambda x: math.floor(x), [INF], OverflowError),
    ("ceil_nan", lambda x: math.ceil(x), [NAN], ValueError),
    ("sqrt_neg", lambda x: math.sqrt(x), [4.0, -1.0], ValueError),
    ("sqrt_neg_int", lambda x: math.sqrt(x), [4, -1], ValueError),
    ("log_zero", lambda x: math.log(x), [1.0, 0.0], ValueError),
    ("log_zero_int", lambda x: math.log(x), [0], ValueError),
    ("sin_inf", lambda x: math.sin(x), [INF], ValueError),
    ("fmod_inf", lambda x: math.fmod(x, 2.0), [INF], ValueError),
    ("exp_overflow", lambda x: math.exp(x), [1.0, 1000.0], OverflowError),
    ("float_pow_overflow", lambda x: x**400.0, [10.0], OverflowError),
    ("float_mul_int_overflow", lambda x: x * 1.5 + int(x * 1e308 * 10), [1.0], OverflowError),
    ("rshift_negative", lambda x: x >> -1, [5], ValueError),
    ("lshift_negative", lambda x: x << (x - 10), [5], ValueError),
    ("pow_mod_zero", lambda x: pow(x, 2, x - 3), [3], ValueError),
    ("pow_mod_not_invertible", lambda x: pow(x, -1, 4), [3, 2], ValueError),
]


@pytest.mark.parametrize("name", [c[0] for c in RAISING])
def test_raises_cpythons_exception(name):
    _, f, data, exc = next(c for c in RAISING if c[0] == name)
    assert outcome(f, data) == ("raise", exc)  # the case itself is right
    with pytest.raises(exc):
        jmap(f, data)
    # The next call works normally.
    good = [x for x in data if outcome(f, [x])[0] == "ok"]
    assert_same_list(jmap(f, good), list(map(f, good)))


@pytest.mark.parametrize("name", [c[0] for c in RAISING])
def test_raises_on_numpy_and_arrow_input(name):
    _, f, data, exc = next(c for c in RAISING if c[0] == name)
    arr = np.array(data)
    with pytest.raises(exc):
        jmap(f, arr)
    with pytest.raises(exc):
        jmap(f, pa.array(data))


# (name, function, input list): CPython gives an exact answer outside int64; so must gilmap.
EXACT = [
    ("lshift_70", lambda x: x << 70, [1, -1, 3, INT64_MAX, INT64_MIN]),
    ("one_lshift_x", lambda x: 1 << x, [0, 62, 63, 64, 200]),
    ("rshift_huge", lambda x: x >> (x % 1000 + 64), [INT64_MAX, INT64_MIN, -1, 5]),
    ("min_floordiv_neg1", lambda x: x // -1, [INT64_MIN, 5]),
    ("min_mod_neg1", lambda x: x % -1, [INT64_MIN, 5]),
    ("abs_min", lambda x: abs(x), [INT64_MIN, -5]),
    ("neg_min", lambda x: -x, [INT64_MIN, 5]),
    ("min_times_neg1", lambda x: x * -1, [INT64_MIN]),
    ("pow_200", lambda x: x**200, [2, -3, 0, 1]),
    ("int_of_huge_float", lambda x: int(x), [1e300, -1e19, 9.3e18]),
    ("floor_of_huge_float", lambda x: math.floor(x), [1e300, -1e300]),
    ("round_of_huge_float", lambda x: round(x), [1.7e308, -2.5e18]),
    ("add_max", lambda x: x + INT64_MAX, [1, 0, INT64_MAX]),
    ("sub_min", lambda x: x - INT64_MIN, [1, -1, INT64_MAX]),
    ("square_sum", lambda x: x * x + x * x, [3037000500, -3037000500]),
]


@pytest.mark.parametrize("name", [c[0] for c in EXACT])
def test_exact_big_int_for_lists(name):
    _, f, data = next(c for c in EXACT if c[0] == name)
    assert_same_list(jmap(f, data), list(map(f, data)))


@pytest.mark.parametrize(
    "name", ["lshift_70", "min_floordiv_neg1", "abs_min", "pow_200", "int_of_huge_float"]
)
def test_int64_array_output_overflow_raises(name):
    _, f, data = next(c for c in EXACT if c[0] == name)
    bad = next(i for i, x in enumerate(data) if not INT64_MIN <= f(x) <= INT64_MAX)
    with pytest.raises(OverflowError, match=rf"element {bad}\b"):
        jmap(f, np.array(data))
    with pytest.raises(OverflowError, match=rf"element {bad}\b"):
        jmap(f, pa.array(data))


def test_range_with_zero_step():
    def zero_step(x):
        s = 0
        for i in range(x, x + 10, x - x):
            s += i
        return s

    assert outcome(zero_step, [1]) == ("raise", ValueError)
    with pytest.raises(ValueError):
        jmap(zero_step, [1, 2])
    with pytest.raises(ValueError):
        jmap(zero_step, np.arange(5))


def make_two_failures(a, b):
    """ZeroDivisionError at x == a, ValueError (math domain) at x == b."""
    return lambda x: 1 // (x - a) + math.sqrt(abs(x - b) - 0.5)


@pytest.mark.parametrize("n", [20, 100_000], ids=["serial", "parallel"])
def test_first_failing_element_decides_across_chunks(n):
    data = list(range(n))
    for a, b, exc in [(n - 2, n // 2, ValueError), (n // 5, n - 3, ZeroDivisionError)]:
        f = make_two_failures(a, b)
        assert outcome(f, data) == ("raise", exc)
        with pytest.raises(exc):
            jmap(f, data)
        with pytest.raises(exc):
            jmap(f, np.arange(n))
        with pytest.raises(exc):
            jmap(f, pa.chunked_array([data[: n // 3], data[n // 3 :]]))
    f = make_two_failures(-1, -1)
    assert_same_list(jmap(f, data), list(map(f, data)))


def test_failures_everywhere_in_a_large_input():
    f = lambda x: 1000 // (x % 7)  # noqa: E731
    data = list(range(1, 200_001))
    with pytest.raises(ZeroDivisionError):
        jmap(f, data)
    g = lambda x: x << 60 if x % 1000 == 0 else x  # noqa: E731  leaves int64 now and then
    assert_same_list(jmap(g, data), list(map(g, data)))


BATCH = r"""
import faulthandler, math
faulthandler.enable()
import numpy as np
import gilmap

def outcome(run):
    try:
        run()
        return "ok"
    except Exception as exc:
        return type(exc).__name__

I64 = 2**63
cases = [
    (lambda x: 10 // x, [1, 0]),
    (lambda x: 10 % x, [0]),
    (lambda x: 1.0 / x, [0.0]),
    (lambda x: x % 0.0, [1.0]),
    (lambda x: int(x), [float("nan")]),
    (lambda x: int(x), [float("inf")]),
    (lambda x: math.sqrt(x), [-1.0]),
    (lambda x: math.log(x), [0.0]),
    (lambda x: math.exp(x), [1e6]),
    (lambda x: x ** 0.5, [-2.0]),
    (lambda x: x << 70, [3]),
    (lambda x: x >> -1, [3]),
    (lambda x: -x, [-I64]),
    (lambda x: x // -1, [-I64]),
    (lambda x: abs(x), [-I64]),
    (lambda x: x * x, [I64 - 1]),
    (lambda x: pow(x, -1, 6), [4]),
    (lambda x: round(x), [float("nan")]),
]
for i, (f, data) in enumerate(cases):
    lane = type(data[0]) if -I64 <= data[0] < I64 else int
    backend = gilmap.explain(f, dtype=float if lane is float else int)["backend"]
    for n in (1, 50_000):
        xs = data * n
        want = outcome(lambda: list(map(f, xs)))
        got = outcome(lambda: gilmap.map(f, xs))
        arr = outcome(lambda: gilmap.map(f, np.array(xs)))
        print(i, n, backend, want, got, arr, flush=True)
print("DONE")
"""


def test_batch_of_bad_inputs_in_a_fresh_interpreter():
    proc = run_python(BATCH, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    assert "Fatal Python error" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "DONE"
    assert len(lines) == 1 + 18 * 2
    for line in lines[:-1]:
        _, _, backend, want, got, arr = line.split()
        assert backend == "jit", line
        assert got == want, line
        assert arr in ("ok", "ZeroDivisionError", "ValueError", "OverflowError", "TypeError")


JIT_SIGINT_SCRIPT = """
import signal, sys, time
import gilmap

def spin(n):
    # Practically endless for n > 0 (about 2**62 iterations), finite for n <= 0.
    s = 0
    while n > 0:
        n = n - 1 + (s & 1)
        s = s + 1
    return s

info = gilmap.explain(spin, dtype=int)
assert info["backend"] == "jit"
print("SIMT", info["simt_lanes"], flush=True)
signal.signal(signal.SIGALRM, lambda *a: signal.raise_signal(signal.SIGINT))
signal.setitimer(signal.ITIMER_REAL, 0.3)
t0 = time.monotonic()
try:
    gilmap.map(spin, [0, 2**62])
    print("RESULT not interrupted", flush=True)
except KeyboardInterrupt:
    print(f"RESULT KeyboardInterrupt {time.monotonic() - t0:.3f}", flush=True)
print("AFTER", gilmap.map(spin, [0, -1, -5]) == [0, 0, 0], flush=True)
"""


@pytest.mark.parametrize("simt", ["1", "0"], ids=["lane-parallel", "one-at-a-time"])
def test_ctrl_c_interrupts_a_kernel_stuck_in_a_long_loop(simt):
    # One element, a loop of ~2**62 iterations: the kernel tests an abort flag on every
    # loop edge, so Ctrl-C (here SIGINT raised 0.3 s in) ends the call promptly; with either
    # loop kernel.
    proc = run_python(JIT_SIGINT_SCRIPT, timeout=60, GILMAP_SIMT=simt)
    details = f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-2000:]}"
    assert f"SIMT {8 if simt == '1' else 0}" in proc.stdout, details
    result = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert len(result) == 1 and result[0].startswith("RESULT KeyboardInterrupt"), details
    assert float(result[0].split()[-1]) < 3.0, details
    assert "AFTER True" in proc.stdout, details
    assert proc.returncode == 0, details


# Fuzzer seed 291: a loop header's types widen, so the function is lowered a second time
# after the first attempt's blocks were deleted. Deleting them one by one left LLVM writing
# into freed memory; on 3.14/3.15 bytecode the process aborted ("corrupted double-linked
# list") within a few compiles. Each value of G1 is a new kernel (globals are baked in).
RELOWER = '''
import gilmap
SRC = """
import math
from math import isnan
G0 = False
G1 = {G1}
def f(x):
    if bool((x / 7)):
        return G0
    if (G0 if G0 else (x <= x)):
        v2 = math.trunc(((x / 4) - -1.0))
    elif (G0 | False):
        for i3 in range(0, 37):
            for i4 in range(5):
                if ((-math.hypot(10.0, 1e308)) == ((x // (G1 % 7 + 1)) // (x if False else x))):
                    continue
            v5 = abs(math.degrees(x))
        w6 = 0
        while w6 < 11:
            w6 += 1
            for i7 in range(4):
                v8 = (i7 / (G1 % 7 + 1))
            if isnan(abs(-2.25)):
                return bool((100 * x))
    if ((2.0 + 3.0) <= ((G0 + 0) // (x % 7))):
        return (float((x // (G1 | 1))) >= 1.0 <= (x + 0.25))
    for i10 in range(-4, ((G0 + 0) % 30)):
        if (((x * 0.5) / 0.25) > (-x)):
            break
        w12 = 0
        while w12 < 2:
            w12 += 1
            v13 = math.cos(x)
            if (0 >= v13 > i10):
                continue
    return (((3 * 2) + x) <= (-7 * int(1e300)))
"""
xs = [1, -1, 7, 10, -7, 100, 2**40]
for g1 in range(-20, 20):
    ns = {}
    exec(SRC.replace("{G1}", str(g1)), ns)
    f = ns["f"]
    assert gilmap.explain(f, dtype=int)["backend"] == "jit", g1
    assert gilmap.map(f, xs) == list(map(f, xs)), g1
print("DONE")
'''


def test_relowered_loop_functions_in_a_fresh_interpreter():
    proc = run_python(RELOWER, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    assert proc.stdout.splitlines()[-1] == "DONE"
