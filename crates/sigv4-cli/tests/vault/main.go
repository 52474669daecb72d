// HashiCorp Vault's own AWS auth method (github.com/hashicorp/vault,
// builtin/credential/aws, pinned in go.mod) in-process, with in-memory
// storage, serving POST /v1/auth/aws/login on loopback: the verifier of
// `sigv4 vault-login` in the tests. Its STS and IAM endpoints are the moto
// server of the tests.
//
// usage: vault-aws-auth -sts URL -iam URL -access-key K -secret-key S
//
//	-server-id ID -role NAME -bound ARN
//
// Prints "ready PORT" and serves until its standard input closes. A login
// answers as Vault's HTTP API does: {"auth":{…}} with a client token
// (made up here: tokens are the core's, not the auth method's), or
// {"errors":[…]} with the status Vault gives the auth method's error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	awsauth "github.com/hashicorp/vault/builtin/credential/aws"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/sdk/rotation"
)

// The system view of a Vault without automated root rotation: nothing
// to deregister (Vault's own StaticSystemView refuses the call).
type systemView struct {
	logical.StaticSystemView
}

func (systemView) DeregisterRotationJob(context.Context, *rotation.RotationJobDeregisterRequest) error {
	return nil
}

func must(resp *logical.Response, err error, what string) {
	if err != nil || (resp != nil && resp.IsError()) {
		fmt.Fprintf(os.Stderr, "%s: %v %v\n", what, err, resp)
		os.Exit(1)
	}
}

func main() {
	sts := flag.String("sts", "", "STS endpoint")
	iam := flag.String("iam", "", "IAM endpoint")
	accessKey := flag.String("access-key", "", "Vault's own access key (IAM lookups)")
	secretKey := flag.String("secret-key", "", "its secret")
	serverID := flag.String("server-id", "", "iam_server_id_header_value")
	role := flag.String("role", "dev", "the role to create")
	bound := flag.String("bound", "", "bound_iam_principal_arn")
	flag.Parse()

	ctx := context.Background()
	storage := &logical.InmemStorage{}
	b, err := awsauth.Factory(ctx, &logical.BackendConfig{
		StorageView: storage,
		Logger:      hclog.NewNullLogger(),
		System: systemView{logical.StaticSystemView{
			DefaultLeaseTTLVal: time.Hour,
			MaxLeaseTTLVal:     24 * time.Hour,
		}},
		BackendUUID: "sigv4-rs-tests",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "factory:", err)
		os.Exit(1)
	}
	write := func(path string, data map[string]interface{}) {
		resp, err := b.HandleRequest(ctx, &logical.Request{
			Operation: logical.UpdateOperation, Path: path, Storage: storage, Data: data,
		})
		must(resp, err, path)
	}
	write("config/client", map[string]interface{}{
		"access_key":                 *accessKey,
		"secret_key":                 *secretKey,
		"sts_endpoint":               *sts,
		"sts_region":                 "us-east-1",
		"iam_endpoint":               *iam,
		"iam_server_id_header_value": *serverID,
	})
	write("role/"+*role, map[string]interface{}{
		"auth_type":               "iam",
		"bound_iam_principal_arn": *bound,
		"token_policies":          "dev",
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/v1/auth/aws/login", func(w http.ResponseWriter, r *http.Request) {
		reply := func(status int, v interface{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(v)
		}
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			reply(405, map[string]interface{}{"errors": []string{"unsupported operation"}})
			return
		}
		body, _ := io.ReadAll(r.Body)
		data := map[string]interface{}{}
		if err := json.Unmarshal(body, &data); err != nil {
			reply(400, map[string]interface{}{"errors": []string{"failed to parse JSON input: " + err.Error()}})
			return
		}
		req := &logical.Request{
			Operation:  logical.UpdateOperation,
			Path:       "login",
			Storage:    storage,
			Data:       data,
			Connection: &logical.Connection{RemoteAddr: "127.0.0.1"},
		}
		resp, err := b.HandleRequest(r.Context(), req)
		if status, rerr := logical.RespondErrorCommon(req, resp, err); rerr != nil {
			reply(status, map[string]interface{}{"errors": []string{rerr.Error()}})
			return
		}
		if resp == nil || resp.Auth == nil {
			reply(500, map[string]interface{}{"errors": []string{"the auth method returned no auth"}})
			return
		}
		token := make([]byte, 12)
		rand.Read(token)
		reply(200, map[string]interface{}{
			"auth": map[string]interface{}{
				"client_token":   "hvs.test-" + hex.EncodeToString(token),
				"policies":       resp.Auth.Policies,
				"token_policies": resp.Auth.TokenPolicies,
				"metadata":       resp.Auth.Metadata,
				"display_name":   resp.Auth.DisplayName,
				"lease_duration": int(resp.Auth.TTL.Seconds()),
				"renewable":      resp.Auth.Renewable,
				"token_type":     "service",
			},
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("ready %d\n", ln.Addr().(*net.TCPAddr).Port)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	http.Serve(ln, mux)
}
