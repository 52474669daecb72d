"""Recomputes SigV4 signatures with botocore, an implementation independent
of the workspace under test. Reads JSON lines (method, url, headers as
[name, value] pairs in wire order, body_hex, secret, token); rebuilds each
request from exactly the headers its Authorization names as signed; prints
"verified N", or each mismatch with botocore's canonical request and exits 1.
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def check(rec):
    headers = rec["headers"]
    auth = next(v for (n, v) in headers if n.lower() == "authorization")
    fields = dict(
        part.strip().split("=", 1) for part in auth.split(" ", 1)[1].split(",")
    )
    access_key, date, region, service, _ = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    # Several lines of one header are joined with commas, as botocore would
    # receive them.
    kept = {}
    for name, value in headers:
        if name.lower() in signed:
            kept[name.lower()] = (
                kept[name.lower()] + "," + value if name.lower() in kept else value
            )
    if sorted(kept) != sorted(signed):
        return "signed headers missing from the request: %s" % (
            set(signed) - set(kept)
        )
    request = AWSRequest(
        method=rec["method"], url=rec["url"], data=bytes.fromhex(rec["body_hex"]), headers=kept
    )
    amz_date = kept["x-amz-date"]
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key, rec["secret"], rec.get("token")), service, region)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if expected != fields["Signature"]:
        return "signature %s, botocore computes %s over\n%s" % (
            fields["Signature"],
            expected,
            canonical,
        )
    return None


def main():
    n, failures = 0, []
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            n += 1
            problem = check(rec)
            if problem:
                failures.append("%s %s: %s" % (rec["method"], rec["url"], problem))
    if failures:
        print("\n\n".join(failures))
        sys.exit(1)
    print("verified %d" % n)


main()
