"""Input containers → lane columns, and results → the output container.

The output container follows the input: any iterable gives a list, a ``pyarrow.Array`` an
Array, a ``pyarrow.ChunkedArray`` a ChunkedArray with the same chunking, a 1-D
``numpy.ndarray`` an ndarray. Lists and tuples are cast in Rust in one pass; numpy and Arrow
int64/float64 data is read zero-copy (buffer protocol / Arrow C Data Interface); other
numeric dtypes are cast to the lane first. Neither numpy nor pyarrow is imported unless the
input is one of theirs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from . import _gilmap

INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Input:
    """The input, as one or more columns (several for a ChunkedArray)."""

    container: str  # "list" | "numpy" | "numpy-object" | "arrow" | "chunked"
    columns: list[_gilmap.Column]
    lane: str  # "int64" | "float64" | "bool" (the lane of the whole input)
    length: int
    #: Per column, the object it was read from, in the lane's dtype where it was cast: a
    #: list or tuple, a numpy array, a pyarrow Array (backends that work on whole arrays,
    #: like arrow_kernel, start from these).
    sources: list[Any] = field(default_factory=list)


def _bad(index: int, what: str) -> TypeError:
    return TypeError(
        f"gilmap.map: element {index} has type {what}, which cannot be cast to int64 or float64"
    )


def _is_numpy(data: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(data, np.ndarray)


def _is_arrow(data: Any) -> str | None:
    pa = sys.modules.get("pyarrow")
    if pa is None:
        return None
    if isinstance(data, pa.ChunkedArray):
        return "chunked"
    if isinstance(data, pa.Array):
        return "arrow"
    return None


def _whole_lane(columns: list[_gilmap.Column]) -> str:
    if any(c.lane == "float64" for c in columns):
        return "float64"
    if columns and all(c.is_bool for c in columns):
        return "bool"
    return "int64"


def ingest(data: Any) -> Input:
    """Classifies ``data`` and builds its lane column(s). Raises TypeError for bad input."""
    kind = _is_arrow(data)
    if kind == "arrow":
        col, src = _arrow_column(data, 0)
        return Input("arrow", [col], _whole_lane([col]), len(data), [src])
    if kind == "chunked":
        cols, srcs, base = [], [], 0
        for chunk in data.chunks:
            col, src = _arrow_column(chunk, base)
            cols.append(col)
            srcs.append(src)
            base += len(chunk)
        return Input("chunked", cols, _whole_lane(cols), len(data), srcs)
    if _is_numpy(data):
        return _numpy_input(data)
    if isinstance(data, (str, bytes, bytearray, dict)) or not hasattr(data, "__iter__"):
        raise TypeError(
            f"gilmap.map: data must be an iterable of numbers, a numpy array or a pyarrow "
            f"array, not {type(data).__name__}"
        )
    seq = data if isinstance(data, (list, tuple)) else list(data)
    col = _gilmap.Column.from_sequence(seq)
    return Input("list", [col], _whole_lane([col]), len(seq), [seq])


def _numpy_input(arr: Any) -> Input:
    import numpy as np

    if arr.ndim != 1:
        raise TypeError(f"gilmap.map: numpy input must be 1-D, got shape {arr.shape}")
    k = arr.dtype.kind
    if k == "O":
        seq = arr.tolist()
        col = _gilmap.Column.from_sequence(seq)
        return Input("numpy-object", [col], _whole_lane([col]), len(arr), [seq])
    if k == "f" and arr.dtype.itemsize <= 8:
        lane, target = "float64", np.float64
    elif k in "iu":
        lane, target = "int64", np.int64
        if k == "u" and arr.dtype.itemsize == 8 and len(arr) and arr.max() > INT64_MAX:
            raise _bad(int(np.argmax(arr > INT64_MAX)), f"{arr.dtype} (value above int64)")
    elif k == "b":
        lane, target = "bool", np.int64
    else:
        raise (
            _bad(0, f"numpy {arr.dtype}")
            if len(arr)
            else TypeError(
                f"gilmap.map: numpy dtype {arr.dtype} cannot be cast to int64 or float64"
            )
        )
    if arr.dtype != np.dtype(target) or not arr.dtype.isnative:
        arr = arr.astype(target)
    if arr.strides[0] % 8 or not arr.flags.aligned:
        arr = np.ascontiguousarray(arr)
    col = _gilmap.Column.from_buffer(arr, lane)
    return Input("numpy", [col], _whole_lane([col]), len(arr), [arr])


def _arrow_column(arr: Any, base: int) -> tuple[_gilmap.Column, Any]:
    """The column of one Arrow array, and the array in the lane's dtype."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type

    def _col(a: Any, lane: str, base: int) -> tuple[_gilmap.Column, Any]:
        return _gilmap.Column.from_arrow(a, lane, base), a

    if pa.types.is_int64(t):
        return _col(arr, "int64", base)
    if pa.types.is_float64(t):
        return _col(arr, "float64", base)
    if pa.types.is_boolean(t):
        return _col(arr.cast(pa.int64()), "bool", base)
    if pa.types.is_null(t):
        return _col(arr.cast(pa.int64()), "int64", base)
    if pa.types.is_integer(t):
        if pa.types.is_uint64(t) and len(arr) and (pc.max(arr).as_py() or 0) > INT64_MAX:
            limit = pa.scalar(INT64_MAX, pa.uint64())
            idx = pc.index(pc.greater(arr, limit), True).as_py()
            raise _bad(base + idx, f"{t} (value above int64)")
        return _col(arr.cast(pa.int64()), "int64", base)
    if pa.types.is_floating(t):
        return _col(arr.cast(pa.float64()), "float64", base)
    valid = pc.index(pc.is_valid(arr), True).as_py() if len(arr) else -1
    if valid is None or valid < 0:  # all null: no element to cast
        return _col(pa.nulls(len(arr), pa.int64()), "int64", base)
    raise _bad(base + valid, f"arrow {t}")


# ------------------------------------------------------------------------- output


def _arrow_from_parts(parts: Any, n: int) -> Any:
    import pyarrow as pa

    if isinstance(parts, pa.Array):  # a backend that computes whole arrays (arrow_kernel)
        return parts
    dtype, values, validity, nulls = parts
    # "bool" values are bit-packed here; other dtypes (numba_native may return any numeric
    # type) have numpy's layout, which is Arrow's.
    t = pa.bool_() if dtype == "bool" else pa.from_numpy_dtype(dtype)
    bufs = [None if validity is None else pa.py_buffer(validity), pa.py_buffer(values)]
    return pa.Array.from_buffers(t, n, bufs, null_count=nulls)


def _numpy_from_parts(parts: Any) -> Any:
    import numpy as np

    if isinstance(parts, np.ndarray):
        return parts
    dtype, values, _validity, _nulls = parts
    return np.frombuffer(values, dtype=np.bool_ if dtype == "bool" else np.dtype(dtype))


def output_kind(inp: Input) -> str:
    """What the Rust side returns for this input: a list or raw array parts."""
    return {"list": "list", "numpy-object": "list", "numpy": "array"}.get(inp.container, "arrow")


def build_output(inp: Input, results: list[Any]) -> Any:
    """Assembles per-column results (lists or raw parts) into the output container."""
    if inp.container == "list":
        return results[0]
    if inp.container == "numpy-object":
        import numpy as np

        out = np.empty(len(results[0]), dtype=object)
        out[:] = results[0]
        return out
    if inp.container == "numpy":
        return _numpy_from_parts(results[0])
    arrays = [_arrow_from_parts(p, len(c)) for p, c in zip(results, inp.columns, strict=True)]
    if inp.container == "arrow":
        return arrays[0]
    import pyarrow as pa

    # Unify the chunks' dtypes (bool < int64 < float64) over the chunks that produced a
    # value; an empty or all-null chunk takes whatever the others chose.
    types = {a.type for a in arrays if len(a) > a.null_count}
    if not types:
        target = pa.int64() if inp.lane == "int64" else pa.float64()
    elif len(types) == 1:
        target = types.pop()
    else:
        target = pa.float64() if pa.float64() in types else pa.int64()
    return pa.chunked_array([a if a.type == target else a.cast(target) for a in arrays], target)
