"""Module-level functions that gilmap's sub-interpreter workers import by name.

Everything here must stay pure Python (no numpy, no pyarrow, no gilmap import): each worker
imports this module in its own sub-interpreter. The main test process imports it too, so
``list(map(f, xs))`` gives the reference answer.
"""

from __future__ import annotations

import os
import threading
import time

#: Directory for the rendezvous/marker files; set by conftest before the pool starts (a
#: worker's ``os.environ`` is read when its sub-interpreter is created).
RENDEZVOUS_ENV = "GM_RENDEZVOUS_DIR"
#: Directory in which ``slow`` drops a marker on its first call (Ctrl-C tests).
MARKER_ENV = "GM_MARKER_DIR"


# ----------------------------------------------------------------- cheap, exact functions


def affine(x):
    """Cheap: keeps the element type (int stays int, float stays float, bool becomes int)."""
    return x * 3 + 1


def ident(x):
    """Returns its argument unchanged (so the lane's Python type is visible)."""
    return x


def neg(x):
    return -x


def halve(x):
    """True division: always a float."""
    return x / 2


def floordiv7(x):
    """Floor division and modulo with Python's sign rules."""
    return x // 7 + x % 7


def is_even(x):
    """Returns a bool."""
    return x % 2 == 0


def int_or_float(x):
    """Mixed result types: an int for odd inputs, a float for even ones."""
    return x if x % 2 else x / 2


def type_code(x):
    """Tells which Python type the worker received: 0 bool, 1 int, 2 float."""
    if isinstance(x, bool):
        return 0
    if isinstance(x, int):
        return 1
    if isinstance(x, float):
        return 2
    return 3


def big(x):
    """An int far beyond int64 for x >= 5, a small int otherwise."""
    return x * 10**30 if x >= 5 else x


def reciprocal(x):
    """Raises ZeroDivisionError for 0 (ints and floats)."""
    return 1 / x


def hundred_div(x):
    """Raises ZeroDivisionError for 0; an int for int input."""
    return 100 // x


def str_at_seven(x):
    """Returns a str (not a number) for 7, an int otherwise."""
    return str(x) if x == 7 else x


def none_at_two(x):
    """Returns None (not a number) for 2."""
    return None if x == 2 else x


class GmError(Exception):
    """A user-defined exception class, importable by module and qualname."""


def raise_gm_error(x):
    if x == 4:
        raise GmError(f"bad input {x}")
    return x


def raise_builtin(x):
    """Raises a different builtin exception for each x in 1..7."""
    import math

    if x == 1:
        return {}[x]  # KeyError
    if x == 2:
        with open("/nonexistent-gilmap-dir/file"):  # FileNotFoundError (an OSError)
            pass
    if x == 3:
        return math.exp(1000)  # OverflowError
    if x == 4:
        return x.no_such_attribute  # AttributeError
    if x == 5:
        return [][x]  # IndexError
    if x == 6:
        return int("six")  # ValueError
    if x == 7:
        raise ArithmeticError("seven")
    return x


class GmArgsError(Exception):
    """A user exception whose constructor takes two arguments."""

    def __init__(self, code, detail):
        super().__init__(code, detail)
        self.code = code


def raise_gm_args_error(x):
    if x < 0:
        raise GmArgsError(x, "negative")
    return x


def fail_low_late_high_early(x):
    """Elements 3 and 50000 fail; 3 only after a long computation, with another type.

    The low index is claimed first but fails last, so a pool that kept the first failure it
    *saw* would report element 50000 (ZeroDivisionError) instead of element 3 (ValueError).
    """
    if x == 3:
        spin(1_000_000)
        raise ValueError("element three is invalid")
    if x == 50_000:
        return 1 // 0
    return x


# ----------------------------------------------------------------- heavy functions


def spin(n):
    """A pure-Python loop of n iterations (about 25-50 ns each)."""
    acc = 0
    for k in range(n):
        acc = (acc + k * k) % 1_000_003
    return acc


def heavy(x):
    """A few hundred microseconds of pure Python work; exact int result."""
    return spin(2_000 + (x % 7)) + x


def skewed(x):
    """Negative elements cost about 1000x the others; returns the worker's OS thread id.

    The thread id equals the ``thread_id`` reported by ``pool_last_stats()`` for the worker
    that ran the element, so a test can see which worker took which element.
    """
    spin(200_000 if x < 0 else 200)
    return threading.get_native_id()


def worker_thread_id(x):
    return threading.get_native_id()


def slow(x):
    """About 5 ms per element; the first call drops a marker file (Ctrl-C tests)."""
    marker_dir = os.environ.get(MARKER_ENV)
    if marker_dir:
        path = os.path.join(marker_dir, "busy")
        if not os.path.exists(path):
            with open(path, "w") as fh:
                fh.write(str(x))
    time.sleep(0.005)
    return x


def rendezvous(x):
    """Proves that calls overlap in time, without measuring time.

    ``x = group * 1000 + peers * 100 + member``: the call drops the marker ``group-member``
    and waits (at most ``GM_RENDEZVOUS_TIMEOUT`` seconds, default 10) until ``peers`` other
    members of its group have dropped theirs. Returns True when they did. Run sequentially,
    the first call of a group can never see a peer that has not started yet: it returns False.
    """
    base = os.environ[RENDEZVOUS_ENV]
    group, rest = divmod(int(x), 1000)
    peers, member = divmod(rest, 100)
    prefix = f"{group}-"
    open(os.path.join(base, f"{prefix}{member}"), "w").close()
    deadline = time.monotonic() + float(os.environ.get("GM_RENDEZVOUS_TIMEOUT", "10"))
    while time.monotonic() < deadline:
        seen = [n for n in os.listdir(base) if n.startswith(prefix) and n != f"{prefix}{member}"]
        if len(seen) >= peers:
            return True
        time.sleep(0.002)
    return False


# ----------------------------------------------------------------- one per thread (8 threads)


def tf0(x):
    return x + 1


def tf1(x):
    return x * 2


def tf2(x):
    return x * x - 3


def tf3(x):
    return x // 3


def tf4(x):
    return x % 11 == 0


def tf5(x):
    return x / 4


def tf6(x):
    return -x if x % 2 else x * 10


def tf7(x):
    return (x ^ 0x55) + spin(20)


THREAD_FUNCS = [tf0, tf1, tf2, tf3, tf4, tf5, tf6, tf7]


# ----------------------------------------------------------------- a non-weakrefable callable


class _NamedCallable:
    """A callable object that cannot be weakly referenced (``__slots__`` without
    ``__weakref__``) but that workers can import by module and qualname."""

    __slots__ = ("_qualname",)

    def __init__(self, qualname):
        self._qualname = qualname

    def __getattr__(self, name):
        if name in ("__qualname__", "__name__"):
            return object.__getattribute__(self, "_qualname")
        raise AttributeError(name)

    def __call__(self, x):
        return x * 5 - 1


times5_minus1 = _NamedCallable("times5_minus1")


SYNCED_OFFSET = 10
SYNCED_LABEL = "a"


def add_synced_offset(x):
    """Reads module globals the caller may change at run time."""
    return x + SYNCED_OFFSET + len(SYNCED_LABEL)


# ----------------------------------------------------------------- never-ending elements


def _mark(name):
    marker_dir = os.environ.get(MARKER_ENV)
    if marker_dir:
        with open(os.path.join(marker_dir, name), "w"):
            pass


def forever(x):
    """Never returns for x == -1 (a pure-Python loop; drops a "stuck" marker first)."""
    if x == -1:
        _mark("stuck")
        while True:
            pass
    return x + 1


def forever_swallowing(x):
    """Like ``forever`` but catches every exception inside its loop."""
    if x == -1:
        _mark("stuck")
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    return x + 1


def blocked(x):
    """Blocks in C (a long time.sleep) for x == -1, after a "stuck" marker."""
    if x == -1:
        _mark("stuck")
        time.sleep(3600)
    return x + 1


def plus_one(x):
    """A cheap element (overhead measurements)."""
    return x + 1
