package awsquery

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/idpool/idpool/internal/awserr"
)

// Error is a query-protocol error as the client sees it: the Code of the <Error> element,
// its Message and the HTTP status. Its text reaches the client verbatim, so it must never
// carry internal details.
type Error struct {
	Code    string
	Message string
	Status  int
	// Namespace, when set, is the namespace of the error's envelope instead of the
	// service's: AWS's front end, not the service, answers some errors (an unknown
	// action, for IAM) in its own AWSFault namespace.
	Namespace string
	// cause is what made the error, for the server's log only.
	cause error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns what caused the error, if known; it is never shown to the client.
func (e *Error) Unwrap() error { return e.cause }

// Type is "Receiver" for failures on the server's side and "Sender" for the client's, as
// in the <Type> element of the error envelope.
func (e *Error) Type() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// NewError returns an Error whose Message is format, formatted with args if there are
// any.
func NewError(code string, status int, format string, args ...any) *Error {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: format, Status: status}
}

// FromAuth turns an authenticator's failure into the query protocol's error. The
// authenticator speaks awserr, whose names are those of the JSON protocol
// (UnrecognizedClientException, ...); the query protocol has its own names for the same
// failures. Errors that are not *awserr.Error, or that have no query-protocol name, are
// returned as they are: internal.
func FromAuth(err error) error {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Code {
	case awserr.MissingAuthenticationToken:
		// The query services' own wording; the JSON services say "Missing Authentication Token".
		return NewError("MissingAuthenticationToken", http.StatusForbidden, "Request is missing Authentication Token")
	case awserr.UnrecognizedClient:
		return NewError("InvalidClientTokenId", http.StatusForbidden, "%s", ae.Message)
	case awserr.ExpiredToken:
		return NewError("ExpiredToken", http.StatusForbidden, "%s", ae.Message)
	case awserr.InvalidSignature:
		return NewError("SignatureDoesNotMatch", http.StatusForbidden, "%s", ae.Message)
	case awserr.IncompleteSignature:
		// 400, not 403: AWS's common errors give IncompleteSignature a client-error status.
		return NewError("IncompleteSignature", http.StatusBadRequest, "%s", ae.Message)
	case awserr.AccessDenied, awserr.NotAuthorized:
		return NewError("AccessDenied", http.StatusForbidden, "%s", ae.Message)
	case awserr.TooManyRequests:
		return NewError("Throttling", http.StatusBadRequest, "Rate exceeded")
	case awserr.RequestEntityTooLarge:
		return NewError("RequestEntityTooLarge", http.StatusRequestEntityTooLarge, "%s", ae.Message)
	}
	return err
}
