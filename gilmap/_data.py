"""Input containers → lane columns, and results → the output container.

The output container follows the input: any iterable gives a list, a ``pyarrow.Array`` an
Array, a ``pyarrow.ChunkedArray`` a ChunkedArray with the same chunking, a 1-D
``numpy.ndarray`` an ndarray, a numpy masked array a masked array with the same mask
(masked elements are nulls: not passed to ``func``). Lists and tuples are cast in Rust in
one pass; numpy and Arrow int64/float64 data is read zero-copy (buffer protocol / Arrow C
Data Interface); other numeric dtypes are cast to the lane first. Data with nulls is copied
with its null slots filled (see ``src/column.rs``). A ChunkedArray runs as one column (one
run over the whole input, so the first failing element and the output dtype are decided
over all of it, whatever the chunking); its output is sliced back into the input's chunk
lengths. Empty and all-null inputs give the input lane's type. Neither numpy nor pyarrow is
imported unless the input is one of theirs.
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
    #: A ChunkedArray's chunk lengths (its output is sliced back into them).
    chunk_lengths: tuple[int, ...] = ()
    #: A numpy masked array's mask (``numpy.ma.nomask`` or a bool array): the output is a
    #: masked array with this mask. None for every other input.
    mask: Any = None


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
        lane, arr = _arrow_lane_array(data, 0)
        col = _gilmap.Column.from_arrow(arr, lane)
        return Input("arrow", [col], lane, len(data), [arr])
    if kind == "chunked":
        return _chunked_input(data)
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


def _chunked_input(data: Any) -> Input:
    """A ChunkedArray as one column: the whole input runs at once (see the module doc)."""
    import pyarrow as pa

    lanes, arrays, base = [], [], 0
    for chunk in data.chunks:
        lane, arr = _arrow_lane_array(chunk, base)
        lanes.append(lane)
        arrays.append(arr)
        base += len(chunk)
    # The type decides the lane (also with no chunks at all); an all-null chunk of a
    # non-numeric type reads as int64 nulls, as a plain array of it would.
    lane = _arrow_lane_array(pa.array([], type=data.type), 0)[0] if not lanes else lanes[0]
    target = pa.float64() if lane == "float64" else pa.int64()
    col = _gilmap.Column.from_arrow_chunks(arrays, lane)
    source = pa.chunked_array(arrays, target)
    lengths = tuple(len(c) for c in data.chunks)
    return Input("chunked", [col], lane, len(data), [source], chunk_lengths=lengths)


def _numpy_input(arr: Any) -> Input:
    import numpy as np

    if arr.ndim != 1:
        raise TypeError(f"gilmap.map: numpy input must be 1-D, got shape {arr.shape}")
    mask = None
    masked = None  # bool array: True where masked
    if isinstance(arr, np.ma.MaskedArray):
        mask = np.ma.getmask(arr)
        if mask is not np.ma.nomask:
            mask = mask.copy()
        masked = np.ma.getmaskarray(arr)
        data = np.ma.getdata(arr)
        if arr.dtype.kind == "O":
            seq = [None if m else v for v, m in zip(data.tolist(), masked.tolist(), strict=True)]
            col = _gilmap.Column.from_sequence(seq)
            return Input("numpy-object", [col], _whole_lane([col]), len(arr), [seq], mask=mask)
        arr = data
        if not masked.any():
            masked = None
    k = arr.dtype.kind
    if k == "O":
        seq = arr.tolist()
        col = _gilmap.Column.from_sequence(seq)
        return Input("numpy-object", [col], _whole_lane([col]), len(arr), [seq])
    if k == "f" and arr.dtype.itemsize <= 8:
        lane, target = "float64", np.float64
    elif k in "iu":
        lane, target = "int64", np.int64
        if k == "u" and arr.dtype.itemsize == 8 and len(arr):
            # Masked elements are never cast (their slots are filled), so they cannot fail.
            big = arr > INT64_MAX if masked is None else (arr > INT64_MAX) & ~masked
            if big.any():
                raise _bad(int(np.argmax(big)), f"{arr.dtype} (value above int64)")
    elif k == "b":
        lane, target = "bool", np.int64
    else:
        valid = range(len(arr)) if masked is None else np.flatnonzero(~masked)
        raise (
            _bad(int(valid[0]), f"numpy {arr.dtype}")
            if len(valid)
            else TypeError(
                f"gilmap.map: numpy dtype {arr.dtype} cannot be cast to int64 or float64"
            )
        )
    if arr.dtype != np.dtype(target) or not arr.dtype.isnative:
        with np.errstate(all="ignore"):  # masked slots may hold anything
            arr = arr.astype(target)
    if arr.strides[0] % 8 or not arr.flags.aligned:
        arr = np.ascontiguousarray(arr)
    validity = None
    if masked is not None:
        validity = np.packbits(~masked, bitorder="little").tobytes()
    col = _gilmap.Column.from_buffer(arr, lane, validity)
    # arrow_kernel reads the source: with a mask it must see the nulls.
    src = arr if masked is None else _masked_source(arr, masked)
    return Input("numpy", [col], _whole_lane([col]), len(arr), [src], mask=mask)


def _masked_source(arr: Any, masked: Any) -> Any:
    """The lane values with masked elements as nulls: a pyarrow Array when pyarrow is
    installed (what whole-array backends read), else the plain values."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a test dependency
        return arr
    return pa.array(arr, mask=masked)


def _arrow_lane_array(arr: Any, base: int) -> tuple[str, Any]:
    """The lane of one Arrow array, and the array in the lane's dtype (bool as int64)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_int64(t):
        return "int64", arr
    if pa.types.is_float64(t):
        return "float64", arr
    if pa.types.is_boolean(t):
        return "bool", arr.cast(pa.int64())
    if pa.types.is_null(t):
        return "int64", arr.cast(pa.int64())
    if pa.types.is_integer(t):
        if pa.types.is_uint64(t) and len(arr) and (pc.max(arr).as_py() or 0) > INT64_MAX:
            limit = pa.scalar(INT64_MAX, pa.uint64())
            idx = pc.index(pc.greater(arr, limit), True).as_py()
            raise _bad(base + idx, f"{t} (value above int64)")
        return "int64", arr.cast(pa.int64())
    if pa.types.is_floating(t):
        return "float64", arr.cast(pa.float64())
    valid = pc.index(pc.is_valid(arr), True).as_py() if len(arr) else -1
    if valid is None or valid < 0:  # all null: no element to cast
        return "int64", pa.nulls(len(arr), pa.int64())
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
    """Assembles the result (a list or raw parts; one column per input) into the output
    container."""
    if inp.container == "list":
        return results[0]
    if inp.container == "numpy-object":
        import numpy as np

        out = np.empty(len(results[0]), dtype=object)
        out[:] = results[0]
        return out if inp.mask is None else np.ma.MaskedArray(out, mask=inp.mask)
    if inp.container == "numpy":
        out = _numpy_from_parts(results[0])
        if inp.mask is None:
            return out
        import numpy as np

        return np.ma.MaskedArray(out, mask=inp.mask)
    import pyarrow as pa

    out = results[0]
    if isinstance(out, pa.ChunkedArray):  # arrow_kernel on a ChunkedArray source
        if tuple(len(c) for c in out.chunks) == inp.chunk_lengths:
            return out
        out = out.combine_chunks()
    out = _arrow_from_parts(out, len(inp.columns[0]))
    if inp.container == "arrow":
        return out
    # The whole input ran as one column: slice the result back into the input's chunks
    # (zero-copy views of the one output buffer).
    chunks, at = [], 0
    for n in inp.chunk_lengths:
        chunks.append(out.slice(at, n))
        at += n
    return pa.chunked_array(chunks, out.type)
