"""The ``jit`` backend: CPython bytecode → LLVM kernels (see docs/ARCHITECTURE.md).

Detection reads the function's bytecode (:mod:`gilmap.jit.reader`) and compiles it for the
lane; a refusal (from the reader or the compiler) names the construct and its source line.
A decision remembers the numeric globals baked into the kernel and the types of the closure
variables; if either changes, the decision is stale and the router decides again.
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass
from typing import Any

from .. import _gilmap
from .._router import Decision, Verdict
from ..jit import reader
from ..jit.normalize import UnsupportedPython

#: `GILMAP_DUMP=gnb,typed,llvm,opt` prints those stages to stderr when a kernel compiles.
DUMP_STAGES = ("gnb", "typed", "llvm", "opt")


class StaleDecision(Exception):
    """A global or closure variable baked into the kernel changed since compilation."""


@dataclass(frozen=True)
class JitPayload:
    kernel: _gilmap.JitKernel
    program: reader.Program
    capture_kinds: tuple[type, ...]
    compile_ms: float


def jit_enabled() -> bool:
    return os.environ.get("GILMAP_JIT", "1").strip() not in ("0", "false", "no", "off")


def _dump(program: reader.Program, kernel: _gilmap.JitKernel) -> None:
    wanted = {s.strip() for s in os.environ.get("GILMAP_DUMP", "").split(",") if s.strip()}
    texts = {
        "gnb": program.text,
        "typed": kernel.typed_ir,
        "llvm": kernel.llvm_ir,
        "opt": kernel.optimized_ir,
    }
    for stage in DUMP_STAGES:
        if stage in wanted or "all" in wanted:
            print(f"--- gilmap {stage} (kernel {kernel.hash}) ---\n{texts[stage]}", file=sys.stderr)


def _raw(value: Any) -> int:
    """The 8 raw bytes the kernel reads for a captured number."""
    if isinstance(value, float):
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    return int(value) & 0xFFFFFFFFFFFFFFFF


def _cell_values(func: Any) -> list[Any]:
    closure = getattr(func, "__closure__", None) or ()
    return [cell.cell_contents for cell in closure]


class JitBackend:
    name = "jit"
    fast_path = True

    def detect(self, func: Any, lane: str) -> Verdict:
        if not jit_enabled():
            return Verdict(False, "the JIT is disabled (GILMAP_JIT=0)")
        unavailable = _gilmap.jit_unavailable()
        if unavailable is not None:
            return Verdict(False, f"LLVM could not initialise on this machine: {unavailable}")
        try:
            program = reader.read(func)
        except UnsupportedPython as exc:
            return Verdict(False, str(exc))
        guards = tuple(program.guards)
        if program.refusal is not None:
            return Verdict(False, f"JIT refused: {program.refusal}", guards=guards)
        try:
            kernel, cached = _gilmap.jit_compile(program.text, lane)
        except _gilmap.JitRefused as exc:
            # The refusal may come from a value read (a global beyond int64): it is
            # re-decided when a guard changes.
            return Verdict(False, f"JIT refused: {exc}", guards=guards)
        _dump(program, kernel)
        kinds = tuple(type(v) for v in program.captures)
        payload = JitPayload(kernel, program, kinds, 0.0 if cached else kernel.compile_ms)
        return Verdict(
            True,
            f"compiled to native code for {lane} (kernel {kernel.hash})",
            payload,
            guards=guards,
        )

    def check_fresh(self, func: Any, payload: JitPayload) -> list[int]:
        """Raises StaleDecision if a capture's type changed; returns the captures' raw values
        for this call. (The guards on globals, code and defaults were checked by the router
        when it handed out the decision, in this same call.)"""
        if not payload.capture_kinds:
            return []
        values = _cell_values(func)
        if tuple(type(v) for v in values) != payload.capture_kinds:
            raise StaleDecision("closure")
        return [_raw(v) for v in values]

    def run(
        self, decision: Decision, column: Any, output: str, func: Any = None, source: Any = None
    ) -> Any:
        payload: JitPayload = decision.payload
        captures = self.check_fresh(func, payload)
        return _gilmap.jit_map(payload.kernel, column, captures, func, output)
