"""The README's example prints what the README says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_output_is_real() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## Example\s+```python\n(.*?)```\s+prints\s+```\n(.*?)```", text, re.S)
    assert match, "README has no example with its printed output"
    code, expected = match.groups()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == expected
