// Package cognito implements the Cognito Identity operations as methods with typed inputs
// and outputs (the shapes of internal/api) and no knowledge of HTTP. Inputs arrive already
// checked against the API model; this package makes the semantic checks AWS makes and
// returns *awserr.Error values with AWS's messages. It is the one place where wire shapes
// and storage records are converted into each other.
package cognito
