package iam

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/idpool/idpool/internal/awsquery"
)

// Error is an IAM error as the client sees it: the Code of the <Error> element, its
// Message and the HTTP status. Its text reaches the client verbatim, so it must never
// carry internal details. Errors of other types are internal: the Handler logs them and
// answers ServiceFailure.
type Error = awsquery.Error

func newError(code string, status int, format string, args ...any) *Error {
	return awsquery.NewError(code, status, format, args...)
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
	// AWS's front end, not IAM, answers an unknown action, and says so in its namespace.
	return &Error{Code: "InvalidAction", Status: http.StatusBadRequest, Namespace: faultNamespace,
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
