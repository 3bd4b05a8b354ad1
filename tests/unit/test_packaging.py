"""What ships must match what is declared: the layer's requirements and the served OpenAPI document."""

import tomllib
from pathlib import Path

from tools.export_openapi import DOCUMENT, openapi_document

ROOT = Path(__file__).resolve().parents[2]


def test_layer_requirements_equal_project_runtime_dependencies() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "shared" / "requirements.txt").read_text().splitlines()
    shipped = [line for line in lines if line and not line.startswith("#")]
    assert sorted(shipped) == sorted(declared)


def test_committed_openapi_document_matches_the_routes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == openapi_document(), "run `make openapi` and commit the result"
