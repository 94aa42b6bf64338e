"""The import contracts in pyproject.toml place every module of the package.

import-linter checks the imports between the modules a contract names; a module left out of the
layers would be free to import anything, so the list itself is checked here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _top_level_modules() -> set[str]:
    package = REPO / "service"
    modules = {f"service.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    packages = {f"service.{p.parent.name}" for p in package.glob("*/__init__.py")}
    return modules | packages


def test_every_top_level_module_has_a_layer() -> None:
    """Each module and package directly under service/ stands in exactly one layer."""
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    assert isinstance(layers, list)
    placed = [name.strip() for layer in layers for name in layer.split("|")]
    assert sorted(placed) == sorted(set(placed)), "a module stands in two layers"
    assert set(placed) == _top_level_modules()


def test_web_is_forbidden_to_import_sources() -> None:
    """Pages read what jobs stored; they never call an upstream client themselves."""
    forbidden = [c for c in _contracts() if c["type"] == "forbidden"]
    assert any(
        "service.web" in c["source_modules"] and "service.sources" in c["forbidden_modules"]  # type: ignore[operator]
        for c in forbidden
    )
