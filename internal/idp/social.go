package idp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/storage"
)

// Facebook, Login with Amazon and Twitter issue opaque access tokens: the only way to
// check one is to ask the provider. Each answer is classified the same way: no answer, a
// timeout, a 5xx or 429, or an answer that is not what the API documents is
// ExternalServiceException (the provider could not vouch either way); a 4xx is the
// provider saying the token is not valid, NotAuthorizedException.

// askProvider GETs u and decodes a 200 answer into out. It returns (false, nil) when the
// provider refused the token (4xx), and an ExternalServiceException when the provider
// could not be asked.
func (v *Verifier) askProvider(ctx context.Context, name, u string, header http.Header, out any) (bool, error) {
	status, body, err := v.get(ctx, u, header)
	if err != nil {
		v.log.WarnContext(ctx, "idp: provider unreachable", "provider", name, "err", err)
		return false, errExternal(name)
	}
	switch {
	case status == http.StatusOK:
		if err := json.Unmarshal(body, out); err != nil {
			v.log.WarnContext(ctx, "idp: provider answered nonsense", "provider", name, "err", err)
			return false, errExternal(name)
		}
		return true, nil
	case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
		v.log.InfoContext(ctx, "idp: provider refused a token", "provider", name, "status", status, "body", truncate(body, 512))
		return false, nil
	default:
		v.log.WarnContext(ctx, "idp: provider failed", "provider", name, "status", status, "body", truncate(body, 512))
		return false, errExternal(name)
	}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// verifyFacebook checks a Facebook user access token. GET /app with the token names the
// app it was issued to, which must be one of the pool's app IDs; GET /me?fields=id names
// the user. (debug_token would do both in one call but needs the app secret, which a pool
// does not hold.)
func (v *Verifier) verifyFacebook(ctx context.Context, appIDs []string, token string) (*Login, error) {
	if token == "" || len(token) > MaxJWTSize {
		return nil, notAuthorizedf("Invalid Facebook access token.")
	}
	q := url.Values{"access_token": {token}}
	var app struct {
		ID string `json:"id"`
	}
	ok, err := v.askProvider(ctx, ProviderFacebook, v.facebookURL+"/app?"+q.Encode(), nil, &app)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notAuthorizedf("Invalid Facebook access token.")
	}
	if app.ID == "" {
		return nil, errExternal(ProviderFacebook)
	}
	if !slices.Contains(appIDs, app.ID) {
		return nil, errNotSupported()
	}
	q.Set("fields", "id")
	var me struct {
		ID string `json:"id"`
	}
	ok, err = v.askProvider(ctx, ProviderFacebook, v.facebookURL+"/me?"+q.Encode(), nil, &me)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notAuthorizedf("Invalid Facebook access token.")
	}
	if me.ID == "" {
		return nil, errExternal(ProviderFacebook)
	}
	return socialLogin(ProviderFacebook, me.ID, app.ID), nil
}

// verifyAmazon checks a Login with Amazon access token. /auth/o2/tokeninfo names the
// client (aud) and application (app_id) the token was issued to, one of which must be
// the pool's app ID, and the user; /user/profile is asked for the user only when
// tokeninfo does not name it.
func (v *Verifier) verifyAmazon(ctx context.Context, appIDs []string, token string) (*Login, error) {
	if token == "" || len(token) > MaxJWTSize {
		return nil, notAuthorizedf("Invalid Login with Amazon access token.")
	}
	var info struct {
		Aud    string `json:"aud"`
		AppID  string `json:"app_id"`
		UserID string `json:"user_id"`
	}
	ok, err := v.askProvider(ctx, ProviderAmazon, v.amazonURL+"/auth/o2/tokeninfo?"+url.Values{"access_token": {token}}.Encode(), nil, &info)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notAuthorizedf("Invalid Login with Amazon access token.")
	}
	var matched string
	switch {
	case info.Aud != "" && slices.Contains(appIDs, info.Aud):
		matched = info.Aud
	case info.AppID != "" && slices.Contains(appIDs, info.AppID):
		matched = info.AppID
	default:
		return nil, errNotSupported()
	}
	user := info.UserID
	if user == "" {
		var profile struct {
			UserID string `json:"user_id"`
		}
		h := http.Header{"Authorization": {"Bearer " + token}}
		ok, err := v.askProvider(ctx, ProviderAmazon, v.amazonURL+"/user/profile", h, &profile)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, notAuthorizedf("Invalid Login with Amazon access token.")
		}
		if user = profile.UserID; user == "" {
			return nil, errExternal(ProviderAmazon)
		}
	}
	return socialLogin(ProviderAmazon, user, matched), nil
}

// verifyTwitter checks Twitter credentials, "accessToken;accessSecret", with
// account/verify_credentials signed with OAuth 1.0a (HMAC-SHA1) under the pool's
// consumer key and secret ("consumerKey;consumerSecret").
func (v *Verifier) verifyTwitter(ctx context.Context, consumer, token string) (*Login, error) {
	consumerKey, consumerSecret, ok := strings.Cut(consumer, ";")
	if !ok || consumerKey == "" {
		v.log.WarnContext(ctx, "idp: api.twitter.com is configured without consumerKey;consumerSecret")
		return nil, errNotSupported()
	}
	accessToken, accessSecret, ok := strings.Cut(token, ";")
	if !ok || accessToken == "" || len(token) > MaxJWTSize {
		return nil, notAuthorizedf("The value for api.twitter.com must be accessToken;accessSecret.")
	}
	endpoint := v.twitterURL + "/1.1/account/verify_credentials.json"
	query := url.Values{"include_entities": {"false"}, "skip_status": {"true"}}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	auth := oauth1Header(http.MethodGet, endpoint, query, oauth1Credentials{
		consumerKey: consumerKey, consumerSecret: consumerSecret,
		token: accessToken, tokenSecret: accessSecret,
	}, hex.EncodeToString(nonce[:]), v.now())
	var who struct {
		IDStr string `json:"id_str"`
	}
	ok, err := v.askProvider(ctx, ProviderTwitter, endpoint+"?"+query.Encode(), http.Header{"Authorization": {auth}}, &who)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notAuthorizedf("Invalid Twitter credentials.")
	}
	if who.IDStr == "" {
		return nil, errExternal(ProviderTwitter)
	}
	return socialLogin(ProviderTwitter, who.IDStr, consumerKey), nil
}

// socialLogin is a login of a provider that answers with a user ID only: its claims are
// sub (the user) and aud (the app), the two claims principal tag defaults read.
func socialLogin(provider, user, app string) *Login {
	return &Login{
		Login:     storage.Login{Provider: provider, Subject: user},
		AMRDetail: provider + ":" + user,
		Claims:    map[string]any{"sub": user, "aud": app},
	}
}

type oauth1Credentials struct {
	consumerKey, consumerSecret, token, tokenSecret string
}

// oauth1Header returns the Authorization header of an OAuth 1.0a request signed with
// HMAC-SHA1 (RFC 5849 section 3.4), query being the request's query parameters.
func oauth1Header(method, endpoint string, query url.Values, c oauth1Credentials, nonce string, now time.Time) string {
	oauth := map[string]string{
		"oauth_consumer_key":     c.consumerKey,
		"oauth_nonce":            nonce,
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        strconv.FormatInt(now.Unix(), 10),
		"oauth_token":            c.token,
		"oauth_version":          "1.0",
	}
	oauth["oauth_signature"] = oauth1Signature(method, endpoint, query, oauth, c.consumerSecret, c.tokenSecret)
	keys := make([]string, 0, len(oauth))
	for k := range oauth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = percentEncode(k) + `="` + percentEncode(oauth[k]) + `"`
	}
	return "OAuth " + strings.Join(parts, ", ")
}

// oauth1Signature computes oauth_signature over the signature base string.
func oauth1Signature(method, endpoint string, query url.Values, oauth map[string]string, consumerSecret, tokenSecret string) string {
	type pair struct{ k, v string }
	var params []pair
	for k, vs := range query {
		for _, v := range vs {
			params = append(params, pair{percentEncode(k), percentEncode(v)})
		}
	}
	for k, v := range oauth {
		params = append(params, pair{percentEncode(k), percentEncode(v)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	enc := make([]string, len(params))
	for i, p := range params {
		enc[i] = p.k + "=" + p.v
	}
	base := strings.ToUpper(method) + "&" + percentEncode(endpoint) + "&" + percentEncode(strings.Join(enc, "&"))
	mac := hmac.New(sha1.New, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// percentEncode is RFC 3986 percent-encoding as OAuth 1.0a requires: everything but the
// unreserved characters, with upper-case hex digits.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
