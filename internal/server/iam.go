package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"time"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/iam"
	"github.com/idpool/idpool/internal/sigv4"
	"github.com/idpool/idpool/internal/storage"
)

// iamAuthenticator checks IAM API calls. IAM is a global service whose SDKs sign for
// us-east-1, but with a custom endpoint they sign for the client's region: both are
// accepted.
type iamAuthenticator struct {
	verifiers      []*sigv4.Verifier // the server's region first
	defaultAccount string
	insecure       bool
}

func newIAMAuthenticator(region string, creds sigv4.CredentialSource, defaultAccount string, insecure bool) *iamAuthenticator {
	a := &iamAuthenticator{defaultAccount: defaultAccount, insecure: insecure}
	a.verifiers = append(a.verifiers, &sigv4.Verifier{Region: region, Credentials: creds})
	if region != "us-east-1" {
		a.verifiers = append(a.verifiers, &sigv4.Verifier{Region: "us-east-1", Credentials: creds})
	}
	return a
}

func (a *iamAuthenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (string, error) {
	if !sigv4.Signed(r) {
		if a.insecure {
			return a.defaultAccount, nil
		}
		return "", awserr.New(awserr.MissingAuthenticationToken, "Request is missing Authentication Token")
	}
	var first error
	for _, v := range a.verifiers {
		cred, err := v.Verify(ctx, r, body, "iam")
		if err == nil {
			return cred.AccountID, nil
		}
		if first == nil {
			first = err
		}
	}
	if a.insecure {
		return a.defaultAccount, nil
	}
	return "", first
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

// apiRouter sends each call to its protocol's handler on the one endpoint.
type apiRouter struct{ json, query http.Handler }

func (a apiRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isQueryProtocol(r) {
		a.query.ServeHTTP(w, r)
		return
	}
	a.json.ServeHTTP(w, r)
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
