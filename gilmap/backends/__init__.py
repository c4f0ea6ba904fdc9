"""The backends, in the router's priority order.

numba_native and arrow_kernel arrive in their own issue (final order: numba_native → jit
→ arrow_kernel → subinterp).
"""

from __future__ import annotations

from .jit import JitBackend
from .subinterp import SubinterpBackend


def default_backends() -> list:
    return [JitBackend(), SubinterpBackend()]
