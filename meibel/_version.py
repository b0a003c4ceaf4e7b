"""The one source of the package version.

pyproject.toml reads `__version__` from here (hatchling's dynamic version). The version of the spec
the client was generated from, `meibel.__api_version__`, is the generated package's (the spec's
`info.version`, written by `make regen`), so a spec bump changes it with no edit here.
"""

__version__ = "0.1.0"
"""The version of this package (meibel-sdk)."""
