"""Golden-record tests: the generator's whole output for a fixture config, byte for byte.

Run ``pytest tests/test_codegen_golden.py --update-golden`` after an intended change to the
generator or templates, then review the diff of tests/golden like any other code.
"""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest
from codegen_fixtures.sample_config import Inner, Mode, SampleConfig

from codegen.introspect import build_policy_spec
from codegen.ir import GeneratedFile, GenerationSpec
from codegen.render import render_all

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def rendered() -> list[GeneratedFile]:
    spec = GenerationSpec(lerobot_version="0.0.0", policies=(build_policy_spec("sample", SampleConfig),))
    return render_all(spec)


def test_output_matches_golden_files(rendered: list[GeneratedFile], update_golden: bool) -> None:
    for file in rendered:
        golden = GOLDEN / Path(file.path).name
        if update_golden:
            golden.write_text(file.content, encoding="utf-8", newline="\n")
        assert golden.exists(), f"no golden file for {file.path}: run pytest --update-golden"
        assert file.content == golden.read_text(encoding="utf-8"), (
            f"{file.path} differs from {golden}; if intended, rerun with --update-golden and review"
        )
    names = {Path(file.path).name for file in rendered}
    assert names == {path.name for path in GOLDEN.iterdir()}, "golden files without output (or vice versa)"


def test_generated_module_is_valid_and_mirrors_the_fixture() -> None:
    namespace: dict[str, object] = {}
    source = (GOLDEN / "sample.py").read_text(encoding="utf-8")
    exec(compile(source, "sample.py", "exec"), namespace)
    wrapper = namespace["Sample"]
    assert isinstance(wrapper, type)
    parameters = inspect.signature(wrapper.__init__).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in parameters.items() if name != "self")

    assert parameters["required"].default is inspect.Parameter.empty
    assert parameters["steps"].default == 10
    assert parameters["device"].default == "cpu"  # the subclass's default, not the base's
    assert parameters["modes"].default == {"a": Mode.SLOW, "b": Mode.FAST}
    assert parameters["inner"].default == Inner()
    assert parameters["inner_changed"].default == Inner(width=8)
    assert parameters["single"].default == (1,)
    assert parameters["path"].default == Path("/tmp/sample")
    assert parameters["ratio"].default == float("inf")
    assert parameters["labels"].default == {"a", "b"}
    assert list(parameters)[-3:] == ["stats", "rename_map", "peft"]  # the wrapper-only ones, last
    assert parameters["flag_as_int"].default == 0 and type(parameters["flag_as_int"].default) is int

    hints = typing.get_type_hints(wrapper.__init__)
    assert hints["optional_old"] == int | None
    assert hints["union_old"] == int | str
    assert hints["modes"] == dict[str, Mode]
    assert hints["shape"] == tuple[int, ...]
    assert hints["single"] == tuple[int]
    assert hints["bare_tuple"] == tuple[typing.Any, ...]
    assert hints["bare_dict"] == dict[typing.Any, typing.Any] | None
    assert hints["choice"] == typing.Literal["a", "b"]
    assert hints["callback"] == typing.Any | None
    assert hints["late"] is bool


def test_docstring_keeps_upstream_text_exactly() -> None:
    tree = ast.parse((GOLDEN / "sample.py").read_text(encoding="utf-8"))
    wrapper = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    doc = ast.get_docstring(wrapper) or ""
    assert 'whose docs say """three quotes"""' in doc
    assert 'How many "steps" to take, read from C:\\path\\to\\file.' in doc
    assert 'A "quoted" word, a backslash \\ and a tab escape \\t stay as written.' in doc
    assert "pair: The two coefficients, continued on an indented line." in doc
    assert "shape: An entry with a parenthesised type." in doc
    assert "- a bullet that stays as written." in doc
    # The subclass re-declares `device` without docs: the base class's comment documents it.
    assert "device: Device from the base class;" in doc
    assert (
        "late: Declared after a method: still a field, and the comment beside it joins the one above." in doc
    )
    assert "undocumented: Not documented upstream (``SampleConfig.undocumented``)." in doc
    assert "bare_tuple: Not documented upstream" in doc  # `# type: ignore` is not documentation
    assert "stats: Dataset statistics" in doc


def test_fallbacks_are_listed_and_commented() -> None:
    fallbacks = (GOLDEN / "deviations.txt").read_text(encoding="utf-8")
    assert "sample.callback: collections.abc.Callable[[int], int]" in fallbacks
    module = (GOLDEN / "sample.py").read_text(encoding="utf-8")
    assert "callback: Any | None = None,  # upstream type: collections.abc.Callable[[int], int]" in module
    assert "sample.flag_as_int: False -> 0" in fallbacks
    assert "flag_as_int: int = 0,  # upstream default: False" in module


def test_yaml_config_lists_every_parameter_with_its_default() -> None:
    import yaml

    text = (GOLDEN / "lerobot_sample.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    init_args = config["model"]["init_args"]
    assert config["model"]["class_path"] == "getiaction.policies.lerobot.Sample"
    assert init_args["modes"] == {"a": "SLOW", "b": "FAST"}
    assert init_args["inner_changed"] == {"width": 8, "names": ["a"]}
    assert init_args["shape"] == [3, 96, 96]
    assert init_args["ratio"] == float("inf")
    assert init_args["path"] == "/tmp/sample"
    assert init_args["flag_as_int"] == 0
    assert "required" not in init_args and "# required: required (no upstream default)" in text
    assert '    # How many "steps" to take, read from C:\\path\\to\\file.\n    steps: 10' in text
