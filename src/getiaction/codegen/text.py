"""Text forms the IR renders into: wrapped prose, docstring-safe lines, Markdown cells, YAML flow values."""

from __future__ import annotations

import textwrap

import yaml

# The project's line length: generated Python, YAML comments and docstrings wrap to it.
LINE_LENGTH = 110

PlainValue = None | bool | int | float | str | list["PlainValue"] | dict[str, "PlainValue"]


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` columns, hyphenated words kept whole; none for no text."""
    return textwrap.wrap(text, width=width, break_on_hyphens=False) if text else []


def escape_docstring_line(line: str) -> str:
    """Make upstream text safe inside a plain triple-quoted string.

    Backslashes are doubled (so ``\\n`` in upstream prose stays two characters) and every quote of a
    run of three is escaped, which also keeps a closing ``\"\"\"`` from being written by the text.
    """
    return line.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').rstrip()


def cell(text: str) -> str:
    """``text`` as one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def yaml_flow(value: PlainValue) -> str:
    """A plain value as a one-line YAML flow value."""
    text: str = yaml.safe_dump(
        value, default_flow_style=True, width=10**9, sort_keys=False, allow_unicode=True
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()
