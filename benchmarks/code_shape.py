"""The shape of ``aizoomdoc_core``: lines per module and the longest functions.

    .venv/bin/python -m benchmarks.code_shape [--top 10]

Reads the source with ``ast`` (nothing is imported), so it measures any checkout the same way.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "aizoomdoc_core"


def shape(package: Path, top: int) -> dict[str, object]:
    modules, functions = {}, []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package.parent).with_suffix("").as_posix().replace("/", ".")
        source = path.read_text(encoding="utf-8")
        modules[name] = len(source.splitlines())
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                functions.append((node.end_lineno - node.lineno + 1, f"{name}.{node.name}"))
    functions.sort(reverse=True)
    return {
        "modules": len(modules),
        "lines": sum(modules.values()),
        "largest_modules": dict(sorted(modules.items(), key=lambda kv: -kv[1])[:top]),
        "longest_functions": {f: n for n, f in functions[:top]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--package", type=Path, default=PACKAGE)
    args = parser.parse_args()
    print(json.dumps(shape(args.package, args.top), indent=2))


if __name__ == "__main__":
    main()
