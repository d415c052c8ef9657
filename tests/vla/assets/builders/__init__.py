"""One module per policy family: each builder writes what its policies load and returns their config kwargs.

A family is the policies that share a backbone (``paligemma``: pi0, pi05, pi0_fast; ``qwen_vl``: eo1,
groot, vla_jepa, wall_x; ``wan``: fastwam, lingbot_va); a policy whose backbone no other shares has a
module of its own name. Builders take the assets' root (and, where LeRobot hard-codes a repo id, the temp
hub cache) and write with ``save_pretrained``; nothing here patches LeRobot.
"""
