// The C ABI from Go (cgo), linked with the static library found through
// pkg-config (`scripts/install-ffi PREFIX`, then
// PKG_CONFIG_PATH=PREFIX/lib/pkgconfig go build). Prints "go: N passed,
// N failed" and exits 1 on a failure.
//
// usage: sigv4-ffi-go-test SUITE_V4_DIR
package main

/*
#cgo pkg-config: sigv4
#cgo LDFLAGS: -Wl,--push-state,-Bstatic -lsigv4 -Wl,--pop-state -lpthread -ldl -lm
#include <stdlib.h>
#include <sigv4.h>

int32_t goLookup(void *ctx, char *akid, char *buf, size_t cap, size_t *len);
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"
)

var passed, failed int

func check(ok bool, what string) {
	if ok {
		passed++
		return
	}
	failed++
	fmt.Fprintf(os.Stderr, "FAIL %s (last error: %s)\n", what, C.GoString(C.sigv4_last_error()))
}

func expected(suite, name string) string {
	b, err := os.ReadFile(filepath.Join(suite, "get-vanilla", name))
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}

const (
	akid   = "AKIDEXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	t0     = 1440938160 // 2015-08-30T12:36:00Z
)

// A request whose C strings live until free is called.
type request struct {
	c    *C.sigv4_request
	free []unsafe.Pointer
}

func (r *request) str(s string) *C.char {
	p := C.CString(s)
	r.free = append(r.free, unsafe.Pointer(p))
	return p
}

func newRequest(method, url string, headers [][2]string) *request {
	r := &request{}
	c := (*C.sigv4_request)(C.calloc(1, C.size_t(unsafe.Sizeof(C.sigv4_request{}))))
	r.free = append(r.free, unsafe.Pointer(c))
	c.method = r.str(method)
	c.url = r.str(url)
	if len(headers) > 0 {
		size := C.size_t(unsafe.Sizeof(C.sigv4_header{}))
		arr := (*[16]C.sigv4_header)(C.calloc(C.size_t(len(headers)), size))
		r.free = append(r.free, unsafe.Pointer(arr))
		for i, h := range headers {
			arr[i].name = r.str(h[0])
			arr[i].value = r.str(h[1])
		}
		c.headers = &arr[0]
		c.header_count = C.size_t(len(headers))
	}
	c.payload_kind = C.SIGV4_PAYLOAD_KIND_BYTES
	r.c = c
	return r
}

func (r *request) close() {
	for _, p := range r.free {
		C.free(p)
	}
}

func credentials(r *request) *C.sigv4_credentials {
	c := (*C.sigv4_credentials)(C.calloc(1, C.size_t(unsafe.Sizeof(C.sigv4_credentials{}))))
	r.free = append(r.free, unsafe.Pointer(c))
	c.access_key_id = r.str(akid)
	c.secret_access_key = r.str(secret)
	return c
}

func params(r *request, service string) *C.sigv4_params {
	p := (*C.sigv4_params)(C.calloc(1, C.size_t(unsafe.Sizeof(C.sigv4_params{}))))
	r.free = append(r.free, unsafe.Pointer(p))
	p.region = r.str("us-east-1")
	p.service = r.str(service)
	p.time_unix = t0
	return p
}

// sign returns the status and the headers to add.
func sign(r *request) (C.enum_sigv4_status, map[string]string) {
	buf := make([]byte, 2048)
	var needed C.size_t
	var out C.sigv4_signed_headers
	st := C.sigv4_sign(r.c, credentials(r), params(r, "service"),
		(*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &needed, &out)
	headers := map[string]string{}
	if st == C.SIGV4_STATUS_OK {
		for i := 0; i < int(out.count); i++ {
			headers[C.GoString(out.headers[i].name)] = C.GoString(out.headers[i].value)
		}
	}
	return st, headers
}

//export goLookup
func goLookup(ctx unsafe.Pointer, key *C.char, buf *C.char, cap C.size_t, n *C.size_t) C.int32_t {
	if C.GoString(key) != akid {
		return 1
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(cap))
	*n = C.size_t(copy(dst, secret))
	return 0
}

func verify(method string, headers [][2]string, body string) C.enum_sigv4_status {
	r := newRequest(method, "https://example.amazonaws.com/", headers)
	defer r.close()
	if body != "" {
		b := C.CBytes([]byte(body))
		r.free = append(r.free, b)
		r.c.body = (*C.uint8_t)(b)
		r.c.body_len = C.size_t(len(body))
	}
	var v C.sigv4_verified
	st := C.sigv4_verify(r.c, t0+5, 0, C.sigv4_secret_lookup(C.goLookup), nil, &v)
	if st == C.SIGV4_STATUS_OK {
		check(C.GoString(&v.access_key_id[0]) == akid, "verified access key id")
	}
	return st
}

func main() {
	suite := os.Args[1]
	host := [][2]string{{"Host", "example.amazonaws.com"}}

	// Sign the suite's get-vanilla.
	r := newRequest("GET", "https://example.amazonaws.com/", host)
	st, headers := sign(r)
	r.close()
	check(st == C.SIGV4_STATUS_OK, "sign get-vanilla")
	check(strings.HasSuffix(headers["Authorization"], "Signature="+expected(suite, "header-signature.txt")), "get-vanilla signature")

	// Presign: ask for the length, then write.
	r = newRequest("GET", "https://example.amazonaws.com/", host)
	var needed C.size_t
	st = C.sigv4_presign(r.c, credentials(r), params(r, "service"), 3600, nil, 0, &needed)
	check(st == C.SIGV4_STATUS_BUFFER_TOO_SMALL && needed > 0, "presign length")
	buf := make([]byte, int(needed))
	st = C.sigv4_presign(r.c, credentials(r), params(r, "service"), 3600,
		(*C.char)(unsafe.Pointer(&buf[0])), needed, &needed)
	url := C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
	r.close()
	check(st == C.SIGV4_STATUS_OK && strings.Contains(url, "X-Amz-Signature="+expected(suite, "query-signature.txt")), "presign: "+url)

	// Verify a signed POST, then the same with a changed body.
	form := [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}}
	r = newRequest("POST", "https://example.amazonaws.com/", form)
	b := C.CBytes([]byte("Param1=value1"))
	r.free = append(r.free, b)
	r.c.body, r.c.body_len = (*C.uint8_t)(b), 13
	st, headers = sign(r)
	r.close()
	check(st == C.SIGV4_STATUS_OK, "sign POST")
	received := append([][2]string{}, form...)
	for k, v := range headers {
		received = append(received, [2]string{k, v})
	}
	check(verify("POST", received, "Param1=value1") == C.SIGV4_STATUS_OK, "verify")
	check(verify("POST", received, "Param1=value2") == C.SIGV4_STATUS_SIGNATURE_MISMATCH, "verify tampered")

	// Credentials from the environment through the default provider.
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIAGOENVEXAMPLE0001")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "go/env/secret")
	os.Setenv("AWS_SESSION_TOKEN", "go-token")
	var provider *C.sigv4_provider
	check(C.sigv4_provider_default(nil, &provider) == C.SIGV4_STATUS_OK, "default provider")
	var owned *C.sigv4_owned_credentials
	check(C.sigv4_provider_credentials(provider, &owned) == C.SIGV4_STATUS_OK, "credentials")
	var view C.sigv4_credentials
	check(C.sigv4_owned_credentials_view(owned, &view) == C.SIGV4_STATUS_OK, "view")
	check(C.GoString(view.access_key_id) == "AKIAGOENVEXAMPLE0001" && C.GoString(view.session_token) == "go-token", "environment credentials")
	check(C.sigv4_owned_credentials_expiry(owned) == -1, "no expiry")
	C.sigv4_owned_credentials_free(owned)
	C.sigv4_provider_free(provider)

	// The error path: a malformed URL.
	r = newRequest("GET", "not a url", host)
	st, _ = sign(r)
	r.close()
	check(st == C.SIGV4_STATUS_INVALID_ARGUMENT, "malformed URL status")
	check(C.GoString(C.sigv4_status_name(C.int(st))) == "SIGV4_STATUS_INVALID_ARGUMENT", "status name")
	check(strings.Contains(C.GoString(C.sigv4_last_error()), "URL"), "last error names the URL: "+C.GoString(C.sigv4_last_error()))

	fmt.Printf("go: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
