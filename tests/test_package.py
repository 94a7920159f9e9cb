"""The package as a whole: its public names, what importing it costs, and no import cycle."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import secam

from .conftest import REPO

PACKAGE = REPO / "src" / "secam"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The secam modules ``path`` imports, at any depth, outside ``if TYPE_CHECKING:``; a
    ``from package import submodule`` counts as the submodule only."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module is None:
                return
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {node.module})

    Visitor().visit(ast.parse(path.read_text()))
    return found & modules


def test_no_module_of_the_library_imports_itself_back():
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}
    assert graph["secam.explainers"] >= {"secam.map_explanation", "secam.models.registry"}

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [cycle for name in sorted(graph) if (cycle := cycle_from(name))]
    assert not cycles, " -> ".join(cycles[0])


def test_importing_the_package_and_the_workflow_side_needs_neither_torch_nor_snakemake():
    """The report jobs and the Snakefile's parse import the library without torch; the library
    never imports Snakemake (the glue lives in workflow/scripts)."""
    code = (
        "import sys, secam, secam.layout, secam.config, secam.pipeline.preflight, "
        "secam.pipeline.report\n"
        "print(sorted(m for m in ('torch', 'snakemake') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "[]"
    sources = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    assert "import snakemake" not in sources and "from snakemake" not in sources


def test_the_public_api_is_one_list_of_names_each_from_its_module():
    """``_PUBLIC`` (name -> module, read on first use), ``__all__`` and the imports for type
    checkers name the same names, and each name is the object its module defines."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    (checking,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    ]
    imported = {
        alias.name: node.module
        for node in checking.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == secam._PUBLIC
    assert set(secam.__all__) == {*secam._PUBLIC, "__version__"}
    for name, module in secam._PUBLIC.items():
        assert getattr(secam, name) is getattr(importlib.import_module(module), name), name
