"""Every code sample in README.md runs: ```python blocks with ``>>>`` prompts as doctests
(outputs compared; bytecode offsets ``@N`` in IR dumps are masked, since each CPython
version lays out its bytecode differently), the others executed as scripts."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


class OffsetNeutralChecker(doctest.OutputChecker):
    """Compares outputs with the bytecode offsets of IR dumps (``@12``) masked."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        mask = re.compile(r"@\d+")
        return super().check_output(mask.sub("@N", want), mask.sub("@N", got), optionflags)


def test_the_readme_has_samples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_readme_sample_runs(k):
    block = BLOCKS[k]
    if ">>>" not in block:
        exec(compile(block, f"README.md[python block {k}]", "exec"), {"__name__": "readme"})
        return
    globs: dict = {}
    for earlier in BLOCKS[:k]:  # doctest blocks build on the earlier ones, like a session
        if ">>>" in earlier:
            globs["gilmap"] = __import__("gilmap")
    test = doctest.DocTestParser().get_doctest(block, globs, f"README[{k}]", str(README), 0)
    runner = doctest.DocTestRunner(
        checker=OffsetNeutralChecker(),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
