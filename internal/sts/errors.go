package sts

import (
	"net/http"

	"github.com/idpool/idpool/internal/awsquery"
)

// Error is an STS error as the client sees it: the Code of the <Error> element, its
// Message and the HTTP status. Its text reaches the client verbatim. Errors of other
// types are internal: the Handler logs them and answers InternalFailure.
type Error = awsquery.Error

func newError(code string, status int, format string, args ...any) *Error {
	return awsquery.NewError(code, status, format, args...)
}

func errValidation(format string, args ...any) *Error {
	return newError("ValidationError", http.StatusBadRequest, format, args...)
}

func errInternal() *Error {
	return &Error{Code: "InternalFailure", Status: http.StatusInternalServerError,
		Message: "The request processing has failed because of an unknown error, exception or failure."}
}
