#!/usr/bin/env python3
"""Validates Ops/kubernetes offline: core kinds with kubernetes-validate (schemas bundled with the
package, --strict), KEDA kinds with Ops/kubernetes/schemas/keda-v1alpha1.schema.json (jsonschema).
Exit 0 when every document passes; prints one line per document either way."""
import json
import pathlib
import subprocess
import sys

import jsonschema
import yaml

ops = pathlib.Path(__file__).resolve().parent
keda = json.loads((ops / "kubernetes/schemas/keda-v1alpha1.schema.json").read_text())
failures = 0
for manifest in sorted((ops / "kubernetes").glob("*.yaml")):
    core = []
    for document in yaml.safe_load_all(manifest.read_text()):
        if not document:
            continue
        kind = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
        if str(document.get("apiVersion", "")).startswith("keda.sh/"):
            errors = list(jsonschema.Draft202012Validator(keda).iter_errors(document))
            for error in errors:
                print(f"FAIL {manifest.name} {kind}: {error.message} at {list(error.absolute_path)}")
            failures += bool(errors)
            if not errors:
                print(f"ok   {manifest.name} {kind} (KEDA schema)")
        else:
            core.append(document)
    out = ops / ".validate-core.yaml"
    out.write_text(yaml.safe_dump_all(core))
    result = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", str(out)], capture_output=True, text=True)
    out.unlink()
    if result.returncode != 0:
        failures += 1
        print(f"FAIL {manifest.name}: {result.stdout.strip()} {result.stderr.strip()}")
    else:
        print(f"ok   {manifest.name}: {len(core)} core documents (kubernetes-validate --strict)")
sys.exit(1 if failures else 0)
