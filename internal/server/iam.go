package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/iam"
	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage"
)

// queryAuthenticator checks calls of the Query-protocol services (IAM, STS). They are
// global or regional services whose SDKs sign for us-east-1, but with a custom endpoint
// they sign for the client's region: both are accepted.
type queryAuthenticator struct {
	service        string
	verifiers      []*sigv4.Verifier // the server's region first
	defaultAccount string
	insecure       bool
}

func newQueryAuthenticator(service, region string, creds sigv4.CredentialSource, defaultAccount string, insecure bool) *queryAuthenticator {
	a := &queryAuthenticator{service: service, defaultAccount: defaultAccount, insecure: insecure}
	a.verifiers = append(a.verifiers, &sigv4.Verifier{Region: region, Credentials: creds})
	if region != "us-east-1" {
		a.verifiers = append(a.verifiers, &sigv4.Verifier{Region: "us-east-1", Credentials: creds})
	}
	return a
}

// Authenticate serves the STS handler, which needs the credential that signed.
func (a *queryAuthenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (sigv4.Credential, error) {
	if !sigv4.Signed(r) {
		if a.insecure {
			return sigv4.Credential{AccountID: a.defaultAccount}, nil
		}
		return sigv4.Credential{}, awserr.New(awserr.MissingAuthenticationToken, "Request is missing Authentication Token")
	}
	var first error
	for _, v := range a.verifiers {
		cred, err := v.Verify(ctx, r, body, a.service)
		if err == nil {
			return cred, nil
		}
		if first == nil {
			first = err
		}
	}
	if a.insecure {
		return sigv4.Credential{AccountID: a.defaultAccount}, nil
	}
	return sigv4.Credential{}, first
}

// accountAuthenticator adapts it to the IAM handler, which needs the account only.
type accountAuthenticator struct{ *queryAuthenticator }

func (a accountAuthenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (string, error) {
	cred, err := a.queryAuthenticator.Authenticate(ctx, r, body)
	return cred.AccountID, err
}

// isQueryProtocol reports whether r is an AWS Query protocol call (IAM, later STS): a form
// POST or a GET naming an Action, and never a JSON call carrying X-Amz-Target.
func isQueryProtocol(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	if r.Method == http.MethodGet {
		return r.URL.Query().Has("Action")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded"
}

// stsActions are the STS API's actions; every other Query-protocol action is IAM's.
var stsActions = map[string]bool{
	"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true, "AssumeRoot": true,
	"DecodeAuthorizationMessage": true, "GetAccessKeyInfo": true, "GetCallerIdentity": true,
	"GetFederationToken": true, "GetSessionToken": true,
}

// apiRouter sends each call to its service's handler on the one endpoint: JSON calls to
// Cognito Identity, Query-protocol calls to STS or IAM by their Action.
type apiRouter struct {
	json, iam, sts http.Handler
	maxQueryBody   int64
}

func (a apiRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isQueryProtocol(r) {
		a.json.ServeHTTP(w, r)
		return
	}
	action := r.URL.Query().Get("Action")
	if r.Method == http.MethodPost {
		// The Action is in the form body: read it (bounded, as the handlers bound it) and
		// hand the handler an unread copy.
		body, err := io.ReadAll(io.LimitReader(r.Body, a.maxQueryBody+1))
		if err != nil {
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Has("Action") {
			action = form.Get("Action")
		}
	}
	if stsActions[action] {
		a.sts.ServeHTTP(w, r)
		return
	}
	a.iam.ServeHTTP(w, r)
}

// providersFile is the format of --providers-file.
type providersFile struct {
	Providers []struct {
		// AccountID defaults to --account-id.
		AccountID string `json:"account_id"`
		iam.DeclaredProvider
	} `json:"providers"`
}

// declareProviders loads the operator's declared IAM providers into storage. Every entry
// is checked before any is written, so a bad file changes nothing.
func declareProviders(ctx context.Context, path, defaultAccount string, store storage.ProviderStore, now time.Time, log *slog.Logger) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var f providersFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, p := range f.Providers {
		if p.AccountID == "" {
			f.Providers[i].AccountID = defaultAccount
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%s: provider %d: %w", path, i+1, err)
		}
	}
	for _, p := range f.Providers {
		if err := iam.Declare(ctx, store, p.AccountID, p.DeclaredProvider, now); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	log.Info("declared identity providers", "file", path, "count", len(f.Providers))
	return nil
}
