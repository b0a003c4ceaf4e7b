"""Capture the vendor SDK's methods as data: openapi/vendor-sdk-2.0.7.json.

Run it with the python of a venv that has the vendor SDK (`meibel` 2.0.7 on PyPI, the same import
name as ours) installed, from a directory outside this repository so `import meibel` finds the
vendor's package; benchmarks/_vendor.py makes such a venv:

    cd /tmp && /tmp/meibel-bench/vendor-2.0.7/bin/python /work/main/scripts/capture_vendor_sdk.py \
        > /work/main/openapi/vendor-sdk-2.0.7.json

For every public method reachable from `MeibelClient` (`client.datasources.data_elements.get`):
its signature, the HTTP method and path template its body sends, and how it sends it (`request`,
`paginate`, `stream`, `upload`, `upload_stream`); and its exception classes (`meibel.exceptions`).
scripts/migration_guide.py reads the result.
Only the standard library is used here: this runs in the vendor's environment, not ours.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import json
import re
import sys
import textwrap
from typing import Any

# The HttpClient methods a vendor method sends its request with, and PaginatedIterator.
_SENDERS = {"request", "stream", "upload", "upload_stream"}


def _annotation(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, type):
        text = value.__qualname__
    else:
        text = inspect.formatannotation(value)
    text = re.sub(r"ForwardRef\(([^)]*)\)", r"\1", text).replace("NoneType", "None")
    text = re.sub(r"\b(?:[a-z_]\w*\.)+(?=[A-Z])", "", text)  # module paths: meibel._pagination.
    return re.sub(r"""['"]""", "", text)


def _route(function: Any) -> tuple[str, str, str]:
    """(HTTP method, path template, how it is sent) read from the method's own source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    path = verb = how = ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and not path:
            target, value = node.targets[0], node.value
            if (
                isinstance(target, ast.Name)
                and target.id == "path"
                and isinstance(value, ast.Constant)
            ):
                path = str(value.value)
        if isinstance(node, ast.Call) and not verb:
            func = node.func
            if isinstance(func, ast.Name) and func.id.endswith("PaginatedIterator"):
                args, sender = node.args[1:], "paginate"
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in _SENDERS
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "_http"
            ):
                args, sender = node.args, func.attr
            else:
                continue
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                verb, how = args[0].value, sender
    return verb, path, how


def _wire_names(function: Any) -> dict[str, str]:
    """The vendor's argument -> the field it sends it as, where its body names it otherwise
    (`body["schema_def"] = _sv(_schema)`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    parameters = set(inspect.signature(function).parameters) - {"self"}
    names = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Subscript):
            continue
        target = node.targets[0]
        key = target.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        used = {n.id.lstrip("_") for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        for parameter in sorted(used & parameters):
            if parameter != key.value:
                names[parameter] = key.value
    return names


def _resources(obj: Any, prefix: str) -> list[tuple[str, Any]]:
    """Every resource below `obj` (the objects holding the `_http` client), depth first."""
    found = []
    for name, value in sorted(vars(obj).items()):
        if not name.startswith("_") and hasattr(value, "_http"):
            found.append((f"{prefix}{name}", value))
            found += _resources(value, f"{prefix}{name}.")
    return found


def capture() -> dict[str, Any]:
    from meibel import MeibelClient  # the vendor's: run outside this repository
    from meibel import exceptions as vendor_exceptions

    client = MeibelClient(api_key="capture")
    methods = []
    for path, resource in _resources(client, ""):
        for name, function in sorted(vars(type(resource)).items()):
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            signature = inspect.signature(function)
            parameters = [
                {
                    "name": p.name,
                    "annotation": _annotation(p.annotation),
                    **({} if p.default is p.empty else {"default": repr(p.default)}),
                }
                for p in signature.parameters.values()
                if p.name != "self"
            ]
            verb, route, how = _route(function)
            methods.append(
                {
                    "call": f"{path}.{name}",
                    "parameters": parameters,
                    "returns": _annotation(signature.return_annotation),
                    "summary": (inspect.getdoc(function) or "").split("\n", 1)[0],
                    "http_method": verb,
                    "path": route,
                    "sends": how,
                    "wire_names": _wire_names(function),
                }
            )
    client.close()
    exceptions = {
        name: {
            "base": cls.__mro__[1].__name__,
            "doc": (inspect.getdoc(cls) or "").split("\n", 1)[0],
        }
        for name, cls in sorted(vars(vendor_exceptions).items())
        if isinstance(cls, type)
        and issubclass(cls, Exception)
        and cls.__module__ == vendor_exceptions.__name__
    }
    return {
        "$comment": "The vendor SDK's methods, captured by scripts/capture_vendor_sdk.py.",
        "package": "meibel",
        "version": importlib.metadata.version("meibel"),
        "methods": methods,
        "exceptions": exceptions,
    }


if __name__ == "__main__":
    json.dump(capture(), sys.stdout, indent=1)
    sys.stdout.write("\n")
