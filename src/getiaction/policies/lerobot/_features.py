"""Features: what the user declares against what the dataset holds.

LeRobot trusts both to agree and, when they do not, crashes deep inside torch or trains silently
wrong (a state declared (3,) against data of (2,)). The checks here meet those facts where they first
meet and name the feature, what was expected and what was given. Statistics live in ``_stats``,
batches in ``_batches``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lerobot.configs.types import FeatureType, PolicyFeature

from getiaction._lerobot.compat import dataset_to_policy_features
from getiaction.errors import FeatureError

if TYPE_CHECKING:
    from lerobot.configs.policies import PreTrainedConfig

# --- what the user declares ------------------------------------------------------------------------


def declared_features(config: PreTrainedConfig) -> dict[str, PolicyFeature]:
    """The config's input and output features in one mapping, as LeRobot's normaliser takes them."""
    return {**(config.input_features or {}), **(config.output_features or {})}


def converted_feature_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The feature fields as LeRobot's config takes them: specs converted, a shared mapping split.

    LeRobot's examples build ``features = dataset_to_policy_features(meta.features)`` and pass it as
    both inputs and outputs; ``make_policy`` then keeps ACTION features as outputs and the rest as
    inputs. Raw ``meta.features`` (with ``dtype``) are converted the same way first.
    """
    fields = dict(fields)
    for key in ("input_features", "output_features"):
        features = fields.get(key)
        if isinstance(features, Mapping) and any(
            isinstance(spec, Mapping) and "dtype" in spec for spec in features.values()
        ):
            fields[key] = dataset_to_policy_features(dict(features))
    inputs, outputs = fields.get("input_features"), fields.get("output_features")
    if inputs and outputs and (inputs is outputs or inputs == outputs):
        fields["output_features"] = {k: f for k, f in outputs.items() if _type_of(f) == FeatureType.ACTION}
        fields["input_features"] = {k: f for k, f in inputs.items() if k not in fields["output_features"]}
    return fields


def dataset_feature_specs(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """A dataset's feature specs (``meta.features``: with ``dtype`` and ``names``) given for both
    directions, or None when the features were given any other way."""
    inputs, outputs = fields.get("input_features"), fields.get("output_features")
    if not (isinstance(inputs, Mapping) and inputs and (inputs is outputs or inputs == outputs)):
        return None
    if not all(isinstance(spec, Mapping) and "dtype" in spec for spec in inputs.values()):
        return None
    return dict(inputs)


def _type_of(feature: Any) -> Any:
    if isinstance(feature, PolicyFeature):
        return feature.type
    if isinstance(feature, Mapping):
        try:
            return FeatureType(feature.get("type"))
        except ValueError:
            return None
    return None


def check_declared_features(config: PreTrainedConfig, *, subject: str) -> None:
    """The features a policy can be built from: inputs, exactly the ACTION outputs, positive sizes."""
    inputs, outputs = config.input_features or {}, config.output_features or {}
    if inputs and not outputs:
        raise FeatureError(
            f"{subject}: output_features must hold the ACTION feature the policy predicts, but none of the "
            f"features given is an ACTION: {_describe(inputs)}"
        )
    if not inputs or not outputs:
        raise FeatureError(
            f"{subject}: cannot build the policy without both input and output features (got inputs "
            f"{sorted(inputs)}, outputs {sorted(outputs)}); pass both, or build from a dataset "
            "(from_dataset, or fit with a LeRobotDataModule)"
        )
    if not any(feature.type is FeatureType.ACTION for feature in outputs.values()):
        raise FeatureError(
            f"{subject}: output_features must hold the ACTION feature the policy predicts, got "
            f"{_describe(outputs)}"
        )
    for key, feature in outputs.items():
        if feature.type is not FeatureType.ACTION:
            raise FeatureError(
                f"{subject}: output feature {key!r} has type {feature.type.name}; LeRobot policies predict "
                f"ACTION features only (declare {key!r} as an input, or drop it)"
            )
    for key, feature in inputs.items():
        if feature.type is FeatureType.ACTION:
            raise FeatureError(f"{subject}: input feature {key!r} has type ACTION; actions are outputs")
    for key, feature in {**inputs, **outputs}.items():
        if not feature.shape or not all(isinstance(size, int) and size >= 1 for size in feature.shape):
            raise FeatureError(
                f"{subject}: feature {key!r} needs a shape of positive sizes, got {tuple(feature.shape)}"
            )
        shape = tuple(feature.shape)
        if feature.type is FeatureType.VISUAL and len(shape) != 3:
            raise FeatureError(
                f"{subject}: camera {key!r} needs a (channels, height, width) shape, got {shape}"
            )
        if feature.type is FeatureType.VISUAL and shape[0] > 4 and shape[-1] <= 4:
            raise FeatureError(
                f"{subject}: camera {key!r} is declared {shape}, channels last; LeRobot's cameras are "
                f"channels-first: ({shape[-1]}, {shape[0]}, {shape[1]})"
            )
        if feature.type in (FeatureType.STATE, FeatureType.ENV) and len(shape) == 3:
            raise FeatureError(
                f"{subject}: feature {key!r} has the image shape {shape} but type {feature.type.name}; "
                "declare cameras with type VISUAL"
            )


def check_against_dataset(
    config: PreTrainedConfig, dataset_features: Mapping[str, Mapping[str, Any]], *, subject: str
) -> None:
    """Every declared feature exists in the dataset with the shape its frames have; one error names each
    feature that does not, with both shapes, and suggests a ``rename_map`` for a missing key where the
    dataset has an undeclared feature of the same type and shape.

    Cameras follow LeRobot's own rule (``validate_visual_features_consistency``): the declared cameras
    and the dataset's may differ as long as one set contains the other.
    """
    available = dataset_to_policy_features({key: dict(spec) for key, spec in dataset_features.items()})
    declared = declared_features(config)
    declared_cameras = {key for key, ft in declared.items() if ft.type is FeatureType.VISUAL}
    dataset_cameras = {key for key, ft in available.items() if ft.type is FeatureType.VISUAL}
    cameras_may_differ = declared_cameras <= dataset_cameras or dataset_cameras <= declared_cameras
    problems: list[str] = []
    for key, feature in declared.items():
        if key not in available and (feature.type is FeatureType.VISUAL and cameras_may_differ):
            continue
        if key not in available:
            problems.append(
                f"feature {key!r} is declared but the dataset has no such feature"
                + _rename_hint(key, feature, available, declared)
            )
            continue
        expected = tuple(available[key].shape)
        if tuple(feature.shape) != expected:
            problems.append(
                f"feature {key!r} is declared with shape {tuple(feature.shape)}, but the dataset's frames have "
                f"shape {expected}"
                + (" (cameras are channels-first)" if feature.type is FeatureType.VISUAL else "")
            )
    if problems:
        raise FeatureError(f"{subject}: " + "; ".join(problems) + f". The dataset has {sorted(available)}")


def _rename_hint(
    key: str, feature: PolicyFeature, available: Mapping[str, PolicyFeature], declared: Mapping[str, Any]
) -> str:
    """``rename_map`` for a missing key, where the dataset has one undeclared feature that would fit it."""
    fits = [
        name
        for name, candidate in available.items()
        if name not in declared and candidate.type is feature.type and candidate.shape == feature.shape
    ]
    if not fits:
        return ""
    return f" (if the dataset's {fits[0]!r} is it, pass rename_map={{{fits[0]!r}: {key!r}}})"


def renamed_specs(dataset_features: Mapping[str, Any], rename_map: Mapping[str, str]) -> dict[str, Any]:
    """A dataset's feature specs under the policy's names (``rename_map``: dataset key -> policy key)."""
    return {rename_map.get(key, key): spec for key, spec in dataset_features.items()}


def _describe(features: Mapping[str, PolicyFeature]) -> str:
    return ", ".join(f"{key} ({feature.type.name})" for key, feature in features.items()) or "nothing"
