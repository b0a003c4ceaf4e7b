"""The one source of the package version, and the spec version generated/ was generated from.

pyproject.toml reads `__version__` from here (hatchling's dynamic version). `__api_version__` is the
`info.version` of openapi/api-v2.json; tests/docs/test_install.py fails when the two disagree.
"""

__version__ = "0.1.0"
__api_version__ = "0.6.4"
