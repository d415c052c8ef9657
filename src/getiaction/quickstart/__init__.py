"""Offline quickstart on a real simulator: record PushT demonstrations, train, evaluate, compare.

    python -m getiaction.quickstart record --root .cache/quickstart/pusht_keypoints
    getiaction fit --config configs/quickstart_pusht_act.yaml
    getiaction eval --policy outputs/quickstart/checkpoints/last.ckpt --env.type=pusht \\
        --env.obs_type=environment_state_agent_pos --eval.n_episodes=50 --eval.batch_size=50 \\
        --eval.use_async_envs=false --seed=100000 --max_episodes_rendered=2 --output_dir=outputs/quickstart/eval
    python -m getiaction.quickstart report --eval-dir outputs/quickstart/eval --seed 100000 \\
        --logs outputs/quickstart/logs/fit

Demonstrations come from a scripted controller in the ``gym-pusht`` simulator (PyPI), written in LeRobot's
dataset format with the observations of LeRobot's ``pusht_keypoints`` dataset. Nothing is downloaded: not the
data, not pretrained weights. ``report`` rolls a random policy and the demonstrator out from the trained
policy's start states, through the same evaluator, and plots the training curves.

One concern per module: ``demonstrator`` (the scripted controller), ``recording`` (the dataset),
``baselines`` (random and scripted policies for LeRobot's evaluator), ``report`` (the comparison and the plot);
``__main__`` is the command line.
"""

from getiaction.quickstart.demonstrator import MAX_STEP, block_centre, scripted_action
from getiaction.quickstart.recording import EPISODES, FEATURES, REPO_ID, record

__all__ = ["EPISODES", "FEATURES", "MAX_STEP", "REPO_ID", "block_centre", "record", "scripted_action"]
