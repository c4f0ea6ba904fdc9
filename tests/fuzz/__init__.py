"""A program-generating differential fuzzer for gilmap (issue 10).

Random one-argument functions (``gen``, ``exprs``) over what the JIT accepts, arrow_kernel
expressions and numba dispatchers are run through ``gilmap.map`` on six containers (list,
list with None, numpy, Arrow, sliced Arrow, ChunkedArray) and both loop kernels, before and
after their globals and closure cells change, and compared with CPython (``check``,
``oracle``); each batch runs in a child process (``child``, ``runner``) so a crash or hang
is reported with its seed; ``minimize`` shrinks a failure to a reproducer.

    python -m tests.fuzz --seconds 300 --seed 0 --backend all --out DIR   # or: make fuzz
    pytest tests/test_fuzz.py            # the fixed-seed budget and the self-tests
    pytest tests/test_fuzz_regressions.py  # minimized reproducers found so far
"""
