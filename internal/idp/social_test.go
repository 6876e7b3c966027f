package idp

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idpool/idpool/internal/awserr"
)

// fakeSocial plays Facebook's Graph API (/facebook), Login with Amazon (/amazon) and
// Twitter (/twitter). What it answers depends on the token.
type fakeSocial struct {
	srv      *httptest.Server
	requests atomic.Int32
}

func newFakeSocial(tb testing.TB) *fakeSocial {
	f := &fakeSocial{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSocial) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	q := r.URL.Query()
	tok := q.Get("access_token")
	switch {
	case strings.HasSuffix(tok, "-500"):
		writeJSON(w, 500, map[string]string{"error": "internal"})
		return
	case strings.HasSuffix(tok, "-429"):
		writeJSON(w, 429, map[string]string{"error": "slow down"})
		return
	case strings.HasSuffix(tok, "-slow"):
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case strings.HasSuffix(tok, "-garbage"):
		_, _ = w.Write([]byte("<html>"))
		return
	}
	fbRefusal := map[string]any{"error": map[string]any{"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}
	switch r.URL.Path {
	case "/facebook/app":
		switch tok {
		case "fb-good", "fb-me-500":
			writeJSON(w, 200, map[string]string{"id": "fb-app", "name": "Test app"})
		case "fb-other":
			writeJSON(w, 200, map[string]string{"id": "another-app"})
		default:
			writeJSON(w, 400, fbRefusal)
		}
	case "/facebook/me":
		if q.Get("fields") != "id" {
			writeJSON(w, 400, fbRefusal)
			return
		}
		switch tok {
		case "fb-good":
			writeJSON(w, 200, map[string]string{"id": "10001"})
		case "fb-me-500":
			writeJSON(w, 502, nil)
		default:
			writeJSON(w, 400, fbRefusal)
		}
	case "/amazon/auth/o2/tokeninfo":
		info := map[string]any{"iss": "https://www.amazon.com", "aud": "amzn1.application-oa2-client.abc",
			"app_id": "amzn1.application.test", "user_id": "amzn1.account.USER", "exp": 3597, "iat": 1}
		switch tok {
		case "amz-good":
			writeJSON(w, 200, info)
		case "amz-noid":
			delete(info, "user_id")
			writeJSON(w, 200, info)
		case "amz-other":
			info["app_id"], info["aud"] = "amzn1.application.other", "amzn1.application-oa2-client.other"
			writeJSON(w, 200, info)
		default:
			writeJSON(w, 400, map[string]string{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid"})
		}
	case "/amazon/user/profile":
		if r.Header.Get("Authorization") != "Bearer amz-noid" {
			writeJSON(w, 401, map[string]string{"error": "invalid_token"})
			return
		}
		writeJSON(w, 200, map[string]string{"user_id": "amzn1.account.PROFILE", "name": "Alice"})
	case "/twitter/1.1/account/verify_credentials.json":
		f.twitter(w, r)
	default:
		http.NotFound(w, r)
	}
}

// twitter checks the OAuth 1.0a signature as Twitter does.
func (f *fakeSocial) twitter(w http.ResponseWriter, r *http.Request) {
	refuse := func() {
		writeJSON(w, 401, map[string]any{"errors": []map[string]any{{"code": 32, "message": "Could not authenticate you."}}})
	}
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "OAuth ")
	if !ok {
		refuse()
		return
	}
	params := map[string]string{}
	for p := range strings.SplitSeq(h, ", ") {
		k, v, _ := strings.Cut(p, "=")
		v, _ = url.PathUnescape(strings.Trim(v, `"`))
		params[k] = v
	}
	secrets := map[string]string{"tw-token": "tw-secret", "tw-token-500": "x"}
	tokenSecret, known := secrets[params["oauth_token"]]
	if params["oauth_consumer_key"] != "consumer-key" || !known || params["oauth_timestamp"] != "1893553445" || len(params["oauth_nonce"]) < 16 {
		refuse()
		return
	}
	got := params["oauth_signature"]
	delete(params, "oauth_signature")
	want := oauth1Signature(r.Method, "http://"+r.Host+r.URL.Path, r.URL.Query(), params, "consumer-secret", tokenSecret)
	if got != want {
		refuse()
		return
	}
	if params["oauth_token"] == "tw-token-500" {
		writeJSON(w, 503, nil)
		return
	}
	writeJSON(w, 200, map[string]any{"id": 12345, "id_str": "12345", "screen_name": "alice"})
}

func TestFacebook(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FetchTimeout = 200 * time.Millisecond })
	l, err := e.verify(ProviderFacebook, "fb-good")
	if err != nil {
		t.Fatal(err)
	}
	if l.Provider != ProviderFacebook || l.Subject != "10001" || l.AMRDetail != "graph.facebook.com:10001" || l.Claims["aud"] != "fb-app" {
		t.Fatalf("login %+v", l)
	}
	for tok, want := range map[string]struct {
		code awserr.Code
		msg  string
	}{
		"fb-other":   {awserr.NotAuthorized, "Token is not from a supported provider of this identity pool."},
		"fb-bad":     {awserr.NotAuthorized, "Invalid login token."},
		"":           {awserr.NotAuthorized, "Invalid login token."},
		"fb-500":     {awserr.ExternalService, "graph.facebook.com"},
		"fb-me-500":  {awserr.ExternalService, "graph.facebook.com"},
		"fb-429":     {awserr.ExternalService, "graph.facebook.com"},
		"fb-slow":    {awserr.ExternalService, "graph.facebook.com"},
		"fb-garbage": {awserr.ExternalService, "graph.facebook.com"},
	} {
		t.Run(tok, func(t *testing.T) {
			_, err := e.verify(ProviderFacebook, tok)
			wantAWSErr(t, err, want.code, want.msg)
		})
	}
}

func TestAmazon(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.FetchTimeout = 200 * time.Millisecond })
	l, err := e.verify(ProviderAmazon, "amz-good")
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "amzn1.account.USER" || l.AMRDetail != "www.amazon.com:amzn1.account.USER" {
		t.Fatalf("login %+v", l)
	}
	l, err = e.verify(ProviderAmazon, "amz-noid")
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "amzn1.account.PROFILE" {
		t.Fatalf("login %+v", l)
	}
	// The pool may name the client (aud) instead of the application.
	e.pool.SupportedLoginProviders[ProviderAmazon] = "amzn1.application-oa2-client.abc"
	if _, err := e.verify(ProviderAmazon, "amz-good"); err != nil {
		t.Fatal(err)
	}
	for tok, code := range map[string]awserr.Code{
		"amz-other": awserr.NotAuthorized, "amz-bad": awserr.NotAuthorized,
		"amz-500": awserr.ExternalService, "amz-slow": awserr.ExternalService,
	} {
		_, err := e.verify(ProviderAmazon, tok)
		wantAWSErr(t, err, code, "")
	}
}

func TestTwitter(t *testing.T) {
	e := newEnv(t)
	e.clock = newClock(time.Unix(1893553445, 0))
	e.v.now = e.clock.Now
	l, err := e.verify(ProviderTwitter, "tw-token;tw-secret")
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "12345" || l.AMRDetail != "api.twitter.com:12345" || l.Claims["aud"] != "consumer-key" {
		t.Fatalf("login %+v", l)
	}
	_, err = e.verify(ProviderTwitter, "tw-token;wrong-secret")
	wantAWSErr(t, err, awserr.NotAuthorized, "Invalid login token.")
	_, err = e.verify(ProviderTwitter, "tw-token")
	wantAWSErr(t, err, awserr.NotAuthorized, "accessToken;accessSecret")
	_, err = e.verify(ProviderTwitter, "tw-token-500;x")
	wantAWSErr(t, err, awserr.ExternalService, "api.twitter.com")
	e.pool.SupportedLoginProviders[ProviderTwitter] = "consumer-key;other-secret"
	_, err = e.verify(ProviderTwitter, "tw-token;tw-secret")
	wantAWSErr(t, err, awserr.NotAuthorized, "Invalid login token.")

	e.social.srv.Close()
	e.pool.SupportedLoginProviders[ProviderTwitter] = "consumer-key;consumer-secret"
	_, err = e.verify(ProviderTwitter, "tw-token;tw-secret")
	wantAWSErr(t, err, awserr.ExternalService, "api.twitter.com")
}

// TestOAuth1Signature checks the signature against the worked example of Twitter's
// "Creating a signature" documentation.
func TestOAuth1Signature(t *testing.T) {
	params := url.Values{
		"status":           {"Hello Ladies + Gentlemen, a signed OAuth request!"},
		"include_entities": {"true"},
	}
	oauth := map[string]string{
		"oauth_consumer_key":     "xvz1evFS4wEEPTGEFPHBog",
		"oauth_nonce":            "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        "1318622958",
		"oauth_token":            "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
		"oauth_version":          "1.0",
	}
	got := oauth1Signature("POST", "https://api.twitter.com/1.1/statuses/update.json", params, oauth,
		"kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
	if want := "hCtSmYh+iHYCEqBWrE7C7hYmtUk="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if got := percentEncode("Ladies + Gentlemen!*é"); got != "Ladies%20%2B%20Gentlemen%21%2A%C3%A9" {
		t.Fatalf("percentEncode: %s", got)
	}
}

// TestTokensStayOutOfLogs: a provider that cannot be reached is logged without the
// token that was in the request's query.
func TestTokensStayOutOfLogs(t *testing.T) {
	var logs strings.Builder
	e := newEnv(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.FetchTimeout = 100 * time.Millisecond
	})
	e.social.srv.Close()
	_, err := e.verify(ProviderFacebook, "secret-user-token")
	wantAWSErr(t, err, awserr.ExternalService, "")
	_, err = e.verify(ProviderAmazon, "secret-user-token-slow")
	wantAWSErr(t, err, awserr.ExternalService, "")
	if strings.Contains(logs.String(), "secret-user-token") {
		t.Fatalf("token logged:\n%s", logs.String())
	}
	t.Log(logs.String())
	if !strings.Contains(logs.String(), "provider unreachable") {
		t.Fatalf("nothing logged:\n%s", logs.String())
	}
}
