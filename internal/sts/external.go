package sts

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/cognito"
)

const (
	// DefaultExternalTimeout bounds one call to an external STS.
	DefaultExternalTimeout = 10 * time.Second
	// maxExternalResponse bounds the body read from an external STS: an answer with
	// credentials and a session token of a few kilobytes fits many times over.
	maxExternalResponse = 64 << 10
)

// ExternalBroker obtains credentials from a real STS (AWS, MinIO, ...) by calling
// AssumeRoleWithWebIdentity with the token idpool issued for the session. It
// implements cognito.CredentialBroker.
type ExternalBroker struct {
	// Endpoint is the URL of the STS, for example https://sts.us-east-1.amazonaws.com/.
	Endpoint string
	// HTTPClient makes the calls; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds each call; zero or less means DefaultExternalTimeout.
	Timeout time.Duration
	// SessionName is the RoleSessionName; "" means DefaultSessionName.
	SessionName string
	// Logger receives the STS's refusals; nil discards them.
	Logger *slog.Logger
}

var _ cognito.CredentialBroker = (*ExternalBroker)(nil)

var errExternalRefused = awserr.New(awserr.InvalidIdentityPoolConfiguration,
	"Invalid identity pool configuration. Check assigned IAM roles for this pool.")

// The elements of STS's answers that the broker reads. Namespaces are not checked:
// compatible servers differ in them.
type externalResponse struct {
	XMLName     xml.Name
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
}

type externalError struct {
	XMLName xml.Name
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
	// RequestID is a child of ErrorResponse in AWS's answers.
	RequestID string `xml:"RequestId"`
}

// Credentials implements cognito.CredentialBroker.
func (b *ExternalBroker) Credentials(ctx context.Context, req cognito.CredentialsRequest) (*cognito.Credentials, error) {
	log := b.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	endpoint := redactedEndpoint(b.Endpoint)
	if b.Endpoint == "" {
		return nil, awserr.New(awserr.ExternalService, "No external STS endpoint is configured.")
	}
	if req.Token == nil {
		return nil, errors.New("sts: external broker: request has no token source")
	}
	token, err := req.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("sts: external broker: issue web identity token: %w", err)
	}
	name := b.SessionName
	if name == "" {
		name = DefaultSessionName
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultExternalTimeout
	}
	client := b.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}

	form := url.Values{
		"Action":           {"AssumeRoleWithWebIdentity"},
		"Version":          {Version},
		"RoleArn":          {req.RoleARN},
		"RoleSessionName":  {name},
		"WebIdentityToken": {token},
		"DurationSeconds":  {strconv.Itoa(int(DefaultDuration / time.Second))},
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(cctx, http.MethodPost, b.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		log.Error("external STS endpoint is invalid", "endpoint", endpoint)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s could not be reached.", endpoint)
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	hreq.Header.Set("Accept", "text/xml")

	resp, err := client.Do(hreq)
	if err != nil {
		// The error of Do names the URL, not the body: it carries no token.
		var ne net.Error
		if cctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
			log.Warn("external STS timed out", "endpoint", endpoint, "timeout", timeout)
			return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s did not answer in time.", endpoint)
		}
		log.Warn("external STS unreachable", "endpoint", endpoint, "err", err)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s could not be reached.", endpoint)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxExternalResponse+1))
	switch {
	case err != nil && cctx.Err() != nil:
		log.Warn("external STS timed out", "endpoint", endpoint, "timeout", timeout)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s did not answer in time.", endpoint)
	case err != nil:
		log.Warn("external STS answer unreadable", "endpoint", endpoint, "err", err)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s could not be reached.", endpoint)
	case len(body) > maxExternalResponse:
		log.Warn("external STS answer too large", "endpoint", endpoint, "status", resp.StatusCode)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s gave an answer that could not be understood.", endpoint)
	}

	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		var e externalError
		if xml.Unmarshal(body, &e) == nil && e.XMLName.Local == "ErrorResponse" && e.Code != "" {
			log.Warn("external STS refused AssumeRoleWithWebIdentity", "endpoint", endpoint, "status", resp.StatusCode,
				"code", e.Code, "message", e.Message, "request_id", e.RequestID, "role", req.RoleARN, "identity_id", req.IdentityID)
			return nil, errExternalRefused
		}
		log.Warn("external STS answered an error without an ErrorResponse", "endpoint", endpoint, "status", resp.StatusCode)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s answered with status %d.", endpoint, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		log.Warn("external STS failed", "endpoint", endpoint, "status", resp.StatusCode)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s answered with status %d.", endpoint, resp.StatusCode)
	}

	var r externalResponse
	if err := xml.Unmarshal(body, &r); err != nil || r.XMLName.Local != "AssumeRoleWithWebIdentityResponse" {
		log.Warn("external STS answer unparsable", "endpoint", endpoint, "root", r.XMLName.Local)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s gave an answer that could not be understood.", endpoint)
	}
	c := r.Credentials
	exp, err := time.Parse(time.RFC3339, strings.TrimSpace(c.Expiration))
	if err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		log.Warn("external STS answer lacks credentials", "endpoint", endpoint, "access_key_id", c.AccessKeyID)
		return nil, awserr.Newf(awserr.ExternalService, "The external STS at %s gave an answer that could not be understood.", endpoint)
	}
	return &cognito.Credentials{
		AccessKeyID:     strings.TrimSpace(c.AccessKeyID),
		SecretAccessKey: strings.TrimSpace(c.SecretAccessKey),
		SessionToken:    strings.TrimSpace(c.SessionToken),
		Expiration:      exp.UTC(),
	}, nil
}

// redactedEndpoint is the endpoint as it may appear in messages and logs: without a
// password or query string.
func redactedEndpoint(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(invalid endpoint)"
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}
