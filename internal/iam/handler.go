package iam

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/idpool/idpool/internal/awsquery"
	"github.com/idpool/idpool/internal/storage"
)

const (
	// Version is the IAM API version of the Version parameter.
	Version = "2010-05-08"
	// Namespace is the XML namespace of IAM's responses.
	Namespace = "https://iam.amazonaws.com/doc/" + Version + "/"
	// faultNamespace is the namespace of errors that AWS's front end answers before a
	// request reaches IAM (an unknown action).
	faultNamespace = "http://webservices.amazon.com/AWSFault/2005-15-09"
	// ContentType is the media type of every response, errors included.
	ContentType = awsquery.ContentType
	// DefaultMaxBodyBytes bounds request bodies. IAM accepts SAML metadata documents of up
	// to 10,000,000 characters, which form encoding can triple, so the limit must be far
	// above what the Cognito API needs.
	DefaultMaxBodyBytes = 32 << 20
	// dateFormat is how IAM writes dates: ISO 8601 in UTC, to the second.
	dateFormat = "2006-01-02T15:04:05Z"
)

// Authenticator establishes the account a request acts for. Failures are *awserr.Error
// values (MissingAuthenticationToken, UnrecognizedClient, InvalidSignature,
// IncompleteSignature, ...), which the Handler answers under IAM's names; any other error
// is internal.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte) (accountID string, err error)
}

// Config wires a Handler.
type Config struct {
	Store storage.ProviderStore
	Auth  Authenticator
	// Now is the clock that stamps CreateDate; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; zero or less means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler serves the IAM identity provider operations over AWS's query protocol.
type Handler struct {
	store   storage.ProviderStore
	auth    Authenticator
	now     func() time.Time
	log     *slog.Logger
	maxBody int64
}

// operation runs one action for an authenticated account. It returns the value that
// becomes the <ActionResult> element, or nil for actions whose response has none.
type operation func(h *Handler, ctx context.Context, accountID string, p params) (any, error)

var operations = map[string]operation{
	"CreateOpenIDConnectProvider":             (*Handler).createOIDC,
	"GetOpenIDConnectProvider":                (*Handler).getOIDC,
	"ListOpenIDConnectProviders":              (*Handler).listOIDC,
	"DeleteOpenIDConnectProvider":             (*Handler).deleteOIDC,
	"AddClientIDToOpenIDConnectProvider":      (*Handler).addClientID,
	"RemoveClientIDFromOpenIDConnectProvider": (*Handler).removeClientID,
	"UpdateOpenIDConnectProviderThumbprint":   (*Handler).updateThumbprints,
	"CreateSAMLProvider":                      (*Handler).createSAML,
	"GetSAMLProvider":                         (*Handler).getSAML,
	"ListSAMLProviders":                       (*Handler).listSAML,
	"UpdateSAMLProvider":                      (*Handler).updateSAML,
	"DeleteSAMLProvider":                      (*Handler).deleteSAML,
	"CreateRole":                              (*Handler).createRole,
	"GetRole":                                 (*Handler).getRole,
	"ListRoles":                               (*Handler).listRoles,
	"DeleteRole":                              (*Handler).deleteRole,
}

// New returns a Handler for cfg. Store and Auth are required.
func New(cfg Config) *Handler {
	h := &Handler{store: cfg.Store, auth: cfg.Auth, now: cfg.Now, log: cfg.Logger, maxBody: cfg.MaxBodyBytes}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h
}

// ServeHTTP answers one query-protocol request: GET with the parameters in the query
// string, or POST with them in a form-encoded body (and possibly the query string too).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsquery.Serve(w, r, awsquery.Service{Name: "iam", Namespace: Namespace, Internal: errServiceFailure, Log: h.log}, h.serve)
}

// serve runs the request and writes a successful response; an error it returns is
// written by ServeHTTP. action is the operation's name once known, for the log.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, reqID string) (action string, err error) {
	body, err := awsquery.ReadRequest(w, r, h.maxBody)
	if err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			h.log.Debug("reading request body", "request_id", reqID, "err", cause)
		}
		return "", err
	}

	// Authentication comes before everything the parameters could reveal, so that an
	// unsigned caller learns nothing, not even which actions exist.
	accountID, err := h.auth.Authenticate(r.Context(), r, body)
	if err != nil {
		return "", awsquery.FromAuth(err)
	}

	q, err := awsquery.Decode(r, body)
	if err != nil {
		return "", err
	}
	action, v, err := awsquery.Action(q, Version)
	if err != nil {
		return "", err
	}
	op := operations[action]
	if op == nil || v != Version {
		return action, errInvalidAction(action, v)
	}
	result, err := op(h, r.Context(), accountID, params(q))
	if err != nil {
		return action, err
	}
	return action, awsquery.WriteResult(w, Namespace, action, reqID, result)
}

// The result elements, named and nested as in IAM's model. Lists render as
// <List><member>...</member></List>.

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// memberList renders as the query protocol's lists do: <List><member>...</member>...
// </List>. Without omitempty the element is there even when the list is empty, as IAM
// writes the lists of a Get result; with it, an empty list leaves no element.
type memberList[T any] []T

func (m memberList[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range m {
		if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

type createOIDCResult struct {
	OpenIDConnectProviderArn string             `xml:"OpenIDConnectProviderArn"`
	Tags                     memberList[xmlTag] `xml:"Tags,omitempty"`
}

type getOIDCResult struct {
	URL            string             `xml:"Url"`
	ClientIDList   memberList[string] `xml:"ClientIDList"`
	ThumbprintList memberList[string] `xml:"ThumbprintList"`
	CreateDate     string             `xml:"CreateDate"`
	Tags           memberList[xmlTag] `xml:"Tags,omitempty"`
}

type arnEntry struct {
	Arn string `xml:"Arn"`
}

type listOIDCResult struct {
	OpenIDConnectProviderList memberList[arnEntry] `xml:"OpenIDConnectProviderList"`
}

type createSAMLResult struct {
	SAMLProviderArn string             `xml:"SAMLProviderArn"`
	Tags            memberList[xmlTag] `xml:"Tags,omitempty"`
}

type getSAMLResult struct {
	SAMLMetadataDocument string             `xml:"SAMLMetadataDocument"`
	CreateDate           string             `xml:"CreateDate"`
	ValidUntil           string             `xml:"ValidUntil,omitempty"`
	Tags                 memberList[xmlTag] `xml:"Tags,omitempty"`
}

type samlEntry struct {
	Arn        string `xml:"Arn"`
	ValidUntil string `xml:"ValidUntil,omitempty"`
	CreateDate string `xml:"CreateDate"`
}

type listSAMLResult struct {
	SAMLProviderList memberList[samlEntry] `xml:"SAMLProviderList"`
}

type updateSAMLResult struct {
	SAMLProviderArn string `xml:"SAMLProviderArn"`
}

// date renders t as IAM does, or "" for the zero time (an element then omitted).
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateFormat)
}
