"""The generator: typed wrappers, configs and reference pages read from LeRobot's policy config dataclasses.

Reading (``installed``, ``introspect``, ``typemap``, ``values``, ``docs``, ``extras``) builds the
intermediate representation (``ir``, ``exprs``); rendering (``render`` with its templates, ``exports``,
``format``) writes it where a ``layout`` says; ``sync`` compares with the files on disk; ``cli`` is
``getiaction generate`` and getiaction's own ``python -m codegen``. Needs ``getiaction[generate]``.
"""
