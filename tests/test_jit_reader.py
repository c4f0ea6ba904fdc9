"""Stage 1 of the JIT: ``gilmap.jit.reader`` turns functions into the text of
``docs/JIT_TEXT_FORMAT.md``. Run under both 3.12 and 3.13: the golden shapes below are the
same literals for both versions.
"""

from __future__ import annotations

import builtins
import functools
import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import jit_gnb
import pytest

from gilmap.jit import normalize
from gilmap.jit.reader import dump, format_const, read

ROOT = Path(__file__).resolve().parents[1]
CORPUS_PATH = Path(__file__).resolve().parents[2] / "shared" / "jit" / "corpus.py"
if not CORPUS_PATH.exists():
    pytest.skip("../shared/jit/corpus.py not present", allow_module_level=True)

_spec = importlib.util.spec_from_file_location("gm_jit_corpus", CORPUS_PATH)
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
POSITIVE = {c.name: c for c in corpus.CASES if c.kind == "pos"}
NEGATIVE = {c.name: c for c in corpus.CASES if c.kind == "neg"}


def doc_opnames() -> set[str]:
    """The opnames of the format's table (first column of every table row)."""
    text = (ROOT / "docs" / "JIT_TEXT_FORMAT.md").read_text()
    names = set()
    for row in re.findall(r"^\| (`.*?) \|", text, re.M):
        names.update(re.findall(r"`([A-Z_]+)`", row))
    return names


def parsed(fn) -> dict[int, jit_gnb.Func]:
    return jit_gnb.parse(read(fn).text)


# ------------------------------------------------------------------------- the corpus
def test_corpus_counts():
    assert len(POSITIVE) == 99 and len(NEGATIVE) == 20


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_positive_reads_clean(name):
    program = read(POSITIVE[name].fn)
    assert program.refusal is None
    assert "UNSUPPORTED" not in program.text and " unsupported " not in program.text
    funcs = jit_gnb.parse(program.text)
    allowed = doc_opnames()
    for func in funcs.values():
        assert func.refuse is None, func.refuse
        for ins in func.instrs:
            assert ins.op in allowed, ins
            jit_gnb.check_args(ins, func, funcs)
        jit_gnb.check_stack(func)


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_positive_every_instruction_reachable_or_nop(name):
    """The stack walk reaches every instruction that is not dead code CPython left in."""
    func = parsed(POSITIVE[name].fn)[0]
    depth = jit_gnb.check_stack(func)
    unreached = [i for k, i in enumerate(func.instrs) if k not in depth and i.op != "NOP"]
    assert unreached == []


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_is_refused_or_unsupported(name):
    program = read(NEGATIVE[name].fn)
    func = jit_gnb.parse(program.text)[0]
    flagged = [i for i in func.instrs if i.op == "UNSUPPORTED" or "unsupported" in i.args]
    assert func.refuse is not None or flagged, program.text
    assert (program.refusal is None) == (func.refuse is None)
    if func.refuse is not None:
        assert program.refusal == func.refuse
        assert re.search(r"\(line \d+\)$", func.refuse), func.refuse


def test_text_is_deterministic():
    for case in corpus.CASES:
        assert read(case.fn).text == read(case.fn).text


# ------------------------------------------------------------------------- 3.12 == 3.13
GOLDEN = {
    "add1": "LOAD_FAST 0; LOAD_CONST int 1; BINARY_OP +; RETURN_VALUE",
    "chain": (
        "LOAD_CONST int 0; LOAD_FAST 0; SWAP 2; COPY 2; COMPARE_OP <; COPY 1; "
        "POP_JUMP_IF_FALSE ->11; POP_TOP; LOAD_CONST int 10; COMPARE_OP <; RETURN_VALUE; "
        "SWAP 2; POP_TOP; RETURN_VALUE"
    ),
    "sum_range": (
        "LOAD_CONST int 0; STORE_FAST 1; LOAD_GLOBAL builtin range range; LOAD_FAST 0; CALL 1; "
        "GET_ITER; FOR_ITER ->13; STORE_FAST 2; LOAD_FAST 1; LOAD_FAST 2; BINARY_OP +; "
        "STORE_FAST 1; JUMP ->6; LOAD_FAST 1; RETURN_VALUE"
    ),
    "for_break_else": (
        "LOAD_GLOBAL builtin range range; LOAD_CONST int 2; LOAD_FAST 0; CALL 2; GET_ITER; "
        "FOR_ITER ->18; STORE_FAST 1; LOAD_FAST 0; LOAD_FAST 1; BINARY_OP %; LOAD_CONST int 0; "
        "COMPARE_OP ==; POP_JUMP_IF_TRUE ->14; JUMP ->5; LOAD_FAST 1; SWAP 2; POP_TOP; "
        "RETURN_VALUE; LOAD_FAST 0; RETURN_VALUE"
    ),
    "round_kw": (
        "LOAD_GLOBAL builtin round round; LOAD_FAST 0; LOAD_CONST int 1; CALL 2 kw ndigits; "
        "RETURN_VALUE"
    ),
    "alias_math": (
        "LOAD_GLOBAL module math M; LOAD_ATTR floor; LOAD_FAST 0; CALL 1; "
        "LOAD_GLOBAL module math M; LOAD_ATTR fabs; LOAD_FAST 0; CALL 1; BINARY_OP +; "
        "RETURN_VALUE"
    ),
    "gcd": (
        "LOAD_FAST 0; STORE_FAST 1; LOAD_CONST int 48; STORE_FAST 2; LOAD_FAST 2; "
        "POP_JUMP_IF_FALSE ->15; LOAD_FAST 2; LOAD_FAST 1; LOAD_FAST 2; BINARY_OP %; "
        "STORE_FAST 2; STORE_FAST 1; LOAD_FAST 2; POP_JUMP_IF_FALSE ->15; JUMP ->6; "
        "LOAD_FAST 1; RETURN_VALUE"
    ),
    "math_sqrt": (
        "LOAD_GLOBAL module math math; LOAD_ATTR sqrt; LOAD_FAST 0; LOAD_FAST 0; BINARY_OP *; "
        "LOAD_CONST float 0x3ff0000000000000; BINARY_OP +; CALL 1; RETURN_VALUE"
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_shape_same_on_312_and_313(name):
    """NOPs dropped, jump targets as ``->index``: the same literal for both versions."""
    assert "; ".join(jit_gnb.shape(parsed(POSITIVE[name].fn)[0])) == GOLDEN[name]


def test_no_version_specific_opnames_survive():
    specific = {"LOAD_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST", "STORE_FAST_LOAD_FAST"}
    specific |= {"KW_NAMES", "CALL_KW", "PUSH_NULL", "END_FOR", "RETURN_CONST", "TO_BOOL"}
    for case in POSITIVE.values():
        ops = {i.op for f in parsed(case.fn).values() for i in f.instrs}
        assert not ops & specific, (case.name, ops & specific)


# ------------------------------------------------------------------------- names and values
def test_globals_are_baked_and_guarded():
    program = read(POSITIVE["globals"].fn)
    assert "LOAD_GLOBAL const int 3 SCALE" in program.text
    assert "LOAD_GLOBAL const float 0x4004000000000000 OFFSET" in program.text
    globals_ = [(o, n, v) for o, n, v in program.guards if isinstance(o, dict)]
    assert [(name, value) for _, name, value in globals_] == [("SCALE", 3), ("OFFSET", 2.5)]
    assert all(scope is vars(corpus) for scope, _, _ in globals_)
    # The function's own code and defaults are guarded too (held weakly).
    attrs = [n for o, n, _ in program.guards if not isinstance(o, dict)]
    assert attrs == ["__code__", "__defaults__", "__kwdefaults__"]
    big = read(POSITIVE["global_int"].fn)
    assert f"LOAD_GLOBAL const int {2**62} BIG" in big.text


def test_captures_types_and_values():
    program = read(POSITIVE["c_affine"].fn)
    func = jit_gnb.parse(program.text)[0]
    assert func.captures == [("a", "int"), ("b", "int")]
    assert program.captures == [2, -7]
    assert [i.args for i in func.instrs if i.op == "LOAD_DEREF"] == [["0"], ["1"]]
    scalef = read(POSITIVE["c_scalef"].fn)
    assert "capture 0 k float" in scalef.text and scalef.captures == [0.5]


def make_closure(value):
    return lambda x: x + value


@pytest.mark.parametrize(
    ("value", "words"),
    [("s", "is a str"), (2**70, "outside int64"), ([1], "is a list"), (math, "is a module")],
)
def test_bad_capture_is_refused(value, words):
    program = read(make_closure(value))
    assert program.refusal and "closure variable value" in program.refusal
    assert words in program.refusal and program.captures == []


def test_math_builtins_and_callees():
    ns = {}
    exec("from math import sqrt as root\nf = lambda x: root(x) + abs(x) + nope(x) + len(x)", ns)
    text = dump(ns["f"])
    assert "LOAD_GLOBAL mathfn sqrt root" in text
    assert "LOAD_GLOBAL builtin abs abs" in text
    assert "LOAD_GLOBAL unsupported missing nope" in text
    assert "LOAD_GLOBAL unsupported builtin_function_or_method len" in text
    funcs = parsed(POSITIVE["call_square"].fn)
    assert sorted(funcs) == [0, 1] and funcs[1].name == "square"
    assert "LOAD_GLOBAL func 1 square" in dump(POSITIVE["call_square"].fn)


def rec_fib(x):
    return x if x < 2 else rec_fib(x - 1) + rec_fib(x - 2)


def ping(x):
    return pong(x - 1) if x > 0 else 0


def pong(x):
    return ping(x - 1) + 1


def test_recursion_keeps_first_id():
    funcs = parsed(rec_fib)
    assert list(funcs) == [0]
    loads = [i.args for i in funcs[0].instrs if i.op == "LOAD_GLOBAL"]
    assert loads == [["func", "0", "rec_fib"]] * 2
    mutual = parsed(ping)
    assert [f.name for f in mutual.values()] == ["ping", "pong"]
    assert ["func", "0", "ping"] in [i.args for i in mutual[1].instrs]


def test_callee_defaults_and_refusals():
    src = (
        "def clamp(x, lo=0.0, hi=1):\n    return min(max(x, lo), hi)\n"
        "def bad(x, d=[]):\n    return x\n"
        "def kwonly(x, *, k=1):\n    return x\n"
        "cl = (lambda k: (lambda x: x * k))(2)\n"
        "def f(x):\n    return clamp(x) + bad(x) + kwonly(x) + cl(x)\n"
    )
    ns: dict = {}
    exec(src, ns)
    funcs = parsed(ns["f"])
    assert funcs[1].defaults == {1: "float 0x0000000000000000", 2: "int 1"}
    assert "parameter d is a list" in funcs[2].refuse
    assert "keyword-only" in funcs[3].refuse
    assert "closure" in funcs[4].refuse
    assert funcs[0].refuse is None and read(ns["f"]).refusal is None


def test_builtins_as_module_or_dict():
    for namespace in ({"__builtins__": builtins}, {"__builtins__": dict(vars(builtins))}):
        exec("f = lambda x: max(x, 0)", namespace)
        assert "LOAD_GLOBAL builtin max max" in dump(namespace["f"])


def test_load_attr_only_on_math():
    assert "UNSUPPORTED LOAD_ATTR bit_length" in dump(NEGATIVE["n_unknown_call"].fn)
    assert "UNSUPPORTED LOAD_ATTR real" in dump(NEGATIVE["n_attr"].fn)
    assert "LOAD_ATTR pi" in dump(POSITIVE["math_consts"].fn)


# ------------------------------------------------------------------------- constants
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.5, "float 0x3ff8000000000000"),
        (-0.0, "float 0x8000000000000000"),
        (math.inf, "float 0x7ff0000000000000"),
        (True, "bool 1"),
        (False, "bool 0"),
        (-(2**63), f"int {-(2**63)}"),
        (2**63, f"bigint {2**63}"),
        (None, "none"),
        ("", "str \\e"),
        ("a b\\c\n", "str a\\sb\\\\c\\u{a}"),
        ((0, (1.0, "x")), "tuple 2 int 0 tuple 2 float 0x3ff0000000000000 str x"),
        (1j, None),
        (frozenset({1}), None),
        pytest.param(10**5000, None, id="int-too-long-to-print"),
    ],
)
def test_format_const(value, text):
    assert format_const(value) == text


def test_return_const_and_unsupported_const():
    text = dump(POSITIVE["no_return"].fn)
    assert re.search(r"@(\d+) L\d+ LOAD_CONST none\n@\1 L\d+ RETURN_VALUE\n", text)
    assert "UNSUPPORTED LOAD_CONST code" in dump(NEGATIVE["n_genexpr_sum"].fn)
    assert "UNSUPPORTED LOAD_CONST complex" in dump(lambda x: x * 1j)


# ------------------------------------------------------------------------- odd inputs
def test_exec_and_eval_lambdas_read():
    ns: dict = {}
    exec("f = lambda x: x * 2 + 1", ns)
    g = eval("lambda x: -x if x < 0 else x")
    for fn in (ns["f"], g):
        program = read(fn)
        assert program.refusal is None and "UNSUPPORTED" not in program.text
        jit_gnb.check_stack(jit_gnb.parse(program.text)[0])


def test_two_lambdas_on_one_line_differ():
    ns: dict = {}
    exec("f, g = (lambda x: x + 1), (lambda x: x * 3)", ns)
    f, g = dump(ns["f"]), dump(ns["g"])
    assert f != g
    assert "BINARY_OP +" in f and "BINARY_OP *" not in f
    assert "BINARY_OP *" in g and "BINARY_OP +" not in g


def test_not_a_function_is_refused():
    for obj in (math.sqrt, len, 3, functools.partial(rec_fib), POSITIVE["add1"].fn.__call__):
        program = read(obj)
        assert program.refusal.startswith("not a plain Python function")
        assert f"refuse {program.refusal}\n" in program.text
        assert program.text.startswith(f"gnb 1\nfunc 0 {type(obj).__name__} argc=0 ")


def test_screening_reasons():
    assert "generator" in read(NEGATIVE["n_generator"].fn).refusal
    assert "*args" in read(NEGATIVE["n_varargs"].fn).refusal
    assert "exception handling" in read(NEGATIVE["n_try"].fn).refusal
    cell = read(NEGATIVE["n_cell_inside"].fn).refusal
    assert "local variable y" in cell and "line" in cell
    two = read(lambda x, y: x).refusal
    assert "exactly one positional argument" in two


def test_unknown_python_version_raises(monkeypatch):
    for version in ((3, 11), (3, 14), (4, 0)):
        with pytest.raises(normalize.UnsupportedPython, match=rf"{version[0]}\.{version[1]}"):
            normalize.check_version(version)
    assert normalize.check_version() == sys.version_info[:2]
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))
    with pytest.raises(normalize.UnsupportedPython, match=r"3\.14"):
        read(POSITIVE["add1"].fn)


def test_reader_does_not_need_the_extension():
    """reader/normalize import without gilmap/__init__.py and without gilmap._gilmap."""
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('gilmap'); pkg.__path__ = [{str(ROOT / 'gilmap')!r}]\n"
        "sys.modules['gilmap'] = pkg; sys.modules['gilmap._gilmap'] = None\n"
        "from gilmap.jit.reader import dump\n"
        "print(dump(lambda x: x + 1).splitlines()[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "gnb 1\n"
    for module in ("reader.py", "normalize.py"):
        assert "_gilmap" not in (ROOT / "gilmap" / "jit" / module).read_text()


def test_keyword_call_with_a_branch_in_its_arguments():
    fn = eval("lambda x: round(x, ndigits=1 if x > 0 else 2)")
    func = parsed(fn)[0]
    calls = [i.args for i in func.instrs if i.op == "CALL"]
    assert calls and all(call == ["2", "kw", "ndigits"] for call in calls)
    jit_gnb.check_stack(func)


def test_closure_passing_its_cell_on_is_unsupported():
    def outer(k):
        def f(x):
            g = lambda: k  # noqa: E731
            return g() + x

        return f

    func = parsed(outer(2))[0]
    flagged = {i.args[0] for i in func.instrs if i.op == "UNSUPPORTED"}
    assert "MAKE_FUNCTION" in flagged
    assert all(" " not in a for i in func.instrs for a in i.args)


def test_frozenset_membership_is_unsupported_const():
    assert "UNSUPPORTED LOAD_CONST frozenset" in dump(lambda x: x in {1, 2, 3})
