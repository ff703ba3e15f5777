"""The shape of the code, as a specification: who may import whom.

    models  <-  names  <-  ingest  <-  curation  <-  admin
                       <-  search  <-  pages (views, selectors, feeds, filters, tags)

Ingestion writes, pages read, and the two never meet: ingest, search and the pages each
depend on models and the shared names package, never on each other (pages call search,
curation calls ingest's linker). Project wiring (settings, urls, management commands)
may import anything. Imports are read from the source (including imports inside
functions), so a lazy import cannot hide a dependency.
"""

import ast
from pathlib import Path

import pytest

from .spec import ROOT

PACKAGE = ROOT / "archive"

# Which part of the archive a module belongs to, by its dotted name's prefix.
PARTS = {
    "archive.models": "models",
    # The archive's last change: a read and a write over models, used by pages and commands.
    "archive.state": "models",
    "archive.names": "names",
    "archive.ingest": "ingest",
    "archive.search": "search",
    "archive.curation": "curation",
    "archive.admin": "admin",
    "archive.selectors": "pages",
    "archive.views": "pages",
    "archive.feeds": "pages",
    "archive.filters": "pages",
    "archive.templatetags": "pages",
    "archive.visuals": "pages",  # the map, the timeline and the entity pictures
    "archive.bench": "bench",
    "archive.migrations": "migrations",
}

# What each part may import (besides itself). Anything not listed here is wiring.
ALLOWED = {
    "models": set(),
    "names": {"models"},
    "ingest": {"models", "names"},
    "search": {"models", "names"},
    "curation": {"models", "names", "ingest"},
    "pages": {"models", "names", "search"},
    "admin": {"models", "names", "curation"},
    "bench": {"models", "names", "search", "pages"},
    "migrations": set(),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The archive modules `name` imports (resolving relative imports and submodules)."""
    path = MODULES[name]
    package = name if is_package(path) else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import submodule` depends on the submodule itself.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("archive") and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def part(name: str) -> str | None:
    for prefix, value in PARTS.items():
        if name == prefix or name.startswith(prefix + "."):
            return value
    return None


def test_the_import_graph_has_no_cycle():
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name):
        state[name] = 1
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


LAYERED = sorted(name for name in MODULES if part(name) in ALLOWED)


@pytest.mark.parametrize("name", LAYERED)
def test_each_part_imports_only_what_it_builds_on(name):
    mine = part(name)
    wrong = {
        target
        for target in GRAPH[name]
        if part(target) not in (mine, None) and part(target) not in ALLOWED[mine]
    }
    wiring = {target for target in GRAPH[name] if part(target) is None and target != "archive"}
    assert not wrong, f"{name} ({mine}) must not import {sorted(wrong)}"
    assert not wiring, f"{name} ({mine}) must not import project wiring {sorted(wiring)}"


@pytest.mark.parametrize(
    "part_name, must_not",
    [
        ("ingest", {"search", "pages", "curation", "admin"}),
        ("search", {"ingest", "pages", "curation", "admin"}),
        ("pages", {"ingest", "curation", "admin"}),
        ("names", {"ingest", "search", "pages", "curation", "admin"}),
    ],
)
def test_ingest_search_and_pages_never_import_each_other(part_name, must_not):
    modules = [name for name in MODULES if part(name) == part_name]
    assert modules, part_name
    crossing = {
        (name, target) for name in modules for target in GRAPH[name] if part(target) in must_not
    }
    assert not crossing, sorted(crossing)
