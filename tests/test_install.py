"""What a user sees when the install does not fit: another LeRobot release, a missing policy extra."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

OFFLINE_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=OFFLINE_ENV,
        check=False,
    )


def test_another_lerobot_release_is_an_error_naming_both_versions_and_both_fixes() -> None:
    result = run(
        """
        import importlib.metadata
        real = importlib.metadata.version
        importlib.metadata.version = lambda name: "0.5.1" if name == "lerobot" else real(name)
        import getiaction.policies.lerobot as p
        from getiaction.errors import LeRobotVersionError
        assert p.is_available()
        try:
            p.ACT
        except LeRobotVersionError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    message = result.stdout
    assert "generated from lerobot==0.6.1" in message and "lerobot 0.5.1 is installed" in message
    assert "pip install 'lerobot==0.6.1'" in message and "python -m codegen" in message


def test_a_policy_without_its_extra_names_the_getiaction_extra_when_used() -> None:
    # As if the smolvla extra, which brings transformers and peft, were not installed.
    result = run(
        """
        import importlib.metadata, sys
        hidden = ("transformers", "peft")
        for name in hidden:
            sys.modules[name] = None
        real = importlib.metadata.distribution
        def distribution(name):
            if name in hidden:
                raise importlib.metadata.PackageNotFoundError(name)
            return real(name)
        importlib.metadata.distribution = distribution

        from getiaction.errors import MissingExtraError
        from getiaction.policies.lerobot import SmolVLA  # importing the class works
        features = {"observation.state": {"type": "STATE", "shape": [2]}, "action": {"type": "ACTION", "shape": [2]}}
        try:
            SmolVLA(input_features=features, output_features=features)
        except MissingExtraError as error:
            assert isinstance(error, ImportError)
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SmolVLA needs optional dependencies: 'transformers' is not installed" in result.stdout
    assert "pip install 'getiaction[smolvla]' (it pins lerobot==0.6.1)" in result.stdout
