"""Golden-record tests: the generator's whole output for a fixture config, as a tree, byte for byte.

The fixture renders twice, as getiaction's own kind of package (``golden_own``) and as a user's package of
plugin wrappers (``golden_plugin``), into ``tests/golden``. One helper compares the whole tree and runs
``mypy --strict`` and pyright on it, as openapi-python-client's end-to-end tests check their golden client.
Run ``pytest tests/test_codegen_golden.py --update-golden`` after an intended change to the generator or
templates, then review the diff of tests/golden like any other code.
"""

from __future__ import annotations

import ast
import inspect
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path

from codegen_fixtures.sample_config import Inner, Mode, SampleConfig

from getiaction.codegen.installed import untyped_packages
from getiaction.codegen.introspect import build_policy_spec
from getiaction.codegen.ir import GeneratedFile, GenerationSpec, Plugin
from getiaction.codegen.layout import Layout, package_layout
from getiaction.codegen.render import render_all

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
OWN = Layout(
    package="golden_own",
    package_dir="golden_own",
    configs_dir="golden_own/configs",
    reference_dir="golden_own/docs",
    snapshot_file="golden_own/api_snapshot.json",
    deviations_file="golden_own/deviations.txt",
    command="python -m codegen",
    builtin=True,
)
PLUGIN = Plugin("lerobot_policy_sample", "0.0.1", "https://example.org/sample")
PLUGIN_LAYOUT = package_layout("golden_plugin", "golden_plugin", plugins=[PLUGIN.distribution])


def rendered_tree() -> list[GeneratedFile]:
    own = GenerationSpec("0.0.0", (build_policy_spec("sample", SampleConfig),))
    policy = build_policy_spec("sample", SampleConfig, plugin=PLUGIN)
    plugin = GenerationSpec("0.0.0", (policy,), untyped_packages({ref.module for ref in policy.imports()}))
    return render_all(own, OWN) + render_all(plugin, PLUGIN_LAYOUT)


def check_golden_tree(files: list[GeneratedFile], root: Path, *, update: bool) -> None:
    """The whole tree under ``root`` equals ``files`` (rewritten first with ``update``); then both typing
    clients accept it, strictly."""
    if update:
        for path in root.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        for file in files:
            (root / file.path).parent.mkdir(parents=True, exist_ok=True)
            (root / file.path).write_text(file.content, encoding="utf-8", newline="\n")
    on_disk = {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(on_disk) == sorted(file.path for file in files), (
        "golden files without output, or the reverse"
    )
    for file in files:
        assert on_disk[file.path].read_text(encoding="utf-8") == file.content, (
            f"{file.path} differs from the golden tree; if intended, rerun with --update-golden and review"
        )
    packages = sorted({Path(file.path).parts[0] for file in files})
    environment = {
        **os.environ,
        "MYPYPATH": f"{root}:{ROOT / 'tests'}",
        "MYPY_CACHE_DIR": str(ROOT / ".mypy_cache"),
    }
    mypy = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--strict"]
    mypy += [argument for package in packages for argument in ("-p", package)]
    result = subprocess.run(mypy, capture_output=True, text=True, cwd=root, env=environment, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    pyright = [str(Path(sys.executable).parent / "basedpyright"), "--project", str(ROOT / "pyproject.toml")]
    result = subprocess.run([*pyright, str(root)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_golden_tree_is_the_output_and_type_checks(update_golden: bool) -> None:
    check_golden_tree(rendered_tree(), GOLDEN, update=update_golden)


def _read(path: str) -> str:
    return (GOLDEN / path).read_text(encoding="utf-8")


def test_generated_module_is_valid_and_mirrors_the_fixture() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_read("golden_own/sample.py"), "sample.py", "exec"), namespace)
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
    tree = ast.parse(_read("golden_own/sample.py"))
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
    fallbacks = _read("golden_own/deviations.txt")
    assert "sample.callback: collections.abc.Callable[[int], int]" in fallbacks
    module = _read("golden_own/sample.py")
    assert "callback: Any | None = None,  # upstream type: collections.abc.Callable[[int], int]" in module
    assert "sample.flag_as_int: False -> 0" in fallbacks
    assert "flag_as_int: int = 0,  # upstream default: False" in module


def test_yaml_config_lists_every_parameter_with_its_default() -> None:
    import yaml

    text = _read("golden_own/configs/lerobot_sample.yaml")
    config = yaml.safe_load(text)
    init_args = config["model"]["init_args"]
    assert config["model"]["class_path"] == "golden_own.Sample"
    assert init_args["modes"] == {"a": "SLOW", "b": "FAST"}
    assert init_args["inner_changed"] == {"width": 8, "names": ["a"]}
    assert init_args["shape"] == [3, 96, 96]
    assert init_args["ratio"] == float("inf")
    assert init_args["path"] == "/tmp/sample"
    assert init_args["flag_as_int"] == 0
    assert "required" not in init_args and "# required: required (no upstream default)" in text
    assert '    # How many "steps" to take, read from C:\\path\\to\\file.\n    steps: 10' in text


def test_a_plugins_files_name_the_plugin_not_lerobot() -> None:
    page = _read("golden_plugin/docs/sample.md")
    assert "# `Sample`: the `sample` policy of the `lerobot_policy_sample` plugin" in page
    assert "from golden_plugin import Sample" in page
    assert "The plugin's homepage: <https://example.org/sample>." in page
    assert "Install: `pip install 'lerobot_policy_sample==0.0.1'`" in page
    assert "github.com/huggingface/lerobot" not in page and "no extra needed" not in page
    assert "LeRobot's `sample`" not in page
    assert "[`golden_plugin/configs/lerobot_sample.yaml`](../configs/lerobot_sample.yaml)" in page
    module = _read("golden_plugin/sample.py")
    assert module.startswith(
        "# Generated by getiaction codegen from lerobot==0.0.0, lerobot_policy_sample==0.0.1, "
        "codegen_fixtures.sample_config.SampleConfig.\n# DO NOT EDIT: regenerate with `getiaction generate "
        "--plugin lerobot_policy_sample --package golden_plugin --output golden_plugin`."
    )
    assert (
        '"""Typed Lightning wrapper for the ``sample`` policy of the ``lerobot_policy_sample`` plugin."""'
        in module
    )
    init = _read("golden_plugin/__init__.py")
    assert (
        'POLICY_PLUGINS: dict[str, tuple[str, str]] = {\n    "sample": ("lerobot_policy_sample", "0.0.1"),'
        in init
    )
    assert "plugins=POLICY_PLUGINS" in init and "LeRobotPolicy" not in init.split('"""')[2]
    index = _read("golden_plugin/docs/README.md")
    assert 'golden_plugin = "golden_plugin"' in index  # the entry point to declare
    assert 'module = ["codegen_fixtures.*", "lerobot.*"]' in index  # the one mypy override, if wanted
