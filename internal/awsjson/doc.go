// Package awsjson is the AWS JSON 1.1 transport of the Cognito Identity API: it routes
// POST / by X-Amz-Target, reads and bounds the body, authenticates through a small
// interface, decodes into the model's types, validates them against the model, runs the
// operation and writes the response or the AWS error envelope. The phases live here once;
// each operation only contributes its typed method.
package awsjson
