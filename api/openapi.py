"""The OpenAPI document says what the server enforces, so a schema-driven client or fuzzer that
follows it is never refused for a rule it could not read:

- the intake body as one variant per case type, generated from the case-type registry (the
  fields each type requires and allows, a type's kinds), discriminated by `type`: the same flat
  JSON as always, each variant naming exactly what it takes;
- no text anywhere may hold a NUL character (PostgreSQL cannot store it; the API refuses it
  in bodies, paths and queries);
- a reclassification names at least one new value;
- links from every answer that carries a case to what can be done with it next, so a client
  (or schemathesis' stateful phase) can follow a case from intake to archive.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.action_bodies import AT_LEAST_ONE
from api.schemas import SERVICE_PATTERN
from caseflow.domain.case_types import CASE_TYPES, INTAKE_FIELDS

NO_NUL = "^[^\\x00]*$"
INTAKE = "CaseCreate"
_CASE_ID = "$response.body#/case_id"
CASE_PATH = "/api/v1/cases/{case_id}"


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """The property's schema without its null alternative (a required field)."""
    prop = copy.deepcopy(prop)
    options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        prop.update(options[0])
    elif options:
        prop["anyOf"] = options
    return prop


def _intake_variants(schemas: dict[str, Any]) -> dict[str, Any]:
    flat = schemas[INTAKE]
    props = flat["properties"]
    common = [p for p in props if p not in INTAKE_FIELDS and p not in ("type", "customer")]
    variants: dict[str, Any] = {}
    for case_type, spec in CASE_TYPES.items():
        name = "".join(w.capitalize() for w in case_type.value.split("_")) + "Intake"
        properties: dict[str, Any] = {"type": {"type": "string", "enum": [case_type.value]}}
        required = ["type", *[p for p in flat["required"] if p != "type"]]
        properties["customer"] = (
            _not_null(props["customer"]) if spec.customer_facing else props["customer"]
        )
        if spec.customer_facing:
            required.append("customer")
        for field in common:
            properties[field] = props[field]
        for field in sorted(INTAKE_FIELDS):
            if field not in spec.intake.allowed:
                # Accepted only as null: the field is another type's.
                properties[field] = {"type": "null", "description": "Not for this type"}
                continue
            prop = props[field]
            if field in spec.intake.required:
                prop = _not_null(prop)
                required.append(field)
            if field == "kind":
                prop = copy.deepcopy(prop)
                for option in prop.get("anyOf", [prop]):
                    if option.get("type") == "string":
                        option["enum"] = list(spec.intake.kinds)
            properties[field] = prop
        variants[name] = {
            "title": name,
            "description": f"A {spec.label.en} ({spec.label.zh}): {flat.get('description', '')}",
            "type": "object",
            "properties": properties,
            "required": sorted(set(required), key=required.index),
            "additionalProperties": False,
        }
    return variants


def _services(prop: dict[str, Any]) -> None:
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "array":
            option["items"] = {"type": "string", "pattern": SERVICE_PATTERN.pattern}
            option["uniqueItems"] = True
            option["minItems"] = 1


def _no_nul(node: Any) -> None:
    """Every plain string schema refuses NUL (one with a pattern or enum already does)."""
    if isinstance(node, dict):
        if (
            node.get("type") == "string"
            and not {"pattern", "enum", "const", "format"} & node.keys()
        ):
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _no_nul_in_requests(doc: dict[str, Any]) -> None:
    """What a client sends: parameters, bodies and every schema they use. (Responses are left
    alone: an error's detail may quote the offending field's name as it came.)"""
    schemas = doc["components"]["schemas"]
    todo = set()
    for ops in doc["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                _no_nul(param.get("schema"))
            body = op.get("requestBody")
            if body:
                _no_nul(body)
                todo |= _refs(body)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        _no_nul(schemas[name])
        todo |= _refs(schemas[name])


def _links(doc: dict[str, Any]) -> None:
    """From every answer that is a case (or carries its id) to every operation on that case."""
    links = {}
    for path, ops in doc["paths"].items():
        if not path.startswith(CASE_PATH):
            continue
        rest = path.removeprefix(CASE_PATH).removeprefix("/actions").strip("/") or "case"
        for method, op in ops.items():
            name = ("Get" if method == "get" else "") + rest.title().replace("_", "")
            links[name] = {"operationId": op["operationId"], "parameters": {"case_id": _CASE_ID}}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for code in ("200", "201"):
                response = op.get("responses", {}).get(code)
                ref = (
                    (response or {})
                    .get("content", {})
                    .get("application/json", {})
                    .get("schema", {})
                    .get("$ref", "")
                )
                if ref.endswith("/CaseView") or (path.endswith("/history") and code == "200"):
                    response["links"] = links


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = doc["components"]["schemas"]
        _services(schemas[INTAKE]["properties"]["services"])
        variants = _intake_variants(schemas)
        schemas.update(variants)
        schemas[INTAKE] = {
            "title": INTAKE,
            "description": schemas[INTAKE].get("description", ""),
            "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in variants],
            "discriminator": {
                "propertyName": "type",
                "mapping": {
                    variant["properties"]["type"]["enum"][0]: f"#/components/schemas/{name}"
                    for name, variant in variants.items()
                },
            },
            "examples": schemas[INTAKE].get("examples", []),
        }
        for action, fields in AT_LEAST_ONE.items():
            body = "".join(w.capitalize() for w in action.split("_")) + "Body"
            schemas[body]["anyOf"] = [
                {"required": [f], "properties": {f: {"not": {"type": "null"}}}} for f in fields
            ]
        _no_nul_in_requests(doc)
        _links(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
