"""PushT's scripted demonstrator: push the T's centre toward the goal's, from the keypoint observation alone.

The T's centre is the mean of its 8 keypoints (``observation.environment_state``): the keypoints are the corners
of its two bars, whose mean in the T's own frame is its centre of mass. The goal pose is fixed in gym-pusht.
So the controller is a function of what a policy observes, and the recorder and the evaluation's demonstrator
baseline run the very same function.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["GOAL_CENTRE", "MAX_STEP", "STANDOFF", "block_centre", "scripted_action"]

Vector = npt.NDArray[np.float64]

MAX_STEP = 50.0  # pixels the scripted controller moves its target per step
STANDOFF = 60.0  # pixels behind the T's centre where the controller lines up to push
ARENA = 512.0  # PushT's actions are target positions in [0, 512] x [0, 512]
_T_CENTRE = np.array([0.0, 45.0])  # the T's centre of mass, in its own frame
_GOAL_POSE = np.array([256.0, 256.0, np.pi / 4])  # gym-pusht's fixed goal (x, y, angle)


def _to_world(pose: Vector, local: Vector) -> Vector:
    cos, sin = np.cos(pose[2]), np.sin(pose[2])
    world: Vector = pose[:2] + local @ np.array([[cos, sin], [-sin, cos]])
    return world


GOAL_CENTRE: Vector = _to_world(_GOAL_POSE, _T_CENTRE[None])[0]


def block_centre(keypoints: npt.ArrayLike) -> Vector:
    """The T's centre from its 8 keypoints (PushT's 16-number ``environment_state``)."""
    centre: Vector = np.asarray(keypoints, dtype=np.float64).reshape(8, 2).mean(axis=0)
    return centre


def scripted_action(agent: Vector, centre: Vector, target: Vector = GOAL_CENTRE) -> Vector:
    """Push the T's ``centre`` toward the goal's centre ``target``: PushT's scripted demonstrator.

    Behind the T (on the far side from the goal) and lined up with it, the controller pushes toward
    the goal, correcting sideways drift; elsewhere it heads for a staging point ``STANDOFF`` pixels
    behind the centre, going around the T when the straight way runs through it. The two blend
    smoothly near the line, and each target is at most ``MAX_STEP`` pixels from the agent.

    It is built to be imitated: the action is a function of the current observation alone (no hidden
    phase), continuous almost everywhere, with one decision (which way around the T) where it is not.
    A controller that also turns the T (pushing whichever of three points is farthest from its place)
    scores a little higher but switches target abruptly, and a policy trained on it for a few CPU
    minutes does no better than a random one.

    Args:
        agent: The agent's position (x, y).
        centre: The T's centre (x, y), ``block_centre`` of its keypoints.
        target: The goal's centre (x, y).

    Returns:
        The agent's next target position, PushT's action (in the arena).
    """
    error = target - centre
    direction = error / max(float(np.linalg.norm(error)), 1e-6)
    offset = agent - centre
    along = float(offset @ direction)
    sideways = offset - along * direction
    push = agent + direction * MAX_STEP - 0.7 * sideways
    staging = _around(agent, centre - direction * STANDOFF, centre)
    lined_up = (1.0 - _smoothstep((float(np.linalg.norm(sideways)) - 12.0) / 18.0)) * _smoothstep(
        (-along - 10.0) / 15.0
    )
    goal_point = lined_up * push + (1.0 - lined_up) * staging
    step = goal_point - agent
    distance = float(np.linalg.norm(step))
    action: Vector = np.clip(agent + step * min(1.0, MAX_STEP / max(distance, 1e-6)), 0.0, ARENA)
    return action


def _around(agent: Vector, point: Vector, centre: Vector, radius: float = 75.0) -> Vector:
    """``point``, or a detour beside the T when the straight way from ``agent`` crosses it."""
    path = point - agent
    nearest = agent + np.clip((centre - agent) @ path / (path @ path + 1e-9), 0.0, 1.0) * path
    away = nearest - centre
    norm = float(np.linalg.norm(away))
    if norm >= radius:
        return point
    if norm < 1e-3:  # heading straight through the centre: step to one side
        away = np.array([-path[1], path[0]])
        norm = float(np.linalg.norm(away)) + 1e-9
    detour: Vector = centre + away / norm * (radius + 35.0)
    return detour


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)
