package iam

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/idpool/idpool/internal/storage"
)

func TestDeclareOIDC(t *testing.T) {
	s := newServer(t, nil)
	ctx := t.Context()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d := DeclaredProvider{URL: "http://localhost:8080/realms/demo/", ClientIDs: []string{"web", "cli"}, Thumbprints: []string{thumbA}}
	if err := Declare(ctx, s.Store, testAccount, d, t0); err != nil {
		t.Fatalf("Declare: %v", err)
	}
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/localhost:8080/realms/demo"
	rec, err := s.Store.GetProvider(ctx, testAccount, arn)
	if err != nil {
		t.Fatalf("GetProvider(%s): %v", arn, err)
	}
	if rec.Kind != storage.ProviderOIDC || rec.URL != "http://localhost:8080/realms/demo" || !slices.Equal(rec.ClientIDs, []string{"web", "cli"}) ||
		!slices.Equal(rec.Thumbprints, []string{strings.ToLower(thumbA)}) || !rec.CreatedAt.Equal(t0) || !rec.UpdatedAt.Equal(t0) {
		t.Errorf("declared provider = %+v", rec)
	}

	// The API sees it like any other, and may tag it; tags survive later declarations.
	if _, err := s.IAM.GetOpenIDConnectProvider(ctx, &sdkiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Errorf("GetOpenIDConnectProvider of the declared provider: %v", err)
	}
	if _, err := s.Store.UpdateProvider(ctx, testAccount, arn, func(p *storage.IAMProvider) error {
		p.Tags = map[string]string{"owner": "api"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Declaring it again unchanged writes nothing.
	if err := Declare(ctx, s.Store, testAccount, d, t0.Add(time.Hour)); err != nil {
		t.Fatalf("Declare again: %v", err)
	}
	if rec, _ := s.Store.GetProvider(ctx, testAccount, arn); !rec.UpdatedAt.Equal(t0) {
		t.Errorf("UpdatedAt = %v after an unchanged declaration, want %v", rec.UpdatedAt, t0)
	}

	// A changed declaration replaces the lists, keeps tags and CreatedAt.
	t2 := t0.Add(2 * time.Hour)
	d2 := DeclaredProvider{URL: "http://localhost:8080/realms/demo", ClientIDs: []string{"web"}}
	if err := Declare(ctx, s.Store, testAccount, d2, t2); err != nil {
		t.Fatalf("Declare changed: %v", err)
	}
	rec, err = s.Store.GetProvider(ctx, testAccount, arn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.ClientIDs, []string{"web"}) || len(rec.Thumbprints) != 0 || rec.Tags["owner"] != "api" ||
		!rec.CreatedAt.Equal(t0) || !rec.UpdatedAt.Equal(t2) {
		t.Errorf("after a changed declaration: %+v", rec)
	}
	if ps, _ := s.Store.ListProviders(ctx, testAccount, storage.ProviderOIDC); len(ps) != 1 {
		t.Errorf("%d providers, want the one declared three times", len(ps))
	}
}

func TestDeclareSAML(t *testing.T) {
	s := newServer(t, nil)
	ctx := t.Context()
	doc := metadata("https://idp.example.com", "2031-05-06T07:08:09Z")
	if err := Declare(ctx, s.Store, testAccount, DeclaredProvider{Name: "corp", Metadata: doc}, testNow); err != nil {
		t.Fatalf("Declare: %v", err)
	}
	got, err := s.IAM.GetSAMLProvider(ctx, &sdkiam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::" + testAccount + ":saml-provider/corp")})
	if err != nil {
		t.Fatalf("GetSAMLProvider: %v", err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != doc || got.ValidUntil == nil || got.ValidUntil.Year() != 2031 {
		t.Errorf("GetSAMLProvider of the declared provider: ValidUntil %v", got.ValidUntil)
	}
	doc2 := metadata("https://idp.example.com/v2", "")
	if err := Declare(ctx, s.Store, testAccount, DeclaredProvider{Name: "corp", Metadata: doc2}, testNow.Add(time.Hour)); err != nil {
		t.Fatalf("Declare changed: %v", err)
	}
	rec, err := s.Store.GetProvider(ctx, testAccount, "arn:aws:iam::"+testAccount+":saml-provider/corp")
	if err != nil || rec.SAMLMetadata != doc2 || !rec.ValidUntil.IsZero() {
		t.Errorf("after redeclaring: %+v, %v", rec, err)
	}
}

// TestDeclareConcurrent: nodes starting together with the same file all succeed and end
// with one provider.
func TestDeclareConcurrent(t *testing.T) {
	store := openStore(t)
	d := DeclaredProvider{URL: "https://idp.example.com", ClientIDs: []string{"app"}}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = Declare(t.Context(), store, testAccount, d, testNow) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Declare %d: %v", i, err)
		}
	}
	if ps, err := store.ListProviders(t.Context(), testAccount, storage.ProviderOIDC); err != nil || len(ps) != 1 {
		t.Errorf("ListProviders = %d providers, %v; want 1", len(ps), err)
	}
}

func TestDeclareInvalid(t *testing.T) {
	store := openStore(t)
	doc := metadata("https://idp.example.com", "")
	for _, tc := range []struct {
		name    string
		account string
		d       DeclaredProvider
		code    string // the API's error code, when the API has one
		text    string
	}{
		{"nothing", testAccount, DeclaredProvider{}, "", "give url"},
		{"both kinds", testAccount, DeclaredProvider{URL: "https://a.example.com", Name: "n", Metadata: doc}, "", "not both"},
		{"client IDs on SAML", testAccount, DeclaredProvider{Name: "n", Metadata: doc, ClientIDs: []string{"x"}}, "", "client_ids"},
		{"http", testAccount, DeclaredProvider{URL: "http://idp.example.com"}, "InvalidInput", "must begin with https://"},
		{"thumbprint", testAccount, DeclaredProvider{URL: "https://idp.example.com", Thumbprints: []string{"abc"}}, "InvalidInput", "40 characters"},
		{"SAML name", testAccount, DeclaredProvider{Name: "a b", Metadata: doc}, "ValidationError", "regular expression"},
		{"SAML without metadata", testAccount, DeclaredProvider{Name: "n"}, "ValidationError", "sAMLMetadataDocument"},
		{"SAML metadata", testAccount, DeclaredProvider{Name: "n", Metadata: strings.Replace(doc, "EntityDescriptor", "Other", 2)}, "InvalidInput", "Could not parse metadata"},
		{"account", "12345", DeclaredProvider{URL: "https://idp.example.com"}, "", "12 digits"},
	} {
		err := Declare(t.Context(), store, tc.account, tc.d, testNow)
		if err == nil || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: Declare = %v, want an error about %q", tc.name, err, tc.text)
		}
		if verr := tc.d.Validate(); (verr == nil) != (tc.name == "account") {
			t.Errorf("%s: Validate = %v", tc.name, verr)
		}
		var e *Error
		if tc.code != "" && (!errors.As(err, &e) || e.Code != tc.code) {
			t.Errorf("%s: error %v does not wrap the API's %s", tc.name, err, tc.code)
		}
	}
	for _, kind := range []string{storage.ProviderOIDC, storage.ProviderSAML} {
		if ps, _ := store.ListProviders(t.Context(), testAccount, kind); len(ps) != 0 {
			t.Errorf("invalid declarations stored %d %s providers", len(ps), kind)
		}
	}
}

// TestDeclaredProviderJSON pins the configuration file's field names.
func TestDeclaredProviderJSON(t *testing.T) {
	var ds []DeclaredProvider
	err := json.Unmarshal([]byte(`[
		{"url": "https://idp.example.com", "client_ids": ["a", "b"], "thumbprints": ["`+thumbB+`"]},
		{"name": "corp", "metadata": "<md:EntityDescriptor/>"}
	]`), &ds)
	if err != nil {
		t.Fatal(err)
	}
	want := []DeclaredProvider{
		{URL: "https://idp.example.com", ClientIDs: []string{"a", "b"}, Thumbprints: []string{thumbB}},
		{Name: "corp", Metadata: "<md:EntityDescriptor/>"},
	}
	if len(ds) != 2 || ds[0].URL != want[0].URL || !slices.Equal(ds[0].ClientIDs, want[0].ClientIDs) ||
		!slices.Equal(ds[0].Thumbprints, want[0].Thumbprints) || ds[1].Name != want[1].Name || ds[1].Metadata != want[1].Metadata {
		t.Errorf("decoded %+v, want %+v", ds, want)
	}
}
