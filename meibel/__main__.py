"""`python -m meibel`: see meibel/_cli.py."""

from ._cli import main

raise SystemExit(main())
