"""A module that imports numpy at top level: it cannot be imported in a gilmap worker
sub-interpreter (numpy does not support sub-interpreters), so mapping its function over the
subinterp backend must fail with a RuntimeError that says so."""

from __future__ import annotations

import numpy


def plus_one(x):
    return numpy.int64(x).item() + 1
