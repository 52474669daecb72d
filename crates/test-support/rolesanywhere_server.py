#!/usr/bin/env python3
"""A local IAM Roles Anywhere CreateSession endpoint for the tests.

It checks each request the way the service does, with Python's
`cryptography` package -- an implementation independent of the Rust code
under test:

* the trust anchor ARN names the configured anchor;
* the leaf (X-Amz-X509) chains through X-Amz-X509-Chain to the anchor's
  root certificate, each link's signature verified, every certificate
  within its validity period;
* the serial in the Authorization Credential scope is the leaf's, in
  decimal; the scope's date matches X-Amz-Date, which is within 5 minutes;
* the canonical request is rebuilt here from the raw request (SigV4 rules)
  and the signature verified with the leaf's public key: RSA PKCS#1 v1.5
  SHA-256 for AWS4-X509-RSA-SHA256, ECDSA SHA-256 (DER) for
  AWS4-X509-ECDSA-SHA256.

Usage: rolesanywhere_server.py ANCHOR_ARN ROOT_PEM LOG_FILE
Prints "ready PORT". Each request is appended to LOG_FILE as a JSON line.
POST /_control {"deny": bool} makes later sessions fail (AccessDenied);
{"expire_seconds": N} makes later credentials expire after N seconds.
"""

import base64
import datetime
import hashlib
import http.server
import json
import secrets
import sys
import threading
import urllib.parse

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa

ML_DSA_KEYS = (mldsa.MLDSA44PublicKey, mldsa.MLDSA65PublicKey, mldsa.MLDSA87PublicKey)

ANCHOR_ARN, ROOT_PEM, LOG_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
with open(ROOT_PEM, "rb") as f:
    ROOT = x509.load_pem_x509_certificate(f.read())
STATE = {"deny": False, "expire_seconds": None}
LOCK = threading.Lock()


class Reject(Exception):
    def __init__(self, status, kind, message):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def uri_encode(s, keep_slash=False):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def canonical_request(method, raw_path, headers, signed, body):
    path, _, query = raw_path.partition("?")
    pairs = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        k = urllib.parse.unquote(k)
        v = urllib.parse.unquote(v)
        pairs.append((uri_encode(k), uri_encode(v)))
    pairs.sort()
    cq = "&".join(f"{k}={v}" for k, v in pairs)
    canon_path = uri_encode(urllib.parse.unquote(path), keep_slash=True)
    lines = []
    for name in signed:
        values = headers.get(name)
        if values is None:
            raise Reject(403, "AccessDeniedException", f"signed header {name} is missing")
        value = ",".join(" ".join(v.strip().split()) for v in values)
        lines.append(f"{name}:{value}\n")
    return "\n".join(
        [method, canon_path, cq, "".join(lines), ";".join(signed), hashlib.sha256(body).hexdigest()]
    )


def verify_chain(leaf, chain, now):
    pool = chain + [ROOT]
    current = leaf
    for _ in range(8):
        for cert in [current]:
            if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
                raise Reject(403, "AccessDeniedException", "Certificate is not within its validity period")
        if current == ROOT:
            return
        issuers = [c for c in pool if c.subject == current.issuer]
        if not issuers:
            raise Reject(403, "AccessDeniedException", "Untrusted signing certificate: no path to the trust anchor")
        issuer = issuers[0]
        try:
            issuer_key = issuer.public_key()
            if isinstance(issuer_key, ML_DSA_KEYS):
                # cryptography checks ML-DSA certificate signatures only
                # by hand: the issuer's key over the TBSCertificate.
                if current.issuer != issuer.subject:
                    raise ValueError("issuer name")
                issuer_key.verify(current.signature, current.tbs_certificate_bytes)
            else:
                current.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise Reject(403, "AccessDeniedException", "Untrusted signing certificate: bad signature in the chain")
        current = issuer
    raise Reject(403, "AccessDeniedException", "chain too long")


def check(method, raw_path, headers, body):
    now = datetime.datetime.now(datetime.timezone.utc)
    path, _, query = raw_path.partition("?")
    if method != "POST" or path != "/sessions":
        raise Reject(404, "ResourceNotFoundException", f"no route {method} {path}")
    params = dict(urllib.parse.parse_qsl(query))
    for p in ("profileArn", "roleArn", "trustAnchorArn"):
        if p not in params:
            raise Reject(400, "ValidationException", f"{p} is required")
    if params["trustAnchorArn"] != ANCHOR_ARN:
        raise Reject(404, "ResourceNotFoundException", "Trust anchor not found")
    try:
        req = json.loads(body)
        duration = req.get("durationSeconds", 3600)
    except Exception:
        raise Reject(400, "ValidationException", "body is not JSON")
    if not (900 <= duration <= 43200):
        raise Reject(400, "ValidationException", "durationSeconds out of range")
    auth = headers.get("authorization", [""])[0]
    alg, _, rest = auth.partition(" ")
    fields = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
    try:
        credential = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = bytes.fromhex(fields["Signature"])
    except (KeyError, ValueError):
        raise Reject(403, "AccessDeniedException", "malformed Authorization header")
    if len(credential) != 5 or credential[3] != "rolesanywhere" or credential[4] != "aws4_request":
        raise Reject(403, "AccessDeniedException", "bad credential scope")
    for required in ("host", "x-amz-date", "x-amz-x509"):
        if required not in signed:
            raise Reject(403, "AccessDeniedException", f"{required} must be signed")
    if "x-amz-x509-chain" in headers and "x-amz-x509-chain" not in signed:
        raise Reject(403, "AccessDeniedException", "x-amz-x509-chain must be signed")
    amz_date = headers.get("x-amz-date", [""])[0]
    try:
        t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Reject(403, "AccessDeniedException", "bad X-Amz-Date")
    if abs((now - t).total_seconds()) > 300:
        raise Reject(403, "AccessDeniedException", "Signature expired: X-Amz-Date is more than 5 minutes away")
    if credential[1] != amz_date[:8]:
        raise Reject(403, "AccessDeniedException", "scope date does not match X-Amz-Date")
    leaf = x509.load_der_x509_certificate(base64.b64decode(headers["x-amz-x509"][0]))
    chain = []
    if "x-amz-x509-chain" in headers:
        for part in headers["x-amz-x509-chain"][0].split(","):
            chain.append(x509.load_der_x509_certificate(base64.b64decode(part)))
    if credential[0] != str(leaf.serial_number):
        raise Reject(403, "AccessDeniedException", "the credential serial is not the certificate's")
    verify_chain(leaf, chain, now)
    creq = canonical_request(method, raw_path, headers, signed, body)
    scope = "/".join(credential[1:])
    sts = "\n".join([alg, amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = leaf.public_key()
    try:
        if alg == "AWS4-X509-RSA-SHA256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, sts.encode(), padding.PKCS1v15(), hashes.SHA256())
        elif alg == "AWS4-X509-ECDSA-SHA256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, sts.encode(), ec.ECDSA(hashes.SHA256()))
        elif alg == "AWS4-X509-MLDSA" and isinstance(key, ML_DSA_KEYS):
            # Pure ML-DSA over the string to sign, empty context (FIPS 204;
            # cryptography's implementation, from its OpenSSL).
            key.verify(signature, sts.encode())
        else:
            raise Reject(403, "AccessDeniedException", f"algorithm {alg} does not fit the key")
    except InvalidSignature:
        raise Reject(403, "AccessDeniedException", "The request signature we calculated does not match the signature you provided")
    with LOCK:
        if STATE["deny"]:
            raise Reject(403, "AccessDeniedException", "Access denied by the test's control switch")
    with LOCK:
        lifetime = STATE["expire_seconds"] or duration
    expiration = (now + datetime.timedelta(seconds=lifetime)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "credentialSet": [
            {
                "assumedRoleUser": {
                    "arn": params["roleArn"].replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/" + format(leaf.serial_number, "x"),
                    "assumedRoleId": "AROAEXAMPLE:" + format(leaf.serial_number, "x"),
                },
                "credentials": {
                    "accessKeyId": "ASIA" + secrets.token_hex(8).upper(),
                    "secretAccessKey": secrets.token_urlsafe(30),
                    "sessionToken": "FQoGZXIvYXdzE" + secrets.token_urlsafe(60),
                    "expiration": expiration,
                },
                "packedPolicySize": 0,
                "roleArn": params["roleArn"],
                "sourceIdentity": leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value,
            }
        ],
        "subjectArn": "arn:aws:rolesanywhere:us-east-1:000000000000:subject/test",
    }, creq, sts


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            # aws_signing_helper (Go's net/http) sends the body chunked.
            body = self.read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/_control":
            with LOCK:
                STATE.update(json.loads(body))
            return self.reply(200, {}, None)
        headers = {}
        for k, v in self.headers.items():
            headers.setdefault(k.lower(), []).append(v)
        entry = {"path": self.path, "headers": {k: v[0] for k, v in headers.items()}, "body": body.decode("utf-8", "replace")}
        try:
            result, creq, sts = check("POST", self.path, headers, body)
            entry.update(status=201, canonical_request=creq, string_to_sign=sts)
            self.log(entry)
            self.reply(201, result, None)
        except Reject as r:
            entry.update(status=r.status, error=r.message)
            self.log(entry)
            self.reply(r.status, {"message": r.message}, r.kind)

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                # Trailers, then the empty line.
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def log(self, entry):
        with LOCK, open(LOG_FILE, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, obj, kind):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        if kind:
            self.send_header("x-amzn-errortype", kind + ":http://internal.amazon.com/coral/com.amazonaws.roles/")
        self.end_headers()
        self.wfile.write(data)


def exit_with_parent():
    # The test process holds our stdin; when it ends, so do we.
    sys.stdin.read()
    import os
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("ready", server.server_address[1], flush=True)
server.serve_forever()
