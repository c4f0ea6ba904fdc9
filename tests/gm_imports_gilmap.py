"""A module that imports gilmap itself and defines the mapped function: workers import it
again in their sub-interpreters, where the native extension cannot load; importing gilmap
there must still work (only calling it from a worker is refused)."""

from __future__ import annotations

import gilmap


def triple(x):
    return 3 * x


def call_gilmap_inside(x):
    """Calls gilmap from inside a worker: refused with a RuntimeError."""
    return gilmap.map(triple, [x])[0]
