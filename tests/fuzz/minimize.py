"""The minimizer: shrinks a failing case while the failure's kind persists.

In order: the container (a plain list if it fails there too), the inputs (halves, then one
element at a time), the changes between calls, then the source: statements deleted, ``if``
and loops replaced by their bodies, subexpressions replaced by one of their operands, ``x``
or a small constant, constants simplified. Greedy, with a time budget.

A mismatch is checked in-process (``python -m tests.fuzz.minimize`` runs the whole
minimization in a child, so a crash of a candidate cannot take the caller down); a crash
or hang is checked one candidate per child (:func:`tests.fuzz.runner.run_child`).
"""

from __future__ import annotations

import ast
import copy
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from .gen import Case

Holds = Callable[[Case, list[Any], str], bool]

SMALL_CONSTS: list[Any] = [0, 1, -1, 2, 0.0, 1.0, -0.0, 0.5]


def in_process_holds(kind: str) -> Holds:
    from .check import check

    def holds(case: Case, xs: list[Any], container: str) -> bool:
        try:
            found = check(case, xs, (container,)).findings
        except Exception:  # noqa: BLE001 - a candidate that does not build: no
            return False
        return any(f["kind"] == kind for f in found)

    return holds


def subprocess_holds(kind: str, timeout: float, python: str = sys.executable) -> Holds:
    from .child import case_to_json, enc
    from .runner import run_child

    def holds(case: Case, xs: list[Any], container: str) -> bool:
        job = {"cases": [{"case": case_to_json(case), "xs": enc(xs), "containers": [container]}]}
        try:
            outcomes, _ = run_child(job, timeout, python)
        except RuntimeError:
            return False
        return any(o.crash == kind for o in outcomes)

    return holds


# ---------------------------------------------------------------------- source edits
def _parent_slots(tree: ast.AST) -> Iterator[tuple[ast.AST, str, int | None, ast.AST]]:
    """(parent, field, index in a list field or None, child) for every node."""
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        yield parent, name, i, child
            elif isinstance(value, ast.AST):
                yield parent, name, None, value


def _replacements(parent: ast.AST, name: str, child: ast.AST) -> list[Any]:
    """Smaller things ``child`` could become (a list: statements to splice in)."""
    if isinstance(child, ast.stmt):
        out: list[Any] = [[]]
        if isinstance(child, (ast.If, ast.For, ast.While)):
            out.append(child.body)
            if child.orelse:
                out.append(child.orelse)
        if isinstance(child, ast.FunctionDef) and child.name == "f":
            out = []
        return out
    if not isinstance(child, ast.expr) or isinstance(getattr(child, "ctx", None), ast.Store):
        return []
    if isinstance(parent, ast.Call) and name == "func" or isinstance(parent, ast.Attribute):
        return []
    if isinstance(child, ast.Constant):
        v = child.value
        if type(v) is int:
            return [
                ast.Constant(c)
                for c in (0, 1, -1, 2, v // 2)
                if c != v and abs(c) < abs(v) + (v == 0)
            ]
        if type(v) is float:
            return [ast.Constant(c) for c in (0.0, 1.0, 0.5) if repr(c) != repr(v)]
        return []
    subs: list[Any] = [c for c in ast.iter_child_nodes(child) if isinstance(c, ast.expr)]
    subs = [
        s for s in subs if not isinstance(s, ast.Name) or s.id not in ("math", "min", "max", "abs")
    ]
    if not isinstance(child, ast.Name):
        subs += [ast.Name("x", ast.Load())] + [ast.Constant(c) for c in SMALL_CONSTS]
    return subs


def source_variants(source: str) -> Iterator[str]:
    tree = ast.parse(source)
    slots = list(_parent_slots(tree))
    for k, (parent, name, _index, child) in enumerate(slots):
        for repl in _replacements(parent, name, child):
            new = copy.deepcopy(tree)
            p2, n2, i2, _ = list(_parent_slots(new))[k]
            r2 = copy.deepcopy(repl)
            if i2 is None:
                if isinstance(r2, list):
                    continue
                setattr(p2, n2, r2)
            else:
                seq = getattr(p2, n2)
                seq[i2 : i2 + 1] = r2 if isinstance(r2, list) else [r2]
                if not seq and n2 in ("body", "orelse") and not isinstance(p2, ast.Module):
                    if n2 == "orelse":
                        continue
                    seq.append(ast.Pass())
            try:
                text = ast.unparse(ast.fix_missing_locations(new)) + "\n"
            except Exception:  # noqa: BLE001
                continue
            if text != source:
                yield text


# ---------------------------------------------------------------------- the loop
def shrink(
    case: Case, xs: list[Any], container: str, holds: Holds, seconds: float = 60.0
) -> tuple[Case, list[Any], str]:
    """The smallest (case, inputs, container) found in ``seconds`` that still ``holds``."""
    end = time.monotonic() + seconds
    if container != "list" and holds(case, xs, "list"):
        container = "list"
    # inputs: keep halves, then drop one element at a time
    n = 2
    while len(xs) > 1 and time.monotonic() < end:
        size = max(1, len(xs) // n)
        for start in range(0, len(xs), size):
            cand = xs[:start] + xs[start + size :]
            if cand and holds(case, cand, container):
                xs, n = cand, max(n - 1, 2)
                break
        else:
            if size == 1:
                break
            n = min(len(xs), n * 2)
    for change in list(case.changes):
        cand_case = replace(case, changes=[c for c in case.changes if c != change])
        if holds(cand_case, xs, container):
            case = cand_case
    progress = True
    while progress and time.monotonic() < end:
        progress = False
        for text in source_variants(case.source):
            if time.monotonic() >= end:
                break
            cand_case = replace(case, source=text)
            if holds(cand_case, xs, container):
                case, progress = cand_case, True
                break
    return case, xs, container


def main() -> None:
    """Child mode: a JSON job {case, xs, container, kind, seconds} on stdin, the result out."""
    from .child import case_from_json, case_to_json, dec, enc

    job = json.loads(sys.stdin.read())
    if job["case"]["backend"] == "numba":
        import numba  # noqa: F401
    case, xs = case_from_json(job["case"]), dec(job["xs"])
    case, xs, container = shrink(
        case, xs, job["container"], in_process_holds(job["kind"]), job["seconds"]
    )
    sys.stdout.write(
        json.dumps({"case": case_to_json(case), "xs": enc(xs), "container": container}) + "\n"
    )


if __name__ == "__main__":
    main()
