"""One typed boundary: bacpypes3 stays inside aso_runtime.bacnet, and the layers import one way.

Checked from the source files themselves (the import statements), and for
what an import really pulls in, in a fresh interpreter.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACNET = ROOT / "aso_runtime" / "bacnet"
# Everything above the BACnet package: the ASO runtime, the CLI (and its verb layer), the console.
ABOVE = [ROOT / "aso_runtime" / "aso", ROOT / "aso_runtime" / "cli", ROOT / "aso_runtime" / "verbs",
         ROOT / "aso_runtime" / "examples", ROOT / "aso_console"]


def sources(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders if folder.exists() for path in folder.rglob("*.py"))


def imported_modules(path: Path, *, typing_only: bool = True) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in a file, at any depth; ``from . import x`` resolved.

    With ``typing_only=False`` imports under ``if TYPE_CHECKING:`` are left
    out: they never run.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and not typing_only and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x, y: each is a module or a name of the package
                    found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
                    return
            else:
                module = node.module or ""
            found.append((node.lineno, module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_nothing_above_the_bacnet_package_imports_bacpypes3():
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {module}"
                 for path in sources(*ABOVE)
                 for line, module in imported_modules(path)
                 if module == "bacpypes3" or module.startswith("bacpypes3.")]
    assert offenders == []


def test_nothing_above_the_bacnet_package_reaches_the_raw_application():
    raw = re.compile(r"\bclient\.app\b|\.app\.(request|add_object|delete_object|change_of_value|nse|nsap)\b")
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in sources(*ABOVE)
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if raw.search(line)]
    assert offenders == []


def test_the_bacnet_package_imports_one_way():
    """client <- discovery <- points, never back: no module of the package imports one that imports it."""
    graph: dict[str, set[str]] = {}
    for path in sources(BACNET):
        name = f"aso_runtime.bacnet.{path.stem}"
        graph[name] = {module for _, module in imported_modules(path, typing_only=False)
                       if module.startswith("aso_runtime.bacnet.") and module != name}
    cycles = []

    def walk(node: str, trail: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target in trail:
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif len(trail) < len(graph):
                walk(target, trail + [target])

    for start in graph:
        walk(start, [start])
    assert cycles == []
    assert not graph["aso_runtime.bacnet.client"] & {"aso_runtime.bacnet.discovery", "aso_runtime.bacnet.points",
                                                     "aso_runtime.bacnet.reads"}


def test_the_runtime_does_not_import_its_own_examples():
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for path in sources(BACNET, ROOT / "aso_runtime" / "aso", ROOT / "aso_runtime" / "cli",
                                     ROOT / "aso_runtime" / "verbs")
                 for line, module in imported_modules(path)
                 if module == "aso_runtime.examples" or module.startswith("aso_runtime.examples.")]
    assert offenders == []


@pytest.mark.parametrize(
    "modules",
    ["aso_runtime", "aso_runtime.bacnet", "aso_runtime.aso", "aso_runtime.cli", "aso_runtime.sim"],
)
def test_importing_the_runtime_pulls_in_no_ui_and_no_examples(modules):
    code = (
        f"import sys, {modules}\n"
        "bad = [m for m in ('textual', 'rich', 'aso_runtime.examples') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
