"""The backends, in the router's priority order.

The JIT, numba_native and arrow_kernel backends arrive in their own issues and slot in
above ``subinterp`` (final order: numba_native → jit → arrow_kernel → subinterp).
"""

from __future__ import annotations

from .subinterp import SubinterpBackend


def default_backends() -> list:
    return [SubinterpBackend()]
