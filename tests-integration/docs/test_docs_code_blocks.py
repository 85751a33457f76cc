"""Every ```python block in the README files and docs/ runs without error.

A block runs in a fresh interpreter, from an empty temporary directory, padded with blank
lines so a traceback's line numbers are the Markdown file's. Blocks fenced as anything else
(```text, ```console, ```json, ...) are not run, nor is a ```python block whose info string
says ``no-run`` (for snippets that need a server or are fragments).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    {
        ROOT / "README.md",
        *(ROOT / "docs").glob("**/*.md"),
        *(ROOT / "packages").glob("*/README.md"),
    }
)

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")
_RUNNABLE_LANGUAGES = {"python", "py", "python3"}


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block: its document, the line its code starts on, its info string and code."""

    path: Path
    line: int
    info: str
    code: str

    @property
    def runnable(self) -> bool:
        words = self.info.split()
        return bool(words) and words[0].lower() in _RUNNABLE_LANGUAGES and "no-run" not in words

    @property
    def where(self) -> str:
        """``file:line`` of the block's first line of code, relative to the repository."""
        try:
            name = self.path.relative_to(ROOT).as_posix()
        except ValueError:
            name = str(self.path)
        return f"{name}:{self.line}"


def code_blocks(path: Path, text: str) -> list[CodeBlock]:
    """Return the fenced code blocks of a CommonMark document, in order."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None or ("`" in opening["info"] and opening["fence"][0] == "`"):
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        start = index
        body: list[str] = []
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"]
            ):
                break
            # Content lines lose at most the opening fence's indentation (CommonMark).
            line = lines[index]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            index += 1
        index += 1
        blocks.append(CodeBlock(path, start + 1, opening["info"].strip(), "\n".join(body) + "\n"))
    return blocks


BLOCKS = [
    block
    for document in DOCUMENTS
    for block in code_blocks(document, document.read_text(encoding="utf-8"))
    if block.runnable
]


def test_code_blocks_are_found() -> None:
    assert any(block.where.startswith("README.md:") for block in BLOCKS)
    assert any(block.where.startswith("docs/pydantic.md:") for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_code_block_runs(block: CodeBlock, tmp_path: Path) -> None:
    script = tmp_path / "block" / block.path.name
    script.parent.mkdir()
    script.write_text("\n" * (block.line - 1) + block.code, encoding="utf-8")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=workdir,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(
            f"the ```python block at {block.where} exited {result.returncode} "
            f"(traceback line numbers are {block.path.name}'s):\n{result.stdout}{result.stderr}",
            pytrace=False,
        )


# -- the extractor itself -------------------------------------------------------------------

SAMPLE = textwrap.dedent(
    """\
    # Title

    ```python
    print("one")
    ```

    ```text
    not code
    ```

    ```console
    $ bash scripts/demo
    ```

    - a list item:

      ```python
      if True:
          print("indented")
      ```

    ````python
    print("```")
    ````

    ```python no-run
    connect_to_a_server()
    ```
    """
)


def test_the_extractor_finds_blocks_lines_and_languages() -> None:
    blocks = code_blocks(Path("sample.md"), SAMPLE)
    assert [(block.line, block.info, block.runnable) for block in blocks] == [
        (4, "python", True),
        (8, "text", False),
        (12, "console", False),
        (18, "python", True),
        (23, "python", True),
        (27, "python no-run", False),
    ]
    assert blocks[0].code == 'print("one")\n'
    assert blocks[3].code == 'if True:\n    print("indented")\n'
    assert blocks[4].code == 'print("```")\n'
