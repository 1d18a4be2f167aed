"""Imports flow one way (docs/architecture.md): no package imports a layer above it.

The issue 12 list, read as the one-way flow docs/architecture.md draws:
- "any import from routing/ or transit/ into web/" means routing/ and transit/
  never reach up into web/ (web translates HTTP into routing calls, so web/
  importing routing/ is the intended direction, not a violation);
- web/ never imports graph_build/;
- transit/ imports nothing from routing/ or web/;
- graph_build/ never imports routing/;
- routing/ imports nothing from graph_build/ or web/.

Beyond the list, the layers issue 12 made: jol/ (settings, artifact contract,
cities) is the bottom and imports no other project package; places/ and
basemap/ are not routing and import neither routing/ nor web/; services/
composes routing/, places/ and basemap/ below web/; cli/ is the top and
nothing else imports it. Every import counts, including those inside
functions and under TYPE_CHECKING: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jol import settings

PACKAGES = ("jol", "graph_build", "routing", "transit", "web", "places", "basemap")
PACKAGES += ("services", "cli")
# package -> project packages it must never import.
FORBIDDEN = {
    "jol": {"graph_build", "routing", "transit", "web", "places", "basemap", "services", "cli"},
    "graph_build": {"routing", "web", "services", "cli"},
    # routing may read transit's artifact one day (multimodal answers): not forbidden.
    "routing": {"graph_build", "web", "places", "basemap", "services", "cli"},
    "transit": {"routing", "web", "services", "cli"},
    "places": {"routing", "web", "graph_build", "services", "cli"},
    "basemap": {"routing", "web", "graph_build", "services", "cli"},
    "services": {"web", "graph_build", "cli"},
    "web": {"graph_build", "cli"},
    "cli": set(),
}


def imported_packages(source: str) -> set[str]:
    """Top-level names of every module `source` imports (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def violations(package: str, source: str) -> set[str]:
    """The forbidden project packages `source`, a module of `package`, imports."""
    return imported_packages(source) & FORBIDDEN[package]


def _modules(package: str) -> list[Path]:
    return sorted((settings.REPO_ROOT / package).rglob("*.py"))


def test_every_package_has_rules_and_files() -> None:
    assert set(FORBIDDEN) == set(PACKAGES)
    for package in PACKAGES:
        if package != "transit":  # transit/ is being written (issue 13)
            assert _modules(package), package


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_a_layer_it_must_not(package: str) -> None:
    found = {
        str(path.relative_to(settings.REPO_ROOT)): bad
        for path in _modules(package)
        if (bad := violations(package, path.read_text(encoding="utf-8")))
    }
    assert not found, found


def test_nothing_but_tests_and_benchmarks_imports_the_cli() -> None:
    for package in PACKAGES:
        if package == "cli":
            continue
        for path in _modules(package):
            assert "cli" not in imported_packages(path.read_text(encoding="utf-8")), path


def test_the_check_sees_lazy_and_type_only_imports() -> None:
    """The checker itself: imports inside functions and TYPE_CHECKING blocks count."""
    lazy = "def f():\n    from graph_build.tags import YES\n"
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import web.app\n"
    assert violations("routing", lazy) == {"graph_build"}
    assert violations("routing", typed) == {"web"}
    assert violations("web", "from routing.service import Router\n") == set()
    assert violations("transit", "import routing.engine as e\n") == {"routing"}
    assert violations("routing", "from . import graph\n") == set()


# The project's own packages: a test may share its helpers with another test module
# (`from test_page_browser import _open`), but reaches no private name of the code.
_PROJECT = ("routing", "web", "transit", "graph_build", "places", "basemap", "services")
_PROJECT += ("jol", "cli", "messages")


def private_uses(source: str) -> list[str]:
    """`x._name` on anything but self/cls, and `from <project module> import _name`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _PROJECT:
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if _private(a.name)
            ]
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_tests_reach_no_private_member() -> None:
    """Tests use what the code offers publicly, so a refactor inside a module breaks none."""
    found = {
        path.name: uses
        for path in sorted((settings.REPO_ROOT / "tests").glob("*.py"))
        if (uses := private_uses(path.read_text(encoding="utf-8")))
    }
    assert not found, found
    assert sorted(private_uses("router._metrics['x']\nfrom web.errors import _X\n")) == [
        "line 1: ._metrics",
        "line 2: import _X",
    ]
