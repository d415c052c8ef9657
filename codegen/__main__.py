"""``python -m codegen``: regenerate the wrappers; ``python -m codegen --check``: verify them."""

from codegen.cli import main

raise SystemExit(main())
