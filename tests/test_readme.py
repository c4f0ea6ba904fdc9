"""Every code sample in README.md runs: ```python blocks with ``>>>`` prompts as doctests
(outputs compared), the others executed as scripts."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


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
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
