package iam

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/idpool/idpool/internal/awserr"
)

// Error is an IAM error as the client sees it: the Code of the <Error> element, its
// Message and the HTTP status. Its text reaches the client verbatim, so it must never
// carry internal details. Errors of other types are internal: the Handler logs them and
// answers ServiceFailure.
type Error struct {
	Code    string
	Message string
	Status  int
	// fault puts the error in the AWSFault namespace instead of IAM's: AWS's front end,
	// not IAM, answers an unknown action, and says so in its namespace.
	fault bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Type is "Receiver" for failures on the server's side and "Sender" for the client's, as
// in the <Type> element of IAM's error responses.
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

// The statuses are IAM's: its model gives NoSuchEntity 404 and the conflicts 409.
func errNoSuchEntity(format string, args ...any) *Error {
	return newError("NoSuchEntity", http.StatusNotFound, format, args...)
}

func errAlreadyExists(format string, args ...any) *Error {
	return newError("EntityAlreadyExists", http.StatusConflict, format, args...)
}

func errInvalidInput(format string, args ...any) *Error {
	return newError("InvalidInput", http.StatusBadRequest, format, args...)
}

func errLimitExceeded(format string, args ...any) *Error {
	return newError("LimitExceeded", http.StatusConflict, format, args...)
}

// msgServiceFailure is what IAM's model says of ServiceFailure; the request ID in the
// response is what links a failure to the server's log.
const msgServiceFailure = "The request processing has failed because of an unknown error, exception or failure."

func errServiceFailure() *Error {
	return &Error{Code: "ServiceFailure", Message: msgServiceFailure, Status: http.StatusInternalServerError}
}

func errInvalidAction(action, version string) *Error {
	return &Error{Code: "InvalidAction", Status: http.StatusBadRequest, fault: true,
		Message: fmt.Sprintf("Could not find operation %s for version %s", action, version)}
}

// validation collects the model-level violations of one request, which IAM reports
// together as one ValidationError ("2 validation errors detected: ...; ...") without
// echoing the values.
type validation struct{ msgs []string }

func (v *validation) add(field, constraint string) {
	v.msgs = append(v.msgs, "Value at '"+field+"' failed to satisfy constraint: "+constraint)
}

// required records a missing member and reports whether it was present.
func (v *validation) required(field string, present bool) bool {
	if !present {
		v.add(field, "Member must not be null")
	}
	return present
}

// length checks s against the model's length constraint, counted in characters.
func (v *validation) length(field, s string, min, max int) {
	n := charCount(s)
	if n < min {
		v.add(field, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if n > max {
		v.add(field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (v *validation) err() error {
	if len(v.msgs) == 0 {
		return nil
	}
	plural := "s"
	if len(v.msgs) == 1 {
		plural = ""
	}
	return newError("ValidationError", http.StatusBadRequest, "%d validation error%s detected: %s",
		len(v.msgs), plural, strings.Join(v.msgs, "; "))
}

func errValidation(msg string) *Error {
	return newError("ValidationError", http.StatusBadRequest, "%s", msg)
}

// fromAuth turns an authenticator's failure into IAM's error. The authenticator speaks
// awserr, whose names are those of the JSON protocol (UnrecognizedClientException, ...);
// IAM's query protocol has its own names for the same failures.
func fromAuth(err error) error {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		return err // internal: logged, answered with ServiceFailure
	}
	switch ae.Code {
	case awserr.MissingAuthenticationToken:
		// IAM's own wording; the JSON services say "Missing Authentication Token".
		return newError("MissingAuthenticationToken", http.StatusForbidden, "Request is missing Authentication Token")
	case awserr.UnrecognizedClient:
		return newError("InvalidClientTokenId", http.StatusForbidden, "%s", ae.Message)
	case awserr.InvalidSignature:
		return newError("SignatureDoesNotMatch", http.StatusForbidden, "%s", ae.Message)
	case awserr.IncompleteSignature:
		// 400, not 403: AWS's common errors give IncompleteSignature a client-error status.
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
