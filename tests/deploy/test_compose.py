"""docker-compose.yml against the Compose Specification's JSON schema, offline: the schema is
the copy check-jsonschema vendors (pinned with it in the test extras), read from the installed
package rather than fetched."""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from caseflow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    text = (files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text(
        encoding="utf-8"
    )
    schema = json.loads(text)
    assert schema["title"] == "Compose Specification"
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the file's anchors and `<<` merges, as Compose does.
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _errors(validator, document) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_docker_compose_matches_the_compose_spec(validator, compose):
    assert _errors(validator, compose) == []
    assert {"api", "worker", "migrate", "temporal", "db"} <= set(compose["services"])


def test_the_schema_rejects_what_compose_would(validator, compose):
    misspelt = copy.deepcopy(compose)
    misspelt["services"]["worker"]["stop_grace_perod"] = "30s"
    wrong_type = copy.deepcopy(compose)
    wrong_type["services"]["api"]["depends_on"] = "db"  # a list or a mapping
    for broken in (misspelt, wrong_type):
        assert _errors(validator, broken)


def test_caseflow_services_set_only_real_settings(compose):
    known = {f"CASEFLOW_{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "worker", "migrate"):
        variables = set(compose["services"][name].get("environment") or {})
        caseflow = {v for v in variables if v.startswith("CASEFLOW_")}
        assert caseflow <= known, (name, caseflow - known)
