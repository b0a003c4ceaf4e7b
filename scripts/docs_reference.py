"""The site's API reference: one page per public module, every name of its `__all__`, documented.

Read statically with griffe, as mkdocstrings reads it (nothing is imported). `meibel`,
`meibel.testing` and `meibel.sse` list their names in a literal `__all__`; `meibel.models` takes
its `__all__` from the generated models at run time, so `ModelsExports`, a griffe extension that
mkdocs.yml gives mkdocstrings, makes each generated model a name of `meibel.models` for griffe too.

`pages()` is what scripts/docs_hooks.py adds to the site; `undocumented()` the public names without
a docstring (the build fails on any; tests/docs/test_reference.py runs it in `make test`).
"""

from __future__ import annotations

from pathlib import Path

import griffe

__all__ = ["MODULES", "ModelsExports", "exports", "load", "pages", "undocumented"]

ROOT = Path(__file__).resolve().parents[1]
# The public modules, each a page of the reference (under reference/ on the site).
MODULES = {
    "meibel": "meibel.md",
    "meibel.models": "models.md",
    "meibel.testing": "testing.md",
    "meibel.sse": "sse.md",
}
GENERATED = "meibel_api_v2"


class ModelsExports(griffe.Extension):
    """Gives `meibel.models` the generated models' `__all__`, as its `__getattr__` does."""

    def on_package(
        self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: object
    ) -> None:
        if pkg.path != "meibel":
            return
        generated = loader.load(f"{GENERATED}.models")
        assert isinstance(generated, griffe.Module)
        models = pkg["models"]
        names = [str(name) for name in generated.exports or ()]
        for name in names:
            models.set_member(name, griffe.Alias(name, f"{GENERATED}.models.{name}", parent=models))
        models.exports = names


def load() -> griffe.Module:
    """The `meibel` package as mkdocstrings sees it, its aliases resolved."""
    loader = griffe.GriffeLoader(
        search_paths=[str(ROOT), str(ROOT / "generated")],
        extensions=griffe.load_extensions(ModelsExports()),
    )
    package = loader.load("meibel")
    loader.resolve_aliases(external=False)
    assert isinstance(package, griffe.Module)
    return package


def _module(package: griffe.Module, module: str) -> griffe.Module:
    target = package if module == "meibel" else package[module.removeprefix("meibel.")]
    assert isinstance(target, griffe.Module)
    return target


def exports(package: griffe.Module, module: str) -> list[str]:
    """The names of `module`'s `__all__`, in its order."""
    return [str(name) for name in _module(package, module).exports or ()]


def undocumented(package: griffe.Module) -> list[str]:
    """Every public name of the reference's modules that has no docstring."""
    missing = []
    for module in MODULES:
        for name in exports(package, module):
            docstring = _module(package, module)[name].docstring
            if docstring is None or not docstring.value.strip():
                missing.append(f"{module}.{name}")
    return missing


# Options of each page's `::: module` block (mkdocs.yml holds the options all pages share). Members
# come from the bases too (MeibelClient's `get` is RawRequests'); a model's fields are its
# docstring's Attributes, and `fields_set`, on every model, is documented in docs/models.md.
_OPTIONS = {
    "meibel.models": ["filters: ['!^_', '!^fields_set$']"],
    # MeibelClient's namespaces and `get`, `post`... have no docstrings of their own: shown anyway.
    "meibel": ["show_if_no_docstring: true", "show_attribute_values: false"],
}


def pages(package: griffe.Module) -> dict[str, str]:
    """Each reference page's Markdown, by its path under docs/: `reference/meibel.md`, ..."""
    result = {}
    for module, page in MODULES.items():
        members = "".join(f"\n        - {name}" for name in exports(package, module))
        options = "".join(f"\n      {option}" for option in _OPTIONS.get(module, []))
        result[f"reference/{page}"] = (
            f"# `{module}`\n\n::: {module}\n    options:\n      members:{members}{options}\n"
        )
    return result
