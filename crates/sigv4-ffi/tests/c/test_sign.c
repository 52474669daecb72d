/* Tests of the C ABI from C: the official suite's get-vanilla and
 * post-x-www-form-urlencoded cases (expected signatures read from the
 * suite's files), presigning, verification, the signer handle, the
 * provider, the Vault payload, and the error conventions (NULL pointers,
 * invalid UTF-8, buffer too small). Prints "N passed, N failed".
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
  sigv4_params params = {"us-east-1", "service", T, content_sha256, false};
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
  sigv4_params params = {"us-east-1", "service", T, false, false};
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
  st = sigv4_verify(&received, T + 10, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_OK, "verify: %s", sigv4_status_name(st));
  CHECK(strcmp(v.access_key_id, "AKIDEXAMPLE") == 0 && strcmp(v.region, "us-east-1") == 0 &&
            strcmp(v.service, "service") == 0 && v.signed_at_unix == T && !v.presigned,
        "verify: fields");
  /* A changed body. */
  static const char other[] = "Param1=value2";
  received.body = (const uint8_t *)other;
  st = sigv4_verify(&received, T + 10, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_SIGNATURE_MISMATCH, "verify tampered: %s", sigv4_status_name(st));
  received.body = (const uint8_t *)POST_BODY;
  /* Too late. */
  st = sigv4_verify(&received, T + 3600, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_EXPIRED, "verify late: %s", sigv4_status_name(st));
  /* Unknown key. */
  sigv4_credentials other_creds = {"AKIDOTHER", "secret", NULL};
  st = sigv4_sign(&req, &other_creds, &params, buf, sizeof buf, &needed, &out);
  n = 3;
  for (size_t i = 0; i < out.count; i++) all[n++] = out.headers[i];
  received.header_count = n;
  st = sigv4_verify(&received, T, lookup, NULL, &v);
  CHECK(st == SIGV4_STATUS_UNKNOWN_ACCESS_KEY, "verify unknown: %s", sigv4_status_name(st));
}

static void check_presign(void) {
  sigv4_request req = {"GET", "https://example.amazonaws.com/", GET_HEADERS, 1,
                       SIGV4_PAYLOAD_KIND_BYTES, NULL, 0, NULL};
  sigv4_params params = {"us-east-1", "service", T, false, false};
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
  sigv4_params params = {"us-east-1", "service", T, false, false};
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
  sigv4_params params = {"us-east-1", "service", T, false, false};
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
  check_provider();
  check_vault();
  printf("c: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
