"""Demo placeholder: lists the API surface the SDK is generated from.

The full demo (the vendor guide's flow against the built-in fake server) replaces this once
the client and the fake exist.
"""

from __future__ import annotations

import pkgutil

import meibel_api_v2.api


def main() -> None:
    tags = [m.name for m in pkgutil.iter_modules(meibel_api_v2.api.__path__) if m.ispkg]
    total = 0
    for tag in sorted(tags):
        package = __import__(f"meibel_api_v2.api.{tag}", fromlist=["_"])
        operations = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
        total += len(operations)
        print(f"{tag}: {', '.join(operations)}")
    print(f"{total} operations in {len(tags)} namespaces")


if __name__ == "__main__":
    main()
