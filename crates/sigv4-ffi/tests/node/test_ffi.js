// The C ABI from Node.js through koffi (pinned in package.json).
//
//   npm ci && node test_ffi.js LIBSIGV4_SO SUITE_V4_DIR
//
// Prints "node: N passed, N failed" and exits 1 on a failure.
'use strict';

const fs = require('fs');
const path = require('path');
const koffi = require('koffi');

const [libPath, suiteDir] = process.argv.slice(2);
const lib = koffi.load(libPath);
let passed = 0;
let failed = 0;

const Header = koffi.struct('sigv4_header', { name: 'const char *', value: 'const char *' });
const Request = koffi.struct('sigv4_request', {
  method: 'const char *',
  url: 'const char *',
  headers: 'sigv4_header *',
  header_count: 'size_t',
  payload_kind: 'int',
  body: 'const uint8_t *',
  body_len: 'size_t',
  payload_hash: 'const char *',
});
const Credentials = koffi.struct('sigv4_credentials', {
  access_key_id: 'const char *',
  secret_access_key: 'const char *',
  session_token: 'const char *',
});
const Params = koffi.struct('sigv4_params', {
  region: 'const char *',
  service: 'const char *',
  time_unix: 'uint64_t',
  flags: 'uint32_t',
});
const SignedHeaders = koffi.struct('sigv4_signed_headers', {
  headers: koffi.array(Header, 5),
  count: 'size_t',
});
const Verified = koffi.struct('sigv4_verified', {
  access_key_id: koffi.array('char', 129, 'String'),
  region: koffi.array('char', 129, 'String'),
  service: koffi.array('char', 129, 'String'),
  signed_at_unix: 'uint64_t',
  presigned: 'bool',
  unsigned_payload: 'bool',
  sigv4a: 'bool',
});
const Lookup = koffi.proto('int32_t sigv4_secret_lookup(void *ctx, const char *akid, void *buf, size_t cap, void *len)');
koffi.opaque('sigv4_provider');
koffi.opaque('sigv4_owned_credentials');

const sign = lib.func('int sigv4_sign(const sigv4_request *req, const sigv4_credentials *creds, const sigv4_params *params, _Out_ uint8_t *buf, size_t buf_len, _Out_ size_t *needed, _Out_ sigv4_signed_headers *out)');
const presign = lib.func('int sigv4_presign(const sigv4_request *req, const sigv4_credentials *creds, const sigv4_params *params, uint64_t expires, _Out_ uint8_t *buf, size_t buf_len, _Out_ size_t *needed)');
const verify = lib.func('int sigv4_verify(const sigv4_request *req, uint64_t now, uint32_t flags, sigv4_secret_lookup *lookup, void *ctx, _Out_ sigv4_verified *out)');
const lastError = lib.func('const char *sigv4_last_error(void)');
const statusName = lib.func('const char *sigv4_status_name(int status)');
const providerDefault = lib.func('int sigv4_provider_default(const char *profile, _Out_ sigv4_provider **out)');
const providerCredentials = lib.func('int sigv4_provider_credentials(const sigv4_provider *p, _Out_ sigv4_owned_credentials **out)');
const credentialsView = lib.func('int sigv4_owned_credentials_view(const sigv4_owned_credentials *c, _Out_ sigv4_credentials *out)');
const credentialsExpiry = lib.func('int64_t sigv4_owned_credentials_expiry(const sigv4_owned_credentials *c)');
const credentialsFree = lib.func('void sigv4_owned_credentials_free(sigv4_owned_credentials *c)');
const providerFree = lib.func('void sigv4_provider_free(sigv4_provider *p)');

const OK = 0, INVALID_ARGUMENT = 3, BUFFER_TOO_SMALL = 4, SIGNATURE_MISMATCH = 9;
const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const CREDS = { access_key_id: AKID, secret_access_key: SECRET, session_token: null };
const PARAMS = { region: 'us-east-1', service: 'service', time_unix: 1440938160, flags: 0 };

function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL ${what} (last error: ${lastError()})`);
  }
}

function expected(name) {
  return fs.readFileSync(path.join(suiteDir, 'get-vanilla', name), 'utf8').trim();
}

function request(method, url, headers, body) {
  const b = body ? Buffer.from(body) : null;
  return {
    method,
    url,
    headers: headers.map(([name, value]) => ({ name, value })),
    header_count: headers.length,
    payload_kind: 0,
    body: b,
    body_len: b ? b.length : 0,
    payload_hash: null,
  };
}

// Signs; returns [status, headers to add].
function signRequest(req) {
  const buf = Buffer.alloc(2048);
  const needed = [0];
  const out = {};
  const st = sign(req, CREDS, PARAMS, buf, buf.length, needed, out);
  const headers = {};
  if (st === OK) {
    for (let i = 0; i < out.count; i++) headers[out.headers[i].name] = out.headers[i].value;
  }
  return [st, headers];
}

const host = [['Host', 'example.amazonaws.com']];

// Sign the suite's get-vanilla.
let [st, headers] = signRequest(request('GET', 'https://example.amazonaws.com/', host));
check(st === OK, 'sign get-vanilla');
check((headers.Authorization || '').endsWith('Signature=' + expected('header-signature.txt')), 'get-vanilla signature');

// Presign: the length first, then the URL.
const needed = [0];
st = presign(request('GET', 'https://example.amazonaws.com/', host), CREDS, PARAMS, 3600, null, 0, needed);
check(st === BUFFER_TOO_SMALL && needed[0] > 0, 'presign length');
const urlBuf = Buffer.alloc(needed[0]);
st = presign(request('GET', 'https://example.amazonaws.com/', host), CREDS, PARAMS, 3600, urlBuf, urlBuf.length, needed);
const url = urlBuf.toString('utf8').replace(/\0.*$/s, '');
check(st === OK && url.includes('X-Amz-Signature=' + expected('query-signature.txt')), 'presign ' + url);

// Verify a signed POST and a tampered one.
const form = [['Content-Type', 'application/x-www-form-urlencoded'], ['Host', 'example.amazonaws.com']];
[st, headers] = signRequest(request('POST', 'https://example.amazonaws.com/', form, 'Param1=value1'));
check(st === OK, 'sign POST');
const received = form.concat(Object.entries(headers));
const lookup = koffi.register((ctx, akid, buf, cap, len) => {
  if (akid !== AKID) return 1;
  const secret = Buffer.from(SECRET);
  koffi.encode(buf, koffi.array('uint8_t', secret.length), Array.from(secret));
  koffi.encode(len, 'size_t', secret.length);
  return 0;
}, koffi.pointer(Lookup));
const v = {};
st = verify(request('POST', 'https://example.amazonaws.com/', received, 'Param1=value1'), 1440938165, 0, lookup, null, v);
check(st === OK && v.access_key_id === AKID, 'verify ' + st);
st = verify(request('POST', 'https://example.amazonaws.com/', received, 'Param1=value2'), 1440938165, 0, lookup, null, v);
check(st === SIGNATURE_MISMATCH, 'verify tampered ' + st);
koffi.unregister(lookup);

// Credentials from the environment (set by the caller) through the
// default provider.
const provider = [null];
check(providerDefault(null, provider) === OK, 'default provider');
const owned = [null];
check(providerCredentials(provider[0], owned) === OK, 'credentials');
const view = {};
check(credentialsView(owned[0], view) === OK, 'view');
check(view.access_key_id === process.env.AWS_ACCESS_KEY_ID, 'environment credentials ' + view.access_key_id);
check(Number(credentialsExpiry(owned[0])) === -1, 'no expiry');
credentialsFree(owned[0]);
providerFree(provider[0]);

// The error path: a malformed URL.
[st] = signRequest(request('GET', 'not a url', host));
check(st === INVALID_ARGUMENT, 'malformed URL status ' + st);
check(statusName(st) === 'SIGV4_STATUS_INVALID_ARGUMENT', 'status name');
check(lastError().includes('URL'), 'last error names the URL');

console.log(`node: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
