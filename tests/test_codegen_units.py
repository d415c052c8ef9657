"""Unit tests of the generator's tables: types, values and documentation."""

from __future__ import annotations

import dataclasses
import enum
import pathlib
import typing
from collections.abc import Callable

import pytest

from getiaction.codegen.docs import split_docstring
from getiaction.codegen.exprs import ImportRef, UnionType, UnmappedType
from getiaction.codegen.text import escape_docstring_line
from getiaction.codegen.typemap import type_expr
from getiaction.codegen.values import UnrenderableValue, value_expr


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int = 0
    y: int = 0


HERE = __name__


@pytest.mark.parametrize(
    ("annotation", "source"),
    [
        (int, "int"),
        (float, "float"),
        (str, "str"),
        (bool, "bool"),
        (type(None), "None"),
        (typing.Any, "Any"),
        (pathlib.Path, "Path"),
        (Color, "Color"),
        (Point, "Point"),
        (list[str], "list[str]"),
        (dict[str, Color], "dict[str, Color]"),
        (tuple[int, ...], "tuple[int, ...]"),
        (tuple[int, int, int], "tuple[int, int, int]"),
        (set[int], "set[int]"),
        (frozenset[str], "frozenset[str]"),
        (int | None, "int | None"),
        (typing.Optional[int], "int | None"),  # noqa: UP045
        (typing.Union[int, str, None], "int | str | None"),  # noqa: UP007
        (dict[str, dict[str, list[float]]] | None, "dict[str, dict[str, list[float]]] | None"),
        (list, "list[Any]"),
        (dict, "dict[Any, Any]"),
        (tuple, "tuple[Any, ...]"),
        (typing.Literal["a", 1, None], "Literal['a', 1, None]"),
        (typing.Literal[Color.RED], "Literal[Color.RED]"),
    ],
)
def test_type_table_renders_exactly(annotation: object, source: str) -> None:
    rendered = type_expr(annotation)
    assert rendered.source == source
    assert rendered.fallbacks() == ()


def test_type_imports_are_known() -> None:
    rendered = type_expr(dict[str, Color] | pathlib.Path | None)
    assert rendered.imports() == {ImportRef(HERE, "Color"), ImportRef("pathlib", "Path")}
    assert isinstance(rendered, UnionType)
    assert type_expr(typing.Literal["x"]).imports() == {ImportRef("typing", "Literal")}


def local_class() -> type:
    class Local:
        pass

    return Local


@pytest.mark.parametrize(
    "annotation",
    [
        Callable[[int], int],
        typing.TypeVar("T"),
        local_class(),  # not importable by name
        typing.Pattern[str],
        tuple[()],
    ],
)
def test_unknown_types_fall_back_to_any_and_are_recorded(annotation: object) -> None:
    rendered = type_expr(annotation)
    assert rendered.source == "Any"
    assert rendered.fallbacks() and isinstance(rendered.fallbacks()[0], UnmappedType)
    assert "\n" not in rendered.fallbacks()[0].upstream


def test_fallback_inside_a_container_keeps_the_container() -> None:
    rendered = type_expr(dict[str, Callable[[], None]] | None)
    assert rendered.source == "dict[str, Any] | None"
    assert len(rendered.fallbacks()) == 1


@pytest.mark.parametrize(
    ("value", "source"),
    [
        (None, "None"),
        (True, "True"),
        (3, "3"),
        (1e-05, "1e-05"),
        (float("inf"), 'float("inf")'),
        (float("-inf"), 'float("-inf")'),
        ('it\'s "quoted"\\', repr('it\'s "quoted"\\')),
        (Color.RED, "Color.RED"),
        ([1, "a"], "[1, 'a']"),
        ((1,), "(1,)"),
        ((), "()"),
        ({"b": 1, "a": [2.5]}, "{'b': 1, 'a': [2.5]}"),
        ({3, 1, 2}, "{1, 2, 3}"),
        (set(), "set()"),
        (pathlib.Path("/x/y"), "Path('/x/y')"),
        (Point(), "Point()"),
        (Point(y=2), "Point(y=2)"),
    ],
)
def test_value_table_renders_exactly(value: object, source: str) -> None:
    rendered = value_expr(value)
    assert rendered.source == source
    namespace = {"Color": Color, "Point": Point, "Path": pathlib.Path}
    assert eval(rendered.source, namespace) == value or value != value


def test_nan_renders_as_nan() -> None:
    assert value_expr(float("nan")).source == 'float("nan")'


@pytest.mark.parametrize("value", [object(), lambda: 1, b"bytes", local_class()()])
def test_values_without_exact_source_are_errors(value: object) -> None:
    with pytest.raises(UnrenderableValue):
        value_expr(value)


def test_args_section_is_split_out_of_the_description() -> None:
    doc = """Summary.

    Notes:
        - kept.

    Args:
        first: One line.
        second (int): Two
            lines.
            Three lines.
        *rest: Star args.

    Returns:
        Nothing that is an argument.
    """
    import inspect

    description, args = split_docstring(inspect.cleandoc(doc))
    assert args == {"first": "One line.", "second": "Two lines. Three lines.", "rest": "Star args."}
    assert description[0] == "Summary."
    assert "    - kept." in description
    assert "Returns:" in description
    assert "Nothing that is an argument." in " ".join(description)


def test_docstring_escaping() -> None:
    assert escape_docstring_line('say """hi""" \\n') == 'say \\"\\"\\"hi\\"\\"\\" \\\\n'
    assert escape_docstring_line("trailing   ") == "trailing"
