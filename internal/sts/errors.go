package sts

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/idpool/idpool/internal/awserr"
)

// Error is an STS error as the client sees it: the Code of the <Error> element, its
// Message and the HTTP status. Its text reaches the client verbatim. Errors of other
// types are internal: the Handler logs them and answers InternalFailure.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Type is "Receiver" for the server's failures and "Sender" for the client's.
func (e *Error) Type() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func newError(code string, status int, format string, args ...any) *Error {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: format, Status: status}
}

func errValidation(format string, args ...any) *Error {
	return newError("ValidationError", http.StatusBadRequest, format, args...)
}

func errInternal() *Error {
	return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError,
		Message: "The request processing has failed because of an unknown error, exception or failure."}
}

// fromAuth turns an authenticator's awserr failure into the query protocol's name for it.
// The table is the one internal/iam has; both belong in a shared query-protocol package.
func fromAuth(err error) error {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		return err // internal
	}
	switch ae.Code {
	case awserr.MissingAuthenticationToken:
		return newError("MissingAuthenticationToken", http.StatusForbidden, "Request is missing Authentication Token")
	case awserr.UnrecognizedClient:
		return newError("InvalidClientTokenId", http.StatusForbidden, "%s", ae.Message)
	case awserr.InvalidSignature:
		return newError("SignatureDoesNotMatch", http.StatusForbidden, "%s", ae.Message)
	case awserr.IncompleteSignature:
		return newError("IncompleteSignature", http.StatusBadRequest, "%s", ae.Message)
	case awserr.AccessDenied, awserr.NotAuthorized:
		return newError("AccessDenied", http.StatusForbidden, "%s", ae.Message)
	case awserr.TooManyRequests:
		return newError("Throttling", http.StatusBadRequest, "Rate exceeded")
	case awserr.RequestEntityTooLarge:
		return newError("RequestEntityTooLarge", http.StatusRequestEntityTooLarge, "%s", ae.Message)
	}
	return err
}
