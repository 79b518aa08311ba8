"""The reference's verdict on NetJSON documents, for the differential conformance test.

Reads one JSON document per line on stdin and prints one JSON verdict per line:
{"valid": true} or {"valid": false, "path": "a/0/b", "message": "..."}, using
python-jsonschema exactly as openwisp-monitoring does (draft-07, format checking,
best_match over all errors).
"""

import json
import sys

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

with open(sys.argv[1]) as f:
    schema = json.load(f)
validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)

for line in sys.stdin:
    doc = json.loads(line)
    error = best_match(validator.iter_errors(doc))
    if error is None:
        verdict = {"valid": True}
    else:
        path = "/".join(str(p) for p in error.path)
        verdict = {"valid": False, "path": path, "message": error.message}
    print(json.dumps(verdict))
