"""Per-field documentation read from upstream source with libcst.

Two sources, in order of preference, for each dataclass in a config's MRO:

1. the class docstring's Google-style ``Args:`` entry for the field;
2. the comment lines directly above the field's declaration (no blank line between), followed by
   the comment at the end of the declaration line.

libcst keeps comments (``ast`` drops them) and sees fields declared anywhere in the class body,
including after methods.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

_SECTION = re.compile(r"^(\w+):\s*$")
_ARGS_SECTIONS = frozenset({"Args", "Arguments", "Parameters"})
_ARG_ENTRY = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class ClassDocs:
    """What one upstream class's source says about itself and its fields."""

    description: tuple[str, ...]  # docstring lines without the Args section
    fields: dict[str, str]  # field name -> one-paragraph documentation


def field_doc(cls: type, name: str) -> tuple[str, str]:
    """Documentation for field ``name`` of dataclass ``cls``, and the class that holds it.

    Walks the MRO from ``cls`` upwards; the first class whose source documents the field wins, so a
    subclass that re-declares a field keeps the base class's text unless it has its own.
    """
    declared_in = ""
    for klass in cls.__mro__:
        if name not in vars(klass).get("__annotations__", {}):
            continue
        declared_in = declared_in or klass.__qualname__
        doc = class_docs(klass).fields.get(name, "")
        if doc:
            return doc, klass.__qualname__
    return "", declared_in


@functools.cache
def class_docs(cls: type) -> ClassDocs:
    """Parse ``cls``'s own source (not its bases)."""
    source = inspect.getsource(inspect.getmodule(cls))  # type: ignore[arg-type]
    node = _find_class(cst.parse_module(source), cls.__qualname__)
    docstring = node.get_docstring(clean=True) or ""
    description, arg_docs = split_docstring(docstring)
    fields = dict(_comment_docs(node))
    fields.update(arg_docs)  # an Args entry is more deliberate than a comment: it wins
    return ClassDocs(description=description, fields=fields)


def split_docstring(docstring: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """Split a cleaned docstring into its non-Args lines and its Args entries.

    Inside ``Args:`` (indented I), entries sit at the indentation E of the first entry; deeper lines
    continue the current entry, and a line at I or less ends the section.
    """
    description: list[str] = []
    entries: dict[str, list[str]] = {}
    args_indent: int | None = None  # I, while inside an Args section
    entry_indent: int | None = None  # E
    current: str | None = None
    for line in docstring.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if args_indent is not None and stripped and indent <= args_indent:
            args_indent = None  # dedented text ends the section
        if args_indent is None:
            section = _SECTION.match(stripped)
            if section and section.group(1) in _ARGS_SECTIONS:
                args_indent, entry_indent, current = indent, None, None
            else:
                description.append(line)
            continue
        if not stripped:
            continue
        entry_indent = indent if entry_indent is None else entry_indent
        entry = _ARG_ENTRY.match(stripped)
        if indent == entry_indent and entry:
            current = str(entry.group(1)).lstrip("*")
            entries[current] = [entry.group(2)]
        elif current is not None:
            entries[current].append(stripped)
    while description and not description[-1].strip():
        description.pop()
    return tuple(description), {name: _paragraph(parts) for name, parts in entries.items()}


def _comment_docs(node: cst.ClassDef) -> list[tuple[str, str]]:
    docs: list[tuple[str, str]] = []
    for statement in node.body.body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        target = statement.body[0]
        if not isinstance(target, cst.AnnAssign) or not isinstance(target.target, cst.Name):
            continue
        above: list[str] = []
        for empty_line in reversed(statement.leading_lines):
            if empty_line.comment is None:
                break  # a blank line: what is above it documents something else
            above.append(_comment_text(empty_line.comment))
        parts = list(reversed(above))
        trailing = statement.trailing_whitespace.comment
        if trailing is not None:
            parts.append(_comment_text(trailing))
        text = _paragraph([part for part in parts if part])
        if text:
            docs.append((target.target.value, text))
    return docs


def _comment_text(comment: cst.Comment) -> str:
    text = comment.value.lstrip("#").strip()
    # Tool directives are not documentation.
    return "" if re.match(r"^(type|noqa|pragma|fmt|pylint|mypy)\s*:", text) else text


def _find_class(module: cst.Module, qualname: str) -> cst.ClassDef:
    body: Sequence[cst.BaseStatement] = module.body
    found: cst.ClassDef | None = None
    for part in qualname.split("."):
        found = next((n for n in body if isinstance(n, cst.ClassDef) and n.name.value == part), None)
        if found is None:
            raise LookupError(f"class {qualname} not found in its module source")
        body = found.body.body if isinstance(found.body, cst.IndentedBlock) else ()
    assert found is not None
    return found


def _paragraph(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())
