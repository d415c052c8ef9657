"""``python -m codegen`` in a checkout: regenerate getiaction's own wrappers; ``--check``: verify them.

A thin alias: the generator is ``getiaction.codegen``, shipped in the wheel (``getiaction generate``).
"""

from pathlib import Path

from getiaction.codegen.cli import own_main

raise SystemExit(own_main(root=Path(__file__).resolve().parent.parent))
