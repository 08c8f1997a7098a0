"""Layers import downward only: api -> workflows / activities -> caseflow. The domain, the
SLA policy and the read model know nothing of workflows, activities, the API or the worker;
the API does not import activities; workflow code imports activities only for their typed
method references."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UPPER = ("workflows", "activities", "api", "worker")


def imports_of(path: Path) -> set[str]:
    """Every module an import statement in `path` names (top-level and inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def roots(names: set[str]) -> set[str]:
    return {n.split(".", 1)[0] for n in names}


@pytest.mark.parametrize("path", layer_files("caseflow"), ids=lambda p: str(p.relative_to(ROOT)))
def test_caseflow_imports_none_of_the_layers_above(path):
    assert not roots(imports_of(path)) & set(UPPER)


@pytest.mark.parametrize("path", layer_files("api"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_api_does_not_import_activities_or_the_worker(path):
    assert not roots(imports_of(path)) & {"activities", "worker"}


@pytest.mark.parametrize("path", layer_files("activities"), ids=lambda p: str(p.relative_to(ROOT)))
def test_activities_import_no_workflow_api_or_worker(path):
    assert not roots(imports_of(path)) & {"workflows", "api", "worker"}


@pytest.mark.parametrize(
    "path", layer_files("caseflow/domain"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_domain_is_pure(path):
    """Only the standard library and the domain itself: workflow code passes it through the
    sandbox, so it must have no side effects (no database, no HTTP, no clock of its own)."""
    allowed = {"caseflow", "dataclasses", "datetime", "enum", "typing", "collections"}
    assert roots(imports_of(path)) <= allowed


def test_activities_modules_carry_no_database_or_http_imports():
    """Workflow modules import activity classes for typed method references (passed through the
    sandbox): those modules take their stores as arguments instead of importing them."""
    heavy = {"sqlalchemy", "sqlmodel", "asyncpg", "httpx", "aiohttp"}
    for path in layer_files("activities"):
        assert not roots(imports_of(path)) & heavy, path.name


def test_the_time_zone_is_named_in_policy_files_only():
    """One setting: the policy's `timezone`. No module hard-codes a zone or an offset."""
    for layer in ("caseflow", "workflows", "activities", "api"):
        for path in layer_files(layer):
            text = path.read_text(encoding="utf-8")
            assert "Asia/Shanghai" not in text, path
            assert "hours=8" not in text, path
