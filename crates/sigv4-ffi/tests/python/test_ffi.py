#!/usr/bin/env python3
"""The C ABI from Python through ctypes: the official suite's get-vanilla
and post-x-www-form-urlencoded cases (expected signatures read from the
suite's files), presigning, verification with a Python callback, and the
error conventions. Prints "N passed, N failed".

usage: test_ffi.py LIBSIGV4_FFI_SO SUITE_V4_DIR
"""

import ctypes as C
import os
import sys

lib = C.CDLL(sys.argv[1])
SUITE = sys.argv[2]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        err = lib.sigv4_last_error().decode()
        print(f"FAIL {what} (last error: {err})", file=sys.stderr)


def expected(case, name):
    with open(os.path.join(SUITE, case, name)) as f:
        return f.read().strip()


class Header(C.Structure):
    _fields_ = [("name", C.c_char_p), ("value", C.c_char_p)]


class Request(C.Structure):
    _fields_ = [
        ("method", C.c_char_p),
        ("url", C.c_char_p),
        ("headers", C.POINTER(Header)),
        ("header_count", C.c_size_t),
        ("payload_kind", C.c_int),
        ("body", C.c_char_p),
        ("body_len", C.c_size_t),
        ("payload_hash", C.c_char_p),
    ]


class Credentials(C.Structure):
    _fields_ = [("access_key_id", C.c_char_p), ("secret_access_key", C.c_char_p), ("session_token", C.c_char_p)]


class Params(C.Structure):
    _fields_ = [
        ("region", C.c_char_p),
        ("service", C.c_char_p),
        ("time_unix", C.c_uint64),
        ("flags", C.c_uint32),
    ]


class SignedHeaders(C.Structure):
    _fields_ = [("headers", Header * 5), ("count", C.c_size_t)]


class Verified(C.Structure):
    _fields_ = [
        ("access_key_id", C.c_char * 129),
        ("region", C.c_char * 129),
        ("service", C.c_char * 129),
        ("signed_at_unix", C.c_uint64),
        ("presigned", C.c_bool),
        ("unsigned_payload", C.c_bool),
        ("sigv4a", C.c_bool),
    ]


LOOKUP = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_char_p, C.POINTER(C.c_char), C.c_size_t, C.POINTER(C.c_size_t))

OK, NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT, BUFFER_TOO_SMALL = 0, 1, 2, 3, 4
SIGNATURE_MISMATCH = 9
PAYLOAD_HASH_MISMATCH, UNSIGNED_PAYLOAD = 12, 13
FLAG_CONTENT_SHA256_HEADER, FLAG_ALLOW_UNSIGNED_PAYLOAD = 1, 1 << 5
lib.sigv4_last_error.restype = C.c_char_p
lib.sigv4_status_name.restype = C.c_char_p
lib.sigv4_sign.argtypes = [C.POINTER(Request), C.POINTER(Credentials), C.POINTER(Params), C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t), C.POINTER(SignedHeaders)]
lib.sigv4_presign.argtypes = [C.POINTER(Request), C.POINTER(Credentials), C.POINTER(Params), C.c_uint64, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]
lib.sigv4_verify.argtypes = [C.POINTER(Request), C.c_uint64, C.c_uint32, LOOKUP, C.c_void_p, C.POINTER(Verified)]
lib.sigv4_status_name.argtypes = [C.c_int]
lib.sigv4_signer_new.restype = C.c_void_p
lib.sigv4_signer_free.argtypes = [C.c_void_p]
lib.sigv4_signer_sign.argtypes = [C.c_void_p] + lib.sigv4_sign.argtypes

CREDS = Credentials(b"AKIDEXAMPLE", b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
T = 1440938160  # 2015-08-30T12:36:00Z


def request(method, headers, body=b""):
    arr = (Header * len(headers))(*[Header(n.encode(), v.encode()) for n, v in headers])
    r = Request(method.encode(), b"https://example.amazonaws.com/", arr, len(headers), 0, body, len(body), None)
    r._keep = arr
    return r


def get_vanilla():
    return request("GET", [("Host", "example.amazonaws.com")])


def post_form():
    return request(
        "POST",
        [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"), ("Content-Length", "13")],
        b"Param1=value1",
    )


def sign(req, params, signer=None, size=2048):
    buf = C.create_string_buffer(size)
    needed = C.c_size_t(0)
    out = SignedHeaders()
    if signer:
        st = lib.sigv4_signer_sign(signer, C.byref(req), C.byref(CREDS), C.byref(params), buf, size, C.byref(needed), C.byref(out))
    else:
        st = lib.sigv4_sign(C.byref(req), C.byref(CREDS), C.byref(params), buf, size, C.byref(needed), C.byref(out))
    headers = {out.headers[i].name.decode(): out.headers[i].value.decode() for i in range(out.count)} if st == OK else {}
    return st, headers, needed.value


signer = lib.sigv4_signer_new()
for case, req, sha in [("get-vanilla", get_vanilla(), False), ("post-x-www-form-urlencoded", post_form(), True)]:
    for s in (None, signer, signer):
        st, headers, _ = sign(req, Params(b"us-east-1", b"service", T, FLAG_CONTENT_SHA256_HEADER if sha else 0), s)
        check(st == OK, f"{case}: status {st}")
        sig = expected(case, "header-signature.txt")
        check(headers.get("Authorization", "").endswith("Signature=" + sig), f"{case}: {headers.get('Authorization')}")
        check(headers.get("X-Amz-Date") == "20150830T123600Z", f"{case}: date")
        check(("X-Amz-Content-Sha256" in headers) == sha, f"{case}: content hash header")
lib.sigv4_signer_free(signer)

# Presign.
needed = C.c_size_t(0)
params = Params(b"us-east-1", b"service", T, 0)
st = lib.sigv4_presign(C.byref(get_vanilla()), C.byref(CREDS), C.byref(params), 3600, None, 0, C.byref(needed))
check(st == BUFFER_TOO_SMALL and needed.value > 0, "presign length query")
buf = C.create_string_buffer(needed.value)
st = lib.sigv4_presign(C.byref(get_vanilla()), C.byref(CREDS), C.byref(params), 3600, buf, needed.value, C.byref(needed))
check(st == OK and ("X-Amz-Signature=" + expected("get-vanilla", "query-signature.txt")) in buf.value.decode(), "presign")


# Verify with a Python callback.
@LOOKUP
def lookup(ctx, akid, secret_buf, cap, out_len):
    if akid != CREDS.access_key_id:
        return 1
    s = CREDS.secret_access_key
    C.memmove(secret_buf, s, len(s))
    out_len[0] = len(s)
    return 0


st, headers, _ = sign(post_form(), params)
received = request(
    "POST",
    [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"), ("Content-Length", "13")]
    + list(headers.items()),
    b"Param1=value1",
)
v = Verified()
st = lib.sigv4_verify(C.byref(received), T + 5, 0, lookup, None, C.byref(v))
check(st == OK and v.access_key_id == b"AKIDEXAMPLE" and v.service == b"service", f"verify {st}")
tampered = request("POST", [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"), ("Content-Length", "13")] + list(headers.items()), b"Param1=value2")
st = lib.sigv4_verify(C.byref(tampered), T + 5, 0, lookup, None, C.byref(v))
check(st == SIGNATURE_MISMATCH, f"verify tampered {st}")

# A body changed under a signed x-amz-content-sha256.
FORM = [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"), ("Content-Length", "13")]
hashed = Params(b"us-east-1", b"es", T, FLAG_CONTENT_SHA256_HEADER)
st, headers, _ = sign(post_form(), hashed)
check(st == OK and "X-Amz-Content-Sha256" in headers, "sign with hash header")
ok = request("POST", FORM + list(headers.items()), b"Param1=value1")
check(lib.sigv4_verify(C.byref(ok), T, 0, lookup, None, C.byref(v)) == OK, "hash header verifies")
changed = request("POST", FORM + list(headers.items()), b"Param1=VALUE1")
st = lib.sigv4_verify(C.byref(changed), T, 0, lookup, None, C.byref(v))
check(st == PAYLOAD_HASH_MISMATCH, f"changed body under the hash {st}")
check(lib.sigv4_status_name(st) == b"SIGV4_STATUS_PAYLOAD_HASH_MISMATCH", "mismatch name")
# UNSIGNED-PAYLOAD only when allowed.
unsigned = post_form()
unsigned.payload_kind = 2
st, headers, _ = sign(unsigned, hashed)
received = request("POST", FORM + list(headers.items()), b"anything")
st = lib.sigv4_verify(C.byref(received), T, 0, lookup, None, C.byref(v))
check(st == UNSIGNED_PAYLOAD, f"unsigned refused {st}")
st = lib.sigv4_verify(C.byref(received), T, FLAG_ALLOW_UNSIGNED_PAYLOAD, lookup, None, C.byref(v))
check(st == OK and v.unsigned_payload, f"unsigned allowed {st}")

# Out-of-range integers from a dynamic language are refused, not trusted.
for kind in (3, 7, 9, -1):
    r = get_vanilla()
    r.payload_kind = kind
    st, _, _ = sign(r, params)
    check(st == INVALID_ARGUMENT and b"payload_kind" in lib.sigv4_last_error(), f"payload_kind {kind}: {st}")
for status in (-1, 15, 99):
    check(lib.sigv4_status_name(status) == b"unknown", f"status name {status}")
st, _, _ = sign(get_vanilla(), Params(b"us-east-1", b"service", T, 1 << 31))
check(st == INVALID_ARGUMENT, f"unknown flag {st}")

# Errors.
buf = C.create_string_buffer(2048)
needed = C.c_size_t(0)
out = SignedHeaders()
st = lib.sigv4_sign(None, C.byref(CREDS), C.byref(params), buf, 2048, C.byref(needed), C.byref(out))
check(st == NULL_POINTER and b"request" in lib.sigv4_last_error(), "NULL request")
bad = get_vanilla()
bad.method = b"G\xffT"
st = lib.sigv4_sign(C.byref(bad), C.byref(CREDS), C.byref(params), buf, 2048, C.byref(needed), C.byref(out))
check(st == INVALID_UTF8, f"invalid UTF-8 {st}")
st, _, need = sign(get_vanilla(), params, size=8)
check(st == BUFFER_TOO_SMALL and need > 8, "buffer too small")
st, headers, _ = sign(get_vanilla(), params, size=need)
check(st == OK and headers["Authorization"].endswith(expected("get-vanilla", "header-signature.txt")), "exact buffer")
check(lib.sigv4_status_name(SIGNATURE_MISMATCH) == b"SIGV4_STATUS_SIGNATURE_MISMATCH", "status name")

print(f"python: {passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
