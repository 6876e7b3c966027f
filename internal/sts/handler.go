package sts

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awsquery"
	"github.com/idpool/idpool/internal/oidc"
	"github.com/idpool/idpool/internal/sigv4"
)

const (
	// Version is the STS API version of the Version parameter.
	Version = "2011-06-15"
	// Namespace is the XML namespace of STS's responses, errors included.
	Namespace = "https://sts.amazonaws.com/doc/" + Version + "/"
	// ContentType is the media type of every response.
	ContentType = awsquery.ContentType
	// DefaultMaxBodyBytes bounds request bodies: a web identity token (at most 20000
	// characters), a session policy (2048) and the other members, form-encoded, fit many
	// times over.
	DefaultMaxBodyBytes = 256 << 10
	// DefaultProvider is the Provider of AssumeRoleWithWebIdentity responses for idpool's
	// tokens: what AWS answers for Cognito Identity's.
	DefaultProvider = "cognito-identity.amazonaws.com"
	// dateFormat is how STS writes Expiration: ISO 8601 in UTC, to the second.
	dateFormat = "2006-01-02T15:04:05Z"
)

// Authenticator checks a signed request and returns the credential that signed it, so
// that GetCallerIdentity can tell an admin key from a session. Failures are
// *awserr.Error values (MissingAuthenticationToken, UnrecognizedClient,
// InvalidSignature, IncompleteSignature, ...); any other error is internal.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte) (sigv4.Credential, error)
}

// TokenVerifier checks a web identity token; *oidc.Issuer is one. Its errors are those of
// oidc.Issuer.Verify: oidc.ErrMalformed, oidc.ErrSignature, oidc.ErrIssuer (wrapped) and
// *oidc.ExpiredError; anything else is internal.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*oidc.Claims, error)
}

// TrustPolicy stands in for the trust policy of the role a web identity assumes, which
// idpool does not store. ok=false refuses the call with AccessDenied.
type TrustPolicy interface {
	AllowWebIdentity(ctx context.Context, claims *oidc.Claims, roleARN string) (ok bool, err error)
}

// Config wires a Handler.
type Config struct {
	Broker *Broker       // required
	Auth   Authenticator // required: checks every action but AssumeRoleWithWebIdentity
	Tokens TokenVerifier // required
	Trust  TrustPolicy   // optional; see SameAccountTrust for what nil means
	// Provider is the Provider of AssumeRoleWithWebIdentity responses; "" means
	// DefaultProvider.
	Provider string
	Logger   *slog.Logger
	// MaxBodyBytes bounds request bodies; zero or less means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler serves STS's GetCallerIdentity and AssumeRoleWithWebIdentity over AWS's query
// protocol.
type Handler struct {
	broker   *Broker
	auth     Authenticator
	tokens   TokenVerifier
	trust    TrustPolicy
	provider string
	log      *slog.Logger
	maxBody  int64
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	h := &Handler{broker: cfg.Broker, auth: cfg.Auth, tokens: cfg.Tokens, trust: cfg.Trust,
		provider: cfg.Provider, log: cfg.Logger, maxBody: cfg.MaxBodyBytes}
	if h.trust == nil {
		h.trust = SameAccountTrust{}
	}
	if h.provider == "" {
		h.provider = DefaultProvider
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h
}

// SameAccountTrust is the trust policy of a Handler configured without one: a token
// that names its identity pool (the identity-pool-arn claim) may assume roles of the
// pool's account only, as a role whose trust policy names the pool's ID in
// cognito-identity.amazonaws.com:aud can only be in that account. A token without the
// claim is not restricted.
type SameAccountTrust struct{}

// AllowWebIdentity implements TrustPolicy.
func (SameAccountTrust) AllowWebIdentity(_ context.Context, c *oidc.Claims, roleARN string) (bool, error) {
	if c.PoolARN == "" {
		return true, nil
	}
	_, poolAccount, _, err := arn.ParseIdentityPool(c.PoolARN)
	role, rerr := arn.Parse(roleARN)
	return err == nil && rerr == nil && poolAccount == role.AccountID, nil
}

// ServeHTTP answers one query-protocol request: GET with the parameters in the query
// string, or POST with them in a form-encoded body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsquery.Serve(w, r, awsquery.Service{Name: "sts", Namespace: Namespace, Internal: errInternal, Log: h.log}, h.serve)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, reqID string) (action string, err error) {
	body, err := awsquery.ReadRequest(w, r, h.maxBody)
	if err != nil {
		return "", err
	}
	p, err := awsquery.Decode(r, body)
	if err != nil {
		return "", err
	}
	action, v, err := awsquery.Action(p, Version)
	if err != nil {
		return "", err
	}

	var result any
	switch {
	case v != Version:
		return action, errInvalidAction(action, v)
	case action == "AssumeRoleWithWebIdentity":
		// Unsigned, as in AWS: the token is the credential. A signature, if any, is
		// ignored, as STS ignores it.
		result, err = h.assumeRoleWithWebIdentity(r.Context(), p)
	default:
		// Everything else is signed, and the signature is checked before the action is
		// looked at, so that an unsigned caller learns nothing about which exist.
		cred, aerr := h.auth.Authenticate(r.Context(), r, body)
		if aerr != nil {
			return action, awsquery.FromAuth(aerr)
		}
		switch action {
		case "GetCallerIdentity":
			result, err = h.getCallerIdentity(cred)
		default:
			return action, errInvalidAction(action, v)
		}
	}
	if err != nil {
		return action, err
	}
	return action, awsquery.WriteResult(w, Namespace, action, reqID, result)
}

func errInvalidAction(action, version string) *Error {
	return newError("InvalidAction", http.StatusBadRequest, "Could not find operation %s for version %s", action, version)
}

// getCallerIdentity names the principal that signed: the root of the account for an
// admin key, the assumed role session for temporary credentials.
func (h *Handler) getCallerIdentity(cred sigv4.Credential) (any, error) {
	if cred.SessionToken == "" {
		return &callerIdentityResult{
			Arn:     "arn:aws:iam::" + cred.AccountID + ":root",
			UserID:  cred.AccountID,
			Account: cred.AccountID,
		}, nil
	}
	// The Verifier opened the session token and checked its expiry with the wall clock;
	// the broker's clock, which issued the credentials, has the last word (a stepped one in
	// tests, where the two differ).
	if !h.broker.now().Before(cred.Expiry) {
		return nil, newError("ExpiredToken", http.StatusForbidden, "The security token included in the request is expired")
	}
	return &callerIdentityResult{Arn: cred.PrincipalARN, UserID: cred.UserID, Account: cred.AccountID}, nil
}

// Messages of STS's refusals of a web identity token.
const (
	msgNotJWT     = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	msgBadKey     = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgBadIssuer  = "No OpenIDConnect provider found in your account for the token's issuer"
	msgNotAllowed = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
)

func (h *Handler) assumeRoleWithWebIdentity(ctx context.Context, p awsquery.Params) (any, error) {
	var v validation
	roleARN, token := p.Get("RoleArn"), p.Get("WebIdentityToken")
	sessionName := p.Get("RoleSessionName")
	if v.required("roleArn", p.Has("RoleArn")) {
		v.length("roleArn", roleARN, 20, 2048)
	}
	if v.required("roleSessionName", p.Has("RoleSessionName")) {
		v.length("roleSessionName", sessionName, 2, 64)
		if !sessionNamePattern.MatchString(sessionName) && len(sessionName) >= 2 && len(sessionName) <= 64 {
			v.addValue("roleSessionName", sessionName, `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
		}
	}
	if v.required("webIdentityToken", p.Has("WebIdentityToken")) {
		v.length("webIdentityToken", token, 4, 20000)
	}
	duration := DefaultDuration
	if p.Has("DurationSeconds") {
		s := p.Get("DurationSeconds")
		n, err := strconv.ParseInt(s, 10, 32)
		switch {
		case err != nil:
			v.addValue("durationSeconds", s, "Member must be a number")
		case n < int64(MinDuration/time.Second):
			v.addValue("durationSeconds", s, "Member must have value greater than or equal to 900")
		case n > int64(MaxDuration/time.Second):
			v.addValue("durationSeconds", s, "Member must have value less than or equal to 43200")
		default:
			duration = time.Duration(n) * time.Second
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if !arn.IsRole(roleARN) {
		return nil, errValidation("Request ARN is invalid")
	}

	claims, err := h.tokens.Verify(ctx, token)
	if err != nil {
		return nil, fromVerify(err)
	}
	ok, err := h.trust.AllowWebIdentity(ctx, claims, roleARN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, newError("AccessDenied", http.StatusForbidden, msgNotAllowed)
	}
	s, err := h.broker.Issue(Request{
		RoleARN:     roleARN,
		SessionName: sessionName,
		IdentityID:  claims.Subject,
		PoolID:      claims.Audience,
		Tags:        claims.PrincipalTags,
		Duration:    duration,
	})
	if err != nil {
		return nil, err
	}
	return &webIdentityResult{
		Credentials: xmlCredentials{
			AccessKeyID:     s.AccessKeyID,
			SecretAccessKey: s.SecretAccessKey,
			SessionToken:    s.SessionToken,
			Expiration:      s.Expiry.UTC().Format(dateFormat),
		},
		SubjectFromWebIdentityToken: claims.Subject,
		AssumedRoleUser: xmlAssumedRoleUser{
			Arn:           AssumedRoleARN(roleARN, sessionName),
			AssumedRoleID: RoleID(roleARN) + ":" + sessionName,
		},
		Audience: claims.Audience,
		Provider: h.provider,
	}, nil
}

// fromVerify maps a TokenVerifier's refusal to STS's.
func fromVerify(err error) error {
	if e, ok := errors.AsType[*oidc.ExpiredError](err); ok {
		// STS's own wording, the missing space included.
		return newError("ExpiredTokenException", http.StatusBadRequest,
			"Token expired: current date/time %d must be before the expiration date/time%d", e.Now.Unix(), e.Expiry.Unix())
	}
	switch {
	case errors.Is(err, oidc.ErrMalformed):
		return newError("InvalidIdentityToken", http.StatusBadRequest, msgNotJWT)
	case errors.Is(err, oidc.ErrSignature):
		return newError("InvalidIdentityToken", http.StatusBadRequest, msgBadKey)
	case errors.Is(err, oidc.ErrIssuer):
		return newError("InvalidIdentityToken", http.StatusBadRequest, msgBadIssuer)
	}
	return err
}

// validation collects the model-level violations of one request, reported together as
// one ValidationError ("2 validation errors detected: ...; ...") as STS does.
type validation struct{ msgs []string }

func (v *validation) addValue(field, value, constraint string) {
	v.msgs = append(v.msgs, "Value '"+value+"' at '"+field+"' failed to satisfy constraint: "+constraint)
}

func (v *validation) required(field string, present bool) bool {
	if !present {
		v.msgs = append(v.msgs, "Value null at '"+field+"' failed to satisfy constraint: Member must not be null")
	}
	return present
}

// length checks the length of s in characters. The value is not echoed: it may be a
// token.
func (v *validation) length(field, s string, min, max int) {
	n := len([]rune(s))
	switch {
	case n < min:
		v.msgs = append(v.msgs, "Value at '"+field+"' failed to satisfy constraint: Member must have length greater than or equal to "+strconv.Itoa(min))
	case n > max:
		v.msgs = append(v.msgs, "Value at '"+field+"' failed to satisfy constraint: Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

func (v *validation) err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return errValidation("1 validation error detected: %s", v.msgs[0])
	}
	msg := ""
	for i, m := range v.msgs {
		if i > 0 {
			msg += "; "
		}
		msg += m
	}
	return errValidation("%d validation errors detected: %s", len(v.msgs), msg)
}

// The result elements, named as in STS's model.

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlAssumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type webIdentityResult struct {
	Credentials                 xmlCredentials     `xml:"Credentials"`
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             xmlAssumedRoleUser `xml:"AssumedRoleUser"`
	Audience                    string             `xml:"Audience"`
	Provider                    string             `xml:"Provider"`
}
