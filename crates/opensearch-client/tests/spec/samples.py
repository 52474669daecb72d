"""Writes, for every operation of the vendored OpenSearch API specification
(operations.json), a call that the specification accepts: a value for each
path parameter, for each query parameter the operation declares (from its
schema: the first enum value, true, 1, a one-item list, …), and a body
where the operation takes one (the smallest instance of its schema this
script finds that the schema validates, with the `jsonschema` package).

  python3 samples.py operations.json > samples.json

Each sample: {"group", "method", "path", "params": {name: value},
"body": value or null, "ndjson": bool}. tests/ops.rs builds each through
the generated builders and has check.py check what they produce.
"""
import json
import sys

from jsonschema import Draft202012Validator

spec = json.load(open(sys.argv[1]))
components = spec["components"]


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = components[parts[1]][parts[2].replace("~1", "/").replace("~0", "~")]
    return node


def valid(schema, instance):
    root = dict(schema)
    root["components"] = components
    return Draft202012Validator(root).is_valid(instance)


STRINGS = ["sample", "1s", "1", "true", "2024-01-01T00:00:00Z", "a,b", "_all", "*"]


def candidates(schema, depth):
    """Instances to try for `schema`, simplest first."""
    s = deref(schema)
    if depth > 12 or not isinstance(s, dict):
        return [None]
    if "const" in s:
        return [s["const"]]
    if "enum" in s:
        return list(s["enum"][:1])
    if "examples" in s and s["examples"]:
        first = list(s["examples"])
    else:
        first = []
    for combo in ("oneOf", "anyOf"):
        if combo in s:
            out = []
            for alt in s[combo]:
                out.extend(c for c in candidates(alt, depth + 1) if valid(alt, c))
            return first + out + [None]
    if "allOf" in s:
        merged = {}
        for part in s["allOf"]:
            c = candidates(part, depth + 1)[0]
            if isinstance(c, dict):
                merged.update(c)
        return first + [merged]
    t = s.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t == "object" or (t is None and ("properties" in s or "required" in s)):
        obj = {}
        props = s.get("properties", {})
        for name in s.get("required", []):
            obj[name] = pick(props.get(name, {}), depth + 1)
        if not obj and s.get("minProperties", 0) > 0:
            if props:
                name = sorted(props)[0]
                obj[name] = pick(props[name], depth + 1)
            else:
                extra = s.get("additionalProperties")
                obj["key"] = pick(extra if isinstance(extra, dict) else {}, depth + 1)
        return first + [obj]
    if t == "array":
        n = s.get("minItems", 0)
        items = s.get("items", {})
        return first + [[pick(items, depth + 1)] * n] + ([[pick(items, depth + 1)]] if n == 0 else [])
    if t == "string":
        return first + STRINGS
    if t == "integer":
        return first + [max(1, s.get("minimum", 1))]
    if t == "number":
        return first + [max(1, s.get("minimum", 1))]
    if t == "boolean":
        return first + [True]
    if t == "null":
        return [None]
    return first + [{}, "sample", 1, True]


def pick(schema, depth=0):
    for c in candidates(schema, depth):
        if valid(deref(schema) if isinstance(deref(schema), dict) else {}, c):
            return c
    return candidates(schema, depth)[0]


def param_value(p):
    s = deref(p.get("schema", {}))
    if p["in"] == "path":
        v = pick(p.get("schema", {}))
        if isinstance(v, list):
            v = v[0] if v else "sample"
        if not isinstance(v, str) or v in ("", "*", "_all", "a,b"):
            v = "sample" if not isinstance(v, (int, float)) or isinstance(v, bool) else v
        return v
    return pick(p.get("schema", {}))


# A name that is a path parameter of a group is read as the path parameter
# by name (a few groups also declare a query parameter of the same name):
# such query parameters are left out.
group_path_names = {}
for o in spec["operations"]:
    for p in o["operation"].get("parameters", []):
        p = deref(p)
        if p["in"] == "path":
            group_path_names.setdefault(o["group"], set()).add(p["name"])

samples = []
for o in spec["operations"]:
    op = o["operation"]
    params = {}
    for p in op.get("parameters", []):
        p = deref(p)
        if p["in"] == "query" and p["name"] in group_path_names.get(o["group"], ()):
            continue
        if p["in"] in ("path", "query"):
            v = param_value(p)
            if v is None:
                continue
            params[p["name"]] = v
    body, ndjson = None, False
    if "requestBody" in op:
        content = deref(op["requestBody"]).get("content", {})
        if "application/json" in content:
            body = pick(content["application/json"].get("schema", {}))
        elif "application/x-ndjson" in content:
            ndjson = True
            body = pick(content["application/x-ndjson"].get("schema", {}))
            if not isinstance(body, list):
                body = [body]
        else:
            media = sorted(content)[0]
            body = pick(content[media].get("schema", {}))
    samples.append({
        "group": o["group"], "method": o["method"], "path": o["path"],
        "params": params, "body": body, "ndjson": ndjson,
    })
json.dump(samples, sys.stdout)
