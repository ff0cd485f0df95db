"""PyInstaller's entry script: the bundled `hearth` is `python -m app`."""

from app.__main__ import main

raise SystemExit(main())
