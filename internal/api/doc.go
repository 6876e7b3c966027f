// Package api holds the wire shapes of the Amazon Cognito Identity API (AWS JSON 1.1,
// target prefix AWSCognitoIdentityService, version 2014-06-30) and their validation,
// generated from the botocore model in model/.
//
// Generated (do not edit; run go generate ./internal/api after changing the model or
// the generator in internal/gen):
//
//   - zz_generated_types.go: one struct per non-exception structure shape, named as
//     the shape, with fields named and JSON-tagged as the members. Strings (enums
//     included) are string; booleans, integers and longs are *bool, *int32 and *int64;
//     timestamps *Time; nested structures *Struct; lists []Elem and maps
//     map[string]Elem, holding structures by value. Scalars and structures are
//     omitempty; lists and maps are omitzero, so a nil one is left out and an empty
//     non-nil one is written as [] or {}.
//   - zz_generated_validate.go: Validate() error on every structure reachable from an
//     operation input, checking required members, lengths (in UTF-16 code units, as
//     Java counts them), value ranges, patterns and enums with AWS's exact messages
//     (see ValidationError). It does not allocate when the input is valid.
//   - zz_generated_operations.go: Operations, TargetPrefix and APIVersion.
//
// Hand-written: Time (epoch-seconds timestamps), Operation, and ValidationError with the
// runtime the generated validators use.
package api

//go:generate go run ./internal/gen
