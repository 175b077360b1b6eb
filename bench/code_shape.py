"""The shape of the code: how many modules, how long modules and functions are (median and largest).

    python bench/code_shape.py [PACKAGE …]      # default: bot handlers models nlp config

Lines are counted as they stand in the file (blank lines and comments included), the way a reader meets
them; a function's size runs from its `def` (decorators included) to its last line. Migrations are left
out: they are written by a tool, not read.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "models", "nlp", "config")


def modules(packages: list[str]) -> list[Path]:
    found = []
    for package in packages:
        found += [p for p in sorted((ROOT / package).rglob("*.py")) if "migrations" not in p.parts]
    return found


def functions(tree: ast.AST) -> list[tuple[str, int]]:
    sizes = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            sizes.append((node.name, (node.end_lineno or node.lineno) - first + 1))
    return sizes


def main(argv: list[str]) -> int:
    paths = modules(argv or list(PACKAGES))
    if not paths:
        print("no modules found", file=sys.stderr)
        return 1
    module_lines = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in paths}
    function_lines = [
        (p, name, size) for p in paths for name, size in functions(ast.parse(p.read_text(encoding="utf-8")))
    ]
    biggest_module = max(module_lines, key=lambda p: module_lines[p])
    biggest_function = max(function_lines, key=lambda row: row[2])
    print(f"modules: {len(paths)}")
    print(
        f"module lines: median {statistics.median(module_lines.values()):.0f}, "
        f"largest {module_lines[biggest_module]} ({biggest_module.relative_to(ROOT)})"
    )
    print(f"functions: {len(function_lines)}")
    print(
        f"function lines: median {statistics.median(size for _, _, size in function_lines):.0f}, "
        f"largest {biggest_function[2]} ({biggest_function[0].relative_to(ROOT)}: {biggest_function[1]})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
