// Package awserr is the one table of errors idpool sends on the wire: each code's
// exception name as clients see it in __type and x-amzn-ErrorType, and its HTTP status.
// Operations return *Error values; the transports turn them into responses.
package awserr

import "fmt"

// Code identifies an AWS exception. The zero value is InternalError so that an
// uninitialised code can never be mistaken for a client error.
type Code uint8

const (
	InternalError Code = iota
	InvalidParameter
	NotAuthorized
	ResourceNotFound
	ResourceConflict
	LimitExceeded
	TooManyRequests
	DeveloperUserAlreadyRegistered
	ConcurrentModification
	ExternalService
	InvalidIdentityPoolConfiguration

	// Protocol-level errors every awsJson service returns.
	Validation
	Serialization
	UnknownOperation
	MissingAuthenticationToken
	UnrecognizedClient
	ExpiredToken
	InvalidSignature
	IncompleteSignature
	AccessDenied
	RequestEntityTooLarge

	numCodes
)

var table = [numCodes]struct {
	name   string
	status int
}{
	InternalError:                    {"InternalErrorException", 500},
	InvalidParameter:                 {"InvalidParameterException", 400},
	NotAuthorized:                    {"NotAuthorizedException", 400},
	ResourceNotFound:                 {"ResourceNotFoundException", 400},
	ResourceConflict:                 {"ResourceConflictException", 400},
	LimitExceeded:                    {"LimitExceededException", 400},
	TooManyRequests:                  {"TooManyRequestsException", 400},
	DeveloperUserAlreadyRegistered:   {"DeveloperUserAlreadyRegisteredException", 400},
	ConcurrentModification:           {"ConcurrentModificationException", 400},
	ExternalService:                  {"ExternalServiceException", 400},
	InvalidIdentityPoolConfiguration: {"InvalidIdentityPoolConfigurationException", 400},
	Validation:                       {"ValidationException", 400},
	Serialization:                    {"SerializationException", 400},
	UnknownOperation:                 {"UnknownOperationException", 400},
	MissingAuthenticationToken:       {"MissingAuthenticationTokenException", 400},
	UnrecognizedClient:               {"UnrecognizedClientException", 400},
	ExpiredToken:                     {"ExpiredTokenException", 403},
	InvalidSignature:                 {"InvalidSignatureException", 400},
	IncompleteSignature:              {"IncompleteSignatureException", 400},
	AccessDenied:                     {"AccessDeniedException", 400},
	RequestEntityTooLarge:            {"RequestEntityTooLargeException", 413},
}

// Name is the exception name clients match on, for example "ResourceNotFoundException".
func (c Code) Name() string {
	if c >= numCodes {
		return table[InternalError].name
	}
	return table[c].name
}

// Status is the HTTP status AWS answers this exception with.
func (c Code) Status() int {
	if c >= numCodes {
		return table[InternalError].status
	}
	return table[c].status
}

// Error is an AWS-shaped error: its Message is sent to the client verbatim, so it must
// never carry internal details or secrets.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Code.Name() + ": " + e.Message }

// New returns an error with a fixed message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Newf returns an error whose message is formatted.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
