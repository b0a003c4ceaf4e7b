"""`python -m meibel`: the `meibel` command (see meibel/_cli/ and docs/cli.md)."""

from ._cli import main

raise SystemExit(main())
