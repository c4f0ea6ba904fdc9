"""gilmap: the fastest exact parallel ``map`` for numeric Python.

``gilmap.map(f, xs)`` returns what ``list(map(f, xs))`` returns (same values, element types
and exceptions), computed on every core. See ``gilmap.explain(f)`` for the backend chosen.
"""

from __future__ import annotations

from ._api import explain, map, shutdown_workers
from ._errors import WorkerError
from ._gilmap import __version__

__all__ = ["WorkerError", "__version__", "explain", "map", "shutdown_workers"]
