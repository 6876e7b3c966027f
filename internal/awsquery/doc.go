// Package awsquery holds the phases of AWS's query protocol that internal/iam and
// internal/sts share: reading a request's body within a size limit (ReadRequest),
// decoding its form-encoded query string and body into Params (Decode, ParseQuery) and
// finding its Action and Version (Action), the error type every response reports (Error)
// and its <ErrorResponse> envelope in a given namespace (WriteError), the
// <ActionResponse> envelope of a result (WriteResult), and the mapping of an
// authenticator's awserr failures to the query protocol's names for them (FromAuth).
// Serve runs a service's own serve function inside these: request ID, error envelope,
// internal errors logged and never shown, one debug line per request.
//
// What is a service's own stays with the service: its actions and their shapes, its XML
// namespace and version, its validation messages, and its specific errors (IAM's
// ServiceFailure and STS's InternalFailure for internal errors among them).
package awsquery
