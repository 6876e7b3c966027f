package idp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// get makes one GET request to a provider within the fetch timeout and returns the status
// and body (at most maxResponseBody bytes). A non-nil error means the provider could not
// be asked: network failure, timeout, oversized answer. The caller decides what a status
// means.
func (v *Verifier) get(ctx context.Context, rawURL string, header http.Header) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		// url.Error quotes the whole URL, and social providers take the user's token in
		// the query: keep it out of the logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", ue.Op, redactURL(rawURL), ue.Err)
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return 0, nil, err
	}
	if len(body) > maxResponseBody {
		return 0, nil, fmt.Errorf("answer larger than %d bytes", maxResponseBody)
	}
	return resp.StatusCode, body, nil
}

// allowedURL reports whether u may be trusted as an issuer: an absolute URL without
// credentials, query or fragment, over a secure scheme (see secureScheme).
func allowedURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.RawQuery == "" && !p.ForceQuery && p.Fragment == "" && secureScheme(p)
}

// allowedFetchURL reports whether u may be fetched (a JWKS named by a discovery
// document): like allowedURL, but a query is allowed (Azure AD B2C's jwks_uri has one).
func allowedFetchURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Fragment == "" && secureScheme(p)
}

// secureScheme reports whether p is https, or http to a loopback host (a provider
// emulated on the same machine). Plain http to any other host would let anyone on the
// path substitute keys.
func secureScheme(p *url.URL) bool {
	if p.Host == "" || p.User != nil {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		return isLoopback(p.Hostname())
	}
	return false
}

// redactURL drops a URL's query and credentials (tokens travel there) for logging.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkRedirect keeps the default client's redirects on secure schemes: a provider's
// https endpoint must not be able to send idpool to plain http for its keys.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if !secureScheme(req.URL) {
		return fmt.Errorf("redirect to %s refused: not https", redactURL(req.URL.String()))
	}
	return nil
}
