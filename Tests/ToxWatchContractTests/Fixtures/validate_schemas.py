"""Validates JSON instances against the ToxWatch schemas (draft 2020-12), for the Swift tests.

Usage: python3 validate_schemas.py SCHEMAS_DIR JOB.json
JOB.json: {"cases": [{"name": str, "schema": "vitals.schema.json", "instance": any}]}
Prints {"schemas": {file: [problems]}, "results": [{"name", "valid", "errors"}]} as JSON.
Every schema is checked against the metaschema and its own `examples`.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

schemas_dir, job_path = sys.argv[1], sys.argv[2]
schemas = {}
for name in sorted(os.listdir(schemas_dir)):
    if name.endswith(".schema.json"):
        with open(os.path.join(schemas_dir, name), encoding="utf-8") as f:
            schemas[name] = json.load(f)
registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in schemas.values()])


def validator(name):
    return Draft202012Validator(schemas[name], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


report = {"schemas": {}, "results": []}
for name, schema in schemas.items():
    problems = []
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as error:  # noqa: BLE001 - reported to the test
        problems.append("metaschema: %s" % error)
    if not schema.get("$id", "").endswith("/" + name):
        problems.append("$id does not end with the file name")
    definitions_only = not any(k in schema for k in ("type", "allOf", "oneOf", "anyOf", "properties"))
    if not schema.get("examples") and not definitions_only:
        problems.append("no examples")
    for index, example in enumerate(schema.get("examples", [])):
        for error in validator(name).iter_errors(example):
            problems.append("examples[%d]: %s" % (index, error.message))
    report["schemas"][name] = problems

with open(job_path, encoding="utf-8") as f:
    job = json.load(f)
for case in job["cases"]:
    errors = [e.message for e in validator(case["schema"]).iter_errors(case["instance"])]
    report["results"].append({"name": case["name"], "valid": not errors, "errors": errors[:3]})
print(json.dumps(report))
