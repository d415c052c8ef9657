"""LeRobot helpers that ``getiaction.data`` and ``getiaction.policies`` share.

Both packages import from here, never from each other's private modules: the names LeRobot moved
between releases (``compat``), the one way to read the installed LeRobot's version (``version``), the
extras LeRobot's and getiaction's metadata declare (``extras``), and a dataset's metadata and training
statistics as ``lerobot-train`` uses them (``datasets``).
"""
