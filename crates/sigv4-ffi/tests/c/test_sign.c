/* Tests of the C ABI from C: the official suite's get-vanilla and
 * post-x-www-form-urlencoded cases (expected signatures read from the
 * suite's files), presigning, verification, the signer handle, the
 * provider, the Vault payload, and the error conventions (NULL pointers,
 * invalid UTF-8, buffer too small, out-of-range integers for every enum
 * and flag field), the body authenticated under a signed
 * x-amz-content-sha256, and the secret lookup's contract.
 * Prints "N passed, N failed".
 *
 * usage: test_sign SUITE_V4_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

static int passed, failed;

#define CHECK(cond, ...)                                    \
  do {                                                      \
    if (cond) {                                             \
      passed++;                                             \
    } else {                                                \
      failed++;                                             \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
      fprintf(stderr, __VA_ARGS__);                         \
      fprintf(stderr, " (last error: %s)\n", sigv4_last_error()); \
    }                                                       \
  } while (0)

static const char *suite;

/* The first line of SUITE/case/file, trailing whitespace removed. */
static char *expected(const char *name, const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/%s", suite, name, file);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
  return buf;
}

static const sigv4_credentials CREDS = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
/* 2015-08-30T12:36:00Z, the suite's time. */
static const uint64_t T = 1440938160;

static const sigv4_header GET_HEADERS[] = {{"Host", "example.amazonaws.com"}};
static const sigv4_header POST_HEADERS[] = {
    {"Content-Type", "application/x-www-form-urlencoded"},
    {"Host", "example.amazonaws.com"},
    {"Content-Length", "13"}};
static const char POST_BODY[] = "Param1=value1";

static sigv4_request get_vanilla(void) {
  sigv4_request r = {"GET", "https://example.amazonaws.com/", GET_HEADERS, 1,
                     SIGV4_PAYLOAD_KIND_BYTES, NULL, 0, NULL};
  return r;
}

static sigv4_request post_form(void) {
  sigv4_request r = {"POST", "https://example.amazonaws.com/", POST_HEADERS, 3,
                     SIGV4_PAYLOAD_KIND_BYTES, (const uint8_t *)POST_BODY,
                     strlen(POST_BODY), NULL};
  return r;
}

static const char *find(const sigv4_signed_headers *h, const char *name) {
  for (size_t i = 0; i < h->count; i++)
    if (strcmp(h->headers[i].name, name) == 0) return h->headers[i].value;
  return NULL;
}

static int ends_with_signature(const char *auth, const char *sig) {
  const char *p = auth ? strstr(auth, "Signature=") : NULL;
  return p && strcmp(p + strlen("Signature="), sig) == 0;
}

static void check_case(const char *name, sigv4_request req, bool content_sha256,
                       sigv4_signer *signer) {
  sigv4_params params = {"us-east-1", "service", T,
                         content_sha256 ? SIGV4_FLAG_CONTENT_SHA256_HEADER : 0};
  char buf[2048];
  size_t needed = 0;
  sigv4_signed_headers out;
  sigv4_status st = signer
      ? sigv4_signer_sign(signer, &req, &CREDS, &params, buf, sizeof buf, &needed, &out)
      : sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK, "%s: sign returned %s", name, sigv4_status_name(st));
  if (st != SIGV4_STATUS_OK) return;
  const char *sig = expected(name, "header-signature.txt");
  CHECK(ends_with_signature(find(&out, "Authorization"), sig),
        "%s: Authorization %s does not end with %s", name, find(&out, "Authorization"), sig);
  CHECK(find(&out, "X-Amz-Date") && strcmp(find(&out, "X-Amz-Date"), "20150830T123600Z") == 0,
        "%s: X-Amz-Date", name);
  CHECK((find(&out, "X-Amz-Content-Sha256") != NULL) == content_sha256,
        "%s: content sha256 header", name);
  CHECK(needed > 0 && needed <= sizeof buf, "%s: needed %zu", name, needed);
}

static int lookup(void *ctx, const char *akid, char *secret, size_t cap, size_t *len) {
  (void)ctx;
  if (strcmp(akid, CREDS.access_key_id) != 0) return 1;
  size_t n = strlen(CREDS.secret_access_key);
  if (n > cap) return 1;
  memcpy(secret, CREDS.secret_access_key, n);
  *len = n;
  return 0;
}

static void check_verify(void) {
  sigv4_request req = post_form();
  sigv4_params params = {"us-east-1", "service", T, 0};
  char buf[2048];
  size_t needed;
  sigv4_signed_headers out;
  sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK, "verify: sign");
  /* The request as received: its headers plus the signed ones. */
  sigv4_header all[8];
  size_t n = 0;
  for (size_t i = 0; i < 3; i++) all[n++] = POST_HEADERS[i];
  for (size_t i = 0; i < out.count; i++) all[n++] = out.headers[i];
  sigv4_request received = req;
  received.headers = all;
  received.header_count = n;
  sigv4_verified v;
  st = sigv4_verify(&received, T + 10, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK, "verify: %s", sigv4_status_name(st));
  CHECK(strcmp(v.access_key_id, "AKIDEXAMPLE") == 0 && strcmp(v.region, "us-east-1") == 0 &&
            strcmp(v.service, "service") == 0 && v.signed_at_unix == T && !v.presigned,
        "verify: fields");
  /* A changed body. */
  static const char other[] = "Param1=value2";
  received.body = (const uint8_t *)other;
  st = sigv4_verify(&received, T + 10, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_SIGNATURE_MISMATCH, "verify tampered: %s", sigv4_status_name(st));
  received.body = (const uint8_t *)POST_BODY;
  /* Too late. */
  st = sigv4_verify(&received, T + 3600, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_EXPIRED, "verify late: %s", sigv4_status_name(st));
  /* Unknown key. */
  sigv4_credentials other_creds = {"AKIDOTHER", "secret", NULL};
  st = sigv4_sign(&req, &other_creds, &params, buf, sizeof buf, &needed, &out);
  n = 3;
  for (size_t i = 0; i < out.count; i++) all[n++] = out.headers[i];
  received.header_count = n;
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_UNKNOWN_ACCESS_KEY, "verify unknown: %s", sigv4_status_name(st));
}

static void check_presign(void) {
  sigv4_request req = {"GET", "https://example.amazonaws.com/", GET_HEADERS, 1,
                       SIGV4_PAYLOAD_KIND_BYTES, NULL, 0, NULL};
  sigv4_params params = {"us-east-1", "service", T, 0};
  size_t needed = 0;
  /* Length query first. */
  sigv4_status st = sigv4_presign(&req, &CREDS, &params, 3600, NULL, 0, &needed);
  CHECK(st == SIGV4_STATUS_BUFFER_TOO_SMALL && needed > 0, "presign length query");
  char *url = malloc(needed);
  st = sigv4_presign(&req, &CREDS, &params, 3600, url, needed, &needed);
  CHECK(st == SIGV4_STATUS_OK, "presign: %s", sigv4_status_name(st));
  char want[200];
  snprintf(want, sizeof want, "X-Amz-Signature=%s", expected("get-vanilla", "query-signature.txt"));
  CHECK(strstr(url, want) != NULL, "presign: %s lacks %s", url, want);
  CHECK(strncmp(url, "https://example.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&", 64) == 0,
        "presign url %s", url);
  free(url);
}

static void check_errors(void) {
  sigv4_request req = get_vanilla();
  sigv4_params params = {"us-east-1", "service", T, 0};
  char buf[2048];
  size_t needed = 0;
  sigv4_signed_headers out;
  sigv4_status st = sigv4_sign(NULL, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_NULL_POINTER && strstr(sigv4_last_error(), "request") != NULL,
        "NULL request: %s", sigv4_status_name(st));
  st = sigv4_sign(&req, NULL, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_NULL_POINTER, "NULL credentials");
  st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, NULL);
  CHECK(st == SIGV4_STATUS_NULL_POINTER, "NULL out");
  sigv4_credentials bad_secret = {"AKIDEXAMPLE", NULL, NULL};
  st = sigv4_sign(&req, &bad_secret, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_NULL_POINTER && strstr(sigv4_last_error(), "secret_access_key"),
        "NULL secret");
  sigv4_request bad = req;
  bad.method = "G\xff\xfeT";
  st = sigv4_sign(&bad, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_INVALID_UTF8, "invalid UTF-8: %s", sigv4_status_name(st));
  sigv4_header bad_header[] = {{"Host", "example.amazonaws.com\xc3"}};
  bad = req;
  bad.headers = bad_header;
  st = sigv4_sign(&bad, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_INVALID_UTF8, "invalid UTF-8 header: %s", sigv4_status_name(st));
  bad = req;
  bad.url = "not a url";
  st = sigv4_sign(&bad, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT && strlen(sigv4_last_error()) > 0, "bad URL");
  /* Buffer too small: nothing written, needed set; then it fits. */
  char small[16];
  memset(small, 'x', sizeof small);
  st = sigv4_sign(&req, &CREDS, &params, small, sizeof small, &needed, &out);
  CHECK(st == SIGV4_STATUS_BUFFER_TOO_SMALL && needed > sizeof small, "small buffer: %zu", needed);
  CHECK(small[0] == 'x', "small buffer untouched");
  char *exact = malloc(needed);
  st = sigv4_sign(&req, &CREDS, &params, exact, needed, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK && ends_with_signature(find(&out, "Authorization"),
                                                     expected("get-vanilla", "header-signature.txt")),
        "exact buffer");
  free(exact);
  CHECK(strlen(sigv4_last_error()) == 0, "error cleared after success");
  sigv4_signer_free(NULL);
  sigv4_provider_free(NULL);
  sigv4_owned_credentials_free(NULL);
}

static void check_provider(void) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
  setenv("AWS_SESSION_TOKEN", "token-from-env", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
  sigv4_provider *p = NULL;
  sigv4_status st = sigv4_provider_default(NULL, &p);
  CHECK(st == SIGV4_STATUS_OK && p != NULL, "default provider");
  sigv4_owned_credentials *c = NULL;
  st = sigv4_provider_credentials(p, &c);
  CHECK(st == SIGV4_STATUS_OK, "credentials: %s", sigv4_status_name(st));
  sigv4_credentials view;
  st = sigv4_owned_credentials_view(c, &view);
  CHECK(st == SIGV4_STATUS_OK && strcmp(view.access_key_id, "AKIDEXAMPLE") == 0 &&
            strcmp(view.session_token, "token-from-env") == 0,
        "view");
  CHECK(sigv4_owned_credentials_expiry(c) == -1, "no expiry");
  /* Sign with them: the token is added. */
  sigv4_request req = get_vanilla();
  sigv4_params params = {"us-east-1", "service", T, 0};
  char buf[2048];
  size_t needed;
  sigv4_signed_headers out;
  st = sigv4_sign(&req, &view, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK && find(&out, "X-Amz-Security-Token") &&
            strcmp(find(&out, "X-Amz-Security-Token"), "token-from-env") == 0,
        "token header");
  sigv4_owned_credentials_free(c);
  sigv4_provider_free(p);
  /* A named profile that does not exist: an error with a message. */
  p = NULL;
  st = sigv4_provider_profile("no-such-profile", &p);
  CHECK(st == SIGV4_STATUS_OK, "profile provider");
  c = NULL;
  st = sigv4_provider_credentials(p, &c);
  CHECK(st == SIGV4_STATUS_CREDENTIALS && c == NULL && strstr(sigv4_last_error(), "no-such-profile"),
        "missing profile: %s", sigv4_status_name(st));
  sigv4_provider_free(p);
}

static void check_vault(void) {
  size_t needed = 0;
  sigv4_status st = sigv4_vault_login_payload(&CREDS, "dev", NULL, "vault.example.com", T, NULL, 0, &needed);
  CHECK(st == SIGV4_STATUS_BUFFER_TOO_SMALL && needed > 100, "vault length query");
  char *json = malloc(needed);
  st = sigv4_vault_login_payload(&CREDS, "dev", NULL, "vault.example.com", T, json, needed, &needed);
  CHECK(st == SIGV4_STATUS_OK && strncmp(json, "{\"role\":\"dev\",\"iam_http_request_method\":\"POST\"", 46) == 0,
        "vault payload %s", json);
  CHECK(strstr(json, "\"iam_request_headers\":\"") != NULL, "vault headers");
  free(json);
}

/* The request as received: `extra` headers, then the signed ones. */
static size_t received_headers(sigv4_header *all, const sigv4_header *extra, size_t n_extra,
                               const sigv4_signed_headers *out) {
  size_t n = 0;
  for (size_t i = 0; i < n_extra; i++) all[n++] = extra[i];
  for (size_t i = 0; i < out->count; i++) all[n++] = out->headers[i];
  return n;
}

/* The security fix: a body changed under a signed x-amz-content-sha256 is
 * refused; UNSIGNED-PAYLOAD only when allowed. */
static void check_body_authenticated(void) {
  sigv4_request req = post_form();
  sigv4_params params = {"us-east-1", "es", T, SIGV4_FLAG_CONTENT_SHA256_HEADER};
  char buf[2048];
  size_t needed;
  sigv4_signed_headers out;
  sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK && find(&out, "X-Amz-Content-Sha256"), "sign with hash header");
  sigv4_header all[8];
  sigv4_request received = req;
  received.headers = all;
  received.header_count = received_headers(all, POST_HEADERS, 3, &out);
  sigv4_verified v;
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK && !v.unsigned_payload, "hash header: %s", sigv4_status_name(st));
  static const char changed[] = "Param1=VALUE1";
  received.body = (const uint8_t *)changed;
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_PAYLOAD_HASH_MISMATCH, "changed body: %s", sigv4_status_name(st));
  CHECK(strcmp(sigv4_last_error(), "payload hash mismatch: the body is not the one that was signed") == 0,
        "mismatch message");
  CHECK(strcmp(sigv4_status_name(SIGV4_STATUS_PAYLOAD_HASH_MISMATCH),
               "SIGV4_STATUS_PAYLOAD_HASH_MISMATCH") == 0, "mismatch name");
  /* The same through a hash the server computed. */
  received.payload_kind = SIGV4_PAYLOAD_KIND_PRECOMPUTED;
  received.payload_hash = find(&out, "X-Amz-Content-Sha256");
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK, "precomputed right: %s", sigv4_status_name(st));
  received.payload_hash = "0000000000000000000000000000000000000000000000000000000000000000";
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_PAYLOAD_HASH_MISMATCH, "precomputed wrong: %s", sigv4_status_name(st));

  /* UNSIGNED-PAYLOAD in the header. */
  sigv4_request unsigned_req = post_form();
  unsigned_req.payload_kind = SIGV4_PAYLOAD_KIND_UNSIGNED;
  st = sigv4_sign(&unsigned_req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK && strcmp(find(&out, "X-Amz-Content-Sha256"), "UNSIGNED-PAYLOAD") == 0,
        "sign unsigned");
  received = post_form();
  received.headers = all;
  received.header_count = received_headers(all, POST_HEADERS, 3, &out);
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_UNSIGNED_PAYLOAD, "unsigned refused: %s", sigv4_status_name(st));
  st = sigv4_verify(&received, T, SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK && v.unsigned_payload, "unsigned allowed: %s", sigv4_status_name(st));
}

static int lookup_fails(void *ctx, const char *akid, char *secret, size_t cap, size_t *len) {
  (void)ctx; (void)akid; (void)secret; (void)cap; (void)len;
  return 7;
}

static int lookup_too_long(void *ctx, const char *akid, char *secret, size_t cap, size_t *len) {
  (void)ctx; (void)akid; (void)secret;
  *len = cap + 1;
  return 0;
}

static int lookup_cap;
static int lookup_records_cap(void *ctx, const char *akid, char *secret, size_t cap, size_t *len) {
  lookup_cap = (int)cap;
  return lookup(ctx, akid, secret, cap, len);
}

/* Every integer C can put in an enum or flag field is checked. */
static void check_out_of_range(void) {
  sigv4_params params = {"us-east-1", "service", T, 0};
  char buf[2048];
  size_t needed;
  sigv4_signed_headers out;
  sigv4_verified v;
  const int kinds[] = {3, 7, 9, -1, 1000000};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    sigv4_request req = get_vanilla();
    req.payload_kind = kinds[i];
    sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
    CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT && strstr(sigv4_last_error(), "payload_kind"),
          "payload_kind %d sign: %s", kinds[i], sigv4_status_name(st));
    st = sigv4_presign(&req, &CREDS, &params, 60, buf, sizeof buf, &needed);
    CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT, "payload_kind %d presign", kinds[i]);
    st = sigv4_verify(&req, T, 0, lookup, NULL, &v);
    CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT, "payload_kind %d verify", kinds[i]);
  }
  const int names[] = {-1, 15, 99, 1 << 30};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    CHECK(strcmp(sigv4_status_name(names[i]), "unknown") == 0, "status name %d", names[i]);
  for (int s = 0; s <= 14; s++)
    CHECK(strncmp(sigv4_status_name(s), "SIGV4_STATUS_", 13) == 0, "status name %d", s);
  CHECK(strcmp(sigv4_status_name(SIGV4_STATUS_EXPIRED), "SIGV4_STATUS_EXPIRED") == 0, "expired name");
  /* Flags a function does not take, and unknown bits. */
  sigv4_request req = get_vanilla();
  const uint32_t bad_sign[] = {SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD, 1u << 6, 1u << 31};
  for (size_t i = 0; i < 3; i++) {
    params.flags = bad_sign[i];
    sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
    CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT && strstr(sigv4_last_error(), "flags"),
          "sign flags 0x%x: %s", bad_sign[i], sigv4_status_name(st));
  }
  params.flags = 0;
  const uint32_t bad_verify[] = {SIGV4_FLAG_S3_RULES, SIGV4_FLAG_CONTENT_SHA256_HEADER,
                                 SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING, 1u << 31};
  for (size_t i = 0; i < 4; i++) {
    sigv4_status st = sigv4_verify(&req, T, bad_verify[i], lookup, NULL, &v);
    CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT, "verify flags 0x%x: %s", bad_verify[i],
          sigv4_status_name(st));
  }
}

/* The smaller defects of the review, each fixed. */
static void check_abi_contracts(void) {
  sigv4_params params = {"us-east-1", "service", T, 0};
  char buf[2048];
  size_t needed = 0;
  sigv4_signed_headers out;
  sigv4_request req = get_vanilla();
  /* A precomputed hash must be 64 lower-case hex digits. */
  const char *bad_hashes[] = {"abc", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
                              "UNSIGNED-PAYLOAD"};
  for (size_t i = 0; i < 4; i++) {
    req.payload_kind = SIGV4_PAYLOAD_KIND_PRECOMPUTED;
    req.payload_hash = bad_hashes[i];
    sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
    CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT && strstr(sigv4_last_error(), "64 lower-case hex"),
          "bad precomputed %s: %s", bad_hashes[i], sigv4_status_name(st));
  }
  req.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK && ends_with_signature(find(&out, "Authorization"),
                                                     expected("get-vanilla", "header-signature.txt")),
        "precomputed empty hash signs get-vanilla");
  req = get_vanilla();
  /* buf NULL with a length is a NULL pointer, not "too small". */
  st = sigv4_sign(&req, &CREDS, &params, NULL, 10000, &needed, &out);
  CHECK(st == SIGV4_STATUS_NULL_POINTER && strstr(sigv4_last_error(), "buf is NULL"),
        "NULL buf with length: %s", sigv4_status_name(st));
  st = sigv4_presign(&req, &CREDS, &params, 60, NULL, 10000, &needed);
  CHECK(st == SIGV4_STATUS_NULL_POINTER, "presign NULL buf with length");
  /* needed is required. */
  st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, NULL, &out);
  CHECK(st == SIGV4_STATUS_NULL_POINTER && strstr(sigv4_last_error(), "needed"),
        "NULL needed: %s", sigv4_status_name(st));
  st = sigv4_vault_login_payload(&CREDS, "dev", NULL, NULL, T, buf, sizeof buf, NULL);
  CHECK(st == SIGV4_STATUS_NULL_POINTER, "vault NULL needed");
  /* A raw UTF-8 URL is refused with a message that says so. */
  req.url = "https://example.amazonaws.com/caf\xc3\xa9";
  st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT && strstr(sigv4_last_error(), "non-ASCII"),
        "raw UTF-8 URL: %s", sigv4_last_error());
  req = get_vanilla();

  /* The secret lookup's contract. */
  sigv4_signed_headers signed_out;
  st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &signed_out);
  sigv4_header all[8];
  sigv4_request received = req;
  received.headers = all;
  received.header_count = received_headers(all, GET_HEADERS, 1, &signed_out);
  sigv4_verified v;
  st = sigv4_verify(&received, T, 0, lookup_records_cap, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK && lookup_cap == SIGV4_SECRET_MAX_LEN, "lookup buffer %d", lookup_cap);
  st = sigv4_verify(&received, T, 0, lookup_fails, NULL, &v);
  CHECK(st == SIGV4_STATUS_CREDENTIALS && strstr(sigv4_last_error(), "returned 7"),
        "lookup failure: %s", sigv4_status_name(st));
  st = sigv4_verify(&received, T, 0, lookup_too_long, NULL, &v);
  CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT && strstr(sigv4_last_error(), "secret_len"),
        "lookup too long: %s", sigv4_status_name(st));
}

/* What the Rust API could do and the ABI could not: path rules and the
 * session token's place. */
static void check_flags(void) {
  char buf[2048], buf2[2048];
  size_t needed;
  sigv4_signed_headers a, b;
  sigv4_header host[] = {{"Host", "example.amazonaws.com"}};
  sigv4_request req = {"GET", "https://example.amazonaws.com/a/./b%20c/d", host, 1,
                       SIGV4_PAYLOAD_KIND_BYTES, NULL, 0, NULL};
  const uint32_t path_flags[] = {0, SIGV4_FLAG_NO_PATH_NORMALIZATION, SIGV4_FLAG_SINGLE_PATH_ENCODING,
                                 SIGV4_FLAG_NO_PATH_NORMALIZATION | SIGV4_FLAG_SINGLE_PATH_ENCODING};
  const char *auths[4];
  static char copies[4][512];
  for (size_t i = 0; i < 4; i++) {
    sigv4_params params = {"us-east-1", "service", T, path_flags[i]};
    sigv4_status st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &a);
    CHECK(st == SIGV4_STATUS_OK, "path flags %u: %s", path_flags[i], sigv4_status_name(st));
    snprintf(copies[i], sizeof copies[i], "%s", find(&a, "Authorization"));
    auths[i] = copies[i];
    /* Verified with the same rules, refused with the others. */
    sigv4_header all[8];
    sigv4_request received = req;
    received.headers = all;
    received.header_count = received_headers(all, host, 1, &a);
    sigv4_verified v;
    for (size_t j = 0; j < 4; j++) {
      st = sigv4_verify(&received, T, path_flags[j], lookup, NULL, &v);
      if (i == j)
        CHECK(st == SIGV4_STATUS_OK, "verify path flags %u: %s", path_flags[j], sigv4_status_name(st));
      else
        CHECK(st == SIGV4_STATUS_SIGNATURE_MISMATCH, "verify %u with %u: %s", path_flags[i],
              path_flags[j], sigv4_status_name(st));
    }
  }
  for (size_t i = 0; i < 4; i++)
    for (size_t j = i + 1; j < 4; j++)
      CHECK(strcmp(auths[i], auths[j]) != 0, "path flags %zu and %zu sign differently", i, j);
  /* The session token appended after signing: not in SignedHeaders, and
   * the signature is the one without a token. */
  sigv4_credentials with_token = {CREDS.access_key_id, CREDS.secret_access_key, "TOKEN"};
  sigv4_request vanilla = get_vanilla();
  sigv4_params after = {"us-east-1", "service", T, SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING};
  sigv4_status st = sigv4_sign(&vanilla, &with_token, &after, buf, sizeof buf, &needed, &a);
  CHECK(st == SIGV4_STATUS_OK && find(&a, "X-Amz-Security-Token") &&
            strstr(find(&a, "Authorization"), "x-amz-security-token") == NULL &&
            ends_with_signature(find(&a, "Authorization"), expected("get-vanilla", "header-signature.txt")),
        "token after signing");
  sigv4_params signed_token = {"us-east-1", "service", T, 0};
  st = sigv4_sign(&vanilla, &with_token, &signed_token, buf2, sizeof buf2, &needed, &b);
  CHECK(st == SIGV4_STATUS_OK && strstr(find(&b, "Authorization"), "x-amz-security-token") != NULL,
        "token signed by default");
}

/* Hex digits of "KEY":"…" in a small JSON text into `out`. */
static void json_hex(const char *json, const char *key, uint8_t *out, size_t n) {
  char pat[16];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(json, pat);
  if (!p) { fprintf(stderr, "no %s in %s\n", key, json); exit(2); }
  p += strlen(pat);
  for (size_t i = 0; i < n; i++) {
    unsigned b;
    sscanf(p + 2 * i, "%2x", &b);
    out[i] = (uint8_t)b;
  }
}

/* SigV4a: the derived public key is the suite's; sign, presign and verify
 * (with the secret and with the public key); the suite's own signed
 * request verifies. */
static void check_v4a(void) {
  char v4a_suite[1024];
  snprintf(v4a_suite, sizeof v4a_suite, "%s/../v4a", suite);
  const char *saved = suite;
  suite = v4a_suite;
  uint8_t want[65] = {4};
  const char *pk = expected("get-vanilla", "public-key.json");
  json_hex(pk, "X", want + 1, 32);
  json_hex(pk, "Y", want + 33, 32);
  uint8_t pub[65];
  sigv4_status st = sigv4_v4a_public_key(&CREDS, pub);
  CHECK(st == SIGV4_STATUS_OK && memcmp(pub, want, 65) == 0, "v4a public key");
  sigv4_credentials other_creds = {"AKIDEXAMPLE", "another secret", NULL};
  uint8_t other_pub[65];
  st = sigv4_v4a_public_key(&other_creds, other_pub);
  CHECK(st == SIGV4_STATUS_OK && memcmp(other_pub, pub, 65) != 0, "another key");

  sigv4_request req = get_vanilla();
  sigv4_params params = {"us-east-1", "service", T, 0};
  char buf[2048];
  size_t needed;
  sigv4_signed_headers out;
  st = sigv4_sign_v4a(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  CHECK(st == SIGV4_STATUS_OK, "sign v4a: %s", sigv4_status_name(st));
  const char *auth = find(&out, "Authorization");
  const char *prefix = "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, "
                       "SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=30";
  CHECK(auth && strncmp(auth, prefix, strlen(prefix)) == 0, "v4a Authorization %s", auth);
  CHECK(find(&out, "X-Amz-Region-Set") && strcmp(find(&out, "X-Amz-Region-Set"), "us-east-1") == 0,
        "X-Amz-Region-Set");
  /* Deterministic: the handle signs the same. */
  char auth_copy[512];
  snprintf(auth_copy, sizeof auth_copy, "%s", auth ? auth : "");
  sigv4_signer *signer = sigv4_signer_new();
  char buf2[2048];
  sigv4_signed_headers out2;
  st = sigv4_signer_sign_v4a(signer, &req, &CREDS, &params, buf2, sizeof buf2, &needed, &out2);
  CHECK(st == SIGV4_STATUS_OK && strcmp(find(&out2, "Authorization"), auth_copy) == 0,
        "handle signs the same");

  sigv4_header all[8];
  sigv4_request received = req;
  received.headers = all;
  received.header_count = received_headers(all, GET_HEADERS, 1, &out);
  sigv4_verified v;
  st = sigv4_verify(&received, T, 0, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK && v.sigv4a && strcmp(v.region, "us-east-1") == 0 &&
            strcmp(v.service, "service") == 0,
        "v4a verify with the secret: %s", sigv4_status_name(st));
  st = sigv4_verify_v4a_public_key(&received, T, 0, pub, sizeof pub, &v);
  CHECK(st == SIGV4_STATUS_OK && v.sigv4a, "v4a verify with the public key: %s", sigv4_status_name(st));
  st = sigv4_verify_v4a_public_key(&received, T, 0, other_pub, sizeof other_pub, &v);
  CHECK(st == SIGV4_STATUS_SIGNATURE_MISMATCH, "another public key: %s", sigv4_status_name(st));
  st = sigv4_verify_v4a_public_key(&received, T, 0, pub, 12, &v);
  CHECK(st == SIGV4_STATUS_INVALID_ARGUMENT, "short public key: %s", sigv4_status_name(st));

  /* The suite's signed request (made by the CRT, random nonce). */
  char suite_auth[512];
  const char *signed_req = expected("get-vanilla", "header-signed-request.txt");
  const char *a = strstr(signed_req, "Authorization:");
  CHECK(a != NULL, "suite Authorization");
  if (a) {
    snprintf(suite_auth, sizeof suite_auth, "%s", a + strlen("Authorization:"));
    suite_auth[strcspn(suite_auth, "\r\n")] = 0;
    sigv4_header theirs[] = {{"Host", "example.amazonaws.com"},
                             {"X-Amz-Date", "20150830T123600Z"},
                             {"X-Amz-Region-Set", "us-east-1"},
                             {"Authorization", suite_auth}};
    received.headers = theirs;
    received.header_count = 4;
    st = sigv4_verify_v4a_public_key(&received, T, 0, pub, sizeof pub, &v);
    CHECK(st == SIGV4_STATUS_OK, "the suite's request: %s", sigv4_status_name(st));
  }

  /* Presigned, through the handle. */
  st = sigv4_signer_presign_v4a(signer, &req, &CREDS, &params, 3600, buf, sizeof buf, &needed);
  CHECK(st == SIGV4_STATUS_OK && strstr(buf, "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256") &&
            strstr(buf, "X-Amz-Region-Set=us-east-1"),
        "presign v4a: %s", buf);
  sigv4_request presigned = {"GET", buf, GET_HEADERS, 1, SIGV4_PAYLOAD_KIND_BYTES, NULL, 0, NULL};
  st = sigv4_verify_v4a_public_key(&presigned, T + 60, 0, pub, sizeof pub, &v);
  CHECK(st == SIGV4_STATUS_OK && v.presigned && v.sigv4a, "presigned v4a verifies: %s",
        sigv4_status_name(st));
  sigv4_signer_free(signer);

  /* A public key cannot check SigV4 (HMAC). */
  st = sigv4_sign(&req, &CREDS, &params, buf, sizeof buf, &needed, &out);
  received.headers = all;
  received.header_count = received_headers(all, GET_HEADERS, 1, &out);
  st = sigv4_verify_v4a_public_key(&received, T, 0, pub, sizeof pub, &v);
  CHECK(st == SIGV4_STATUS_MALFORMED, "HMAC with a public key: %s", sigv4_status_name(st));
  suite = saved;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SUITE_V4_DIR\n", argv[0]);
    return 2;
  }
  suite = argv[1];
  check_case("get-vanilla", get_vanilla(), false, NULL);
  check_case("post-x-www-form-urlencoded", post_form(), true, NULL);
  sigv4_signer *signer = sigv4_signer_new();
  CHECK(signer != NULL, "signer");
  for (int i = 0; i < 3; i++) {
    check_case("get-vanilla", get_vanilla(), false, signer);
    check_case("post-x-www-form-urlencoded", post_form(), true, signer);
  }
  sigv4_signer_free(signer);
  check_presign();
  check_verify();
  check_errors();
  check_body_authenticated();
  check_out_of_range();
  check_abi_contracts();
  check_flags();
  check_provider();
  check_vault();
  check_v4a();
  printf("c: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
