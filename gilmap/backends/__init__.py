"""The backends, in the router's priority order: numba_native → jit → arrow_kernel →
subinterp (README.md, "How it works"; docs/BACKENDS.md in the source repository)."""

from __future__ import annotations

from .arrow_kernel import ArrowKernelBackend
from .jit import JitBackend
from .numba_native import NumbaNativeBackend
from .subinterp import SubinterpBackend


def default_backends() -> list:
    return [NumbaNativeBackend(), JitBackend(), ArrowKernelBackend(), SubinterpBackend()]
