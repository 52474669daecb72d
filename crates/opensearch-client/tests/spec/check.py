"""Checks recorded exchanges against the vendored OpenSearch API
specification (operations.json), with the `jsonschema` package.

  python3 check.py operations.json exchanges.json

Each exchange (written by tests/spec.rs) names the operation group the
client meant (or none, for a raw request: then the method and path choose), and holds the request as sent (method, path, query pairs,
content type, body) and the response (status, body). For each one:
  * exactly one operation of that group has that method and a path
    template matching the path;
  * every query parameter is one the operation or the global parameters
    declare;
  * a body is sent only where the operation takes one, and it validates
    against the request body schema (NDJSON as an array of lines);
  * a response body validates against the schema the operation gives for
    its status, when it gives one.
Prints "checked N exchanges, M bodies, K responses" or every problem, then
exits 1.

One leniency: `oneOf` is read as `anyOf`. The spec writes `oneOf` where its
alternatives overlap (a sort such as {"year": "asc"} is both a
field-with-direction and a one-key SortOptions object), so a strict reading
would refuse the upstream stories' own requests.
"""
import json
import re
import sys
import urllib.parse

from jsonschema import Draft202012Validator, ValidationError, validators


def any_of(validator, schemas, instance, schema):
    errors = []
    for index, subschema in enumerate(schemas):
        found = list(validator.descend(instance, subschema, schema_path=index))
        if not found:
            return
        errors.extend(found)
    yield ValidationError(
        "%r is not valid under any of the given schemas" % (instance,), context=errors
    )


Validator = validators.extend(Draft202012Validator, {"oneOf": any_of})


def main():
    spec = json.load(open(sys.argv[1]))
    exchanges = json.load(open(sys.argv[2]))
    components = spec["components"]
    globals_ = {p["name"] for p in spec["global_parameters"].values()}

    def deref(node):
        while isinstance(node, dict) and "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            node = components[parts[1]][parts[2].replace("~1", "/").replace("~0", "~")]
        return node

    def validate(schema, instance):
        root = dict(schema)
        root["components"] = components
        return sorted(
            Validator(root).iter_errors(instance),
            key=lambda e: list(e.absolute_path),
        )

    def template_regex(t):
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$")

    problems, bodies, responses = [], 0, 0
    for ex in exchanges:
        where = "%s %s (%s)" % (ex["method"], ex["path"], ex["group"])
        ops = [
            o for o in spec["operations"]
            if ex["group"] in (None, o["group"]) and o["method"] == ex["method"]
            and template_regex(o["path"]).match(ex["path"])
        ]
        if len(ops) != 1:
            problems.append("%s: %d operations of the spec match" % (where, len(ops)))
            continue
        op = ops[0]["operation"]
        params = [deref(p) for p in op.get("parameters", [])]
        declared = {p["name"] for p in params if p.get("in") == "query"} | globals_
        for name, _ in ex["query"]:
            if name not in declared:
                problems.append("%s: query parameter %r is not in the spec" % (where, name))
        # Path parameters must be non-empty after decoding.
        for seg in ex["path"].strip("/").split("/") if ex["path"] != "/" else []:
            if urllib.parse.unquote(seg) == "":
                problems.append("%s: an empty path segment" % where)
        body = ex.get("body")
        if body is not None:
            if "requestBody" not in op:
                problems.append("%s: sends a body the operation does not take" % where)
            else:
                content = deref(op["requestBody"])["content"]
                media = ex["content_type"]
                if media not in content:
                    problems.append("%s: media type %s, spec has %s" % (where, media, list(content)))
                else:
                    bodies += 1
                    for e in validate(content[media]["schema"], body):
                        problems.append("%s: request body at %s: %s" % (
                            where, "/".join(map(str, e.absolute_path)), e.message[:300]))
        elif deref(op.get("requestBody", {})).get("required"):
            problems.append("%s: the spec requires a body" % where)
        resp = op.get("responses", {}).get(str(ex["status"]))
        if resp is not None and ex.get("response") is not None:
            schema = deref(resp).get("content", {}).get("application/json", {}).get("schema")
            if schema is not None:
                responses += 1
                for e in validate(schema, ex["response"]):
                    problems.append("%s: response %d at %s: %s" % (
                        where, ex["status"], "/".join(map(str, e.absolute_path)), e.message[:300]))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("checked %d exchanges, %d bodies, %d responses" % (len(exchanges), bodies, responses))


main()
