// Package e2e holds black-box tests: they start a real idpool server on loopback and drive
// it with real clients (the AWS SDK for Go v2, the AWS CLI, boto3, the JS SDK v3).
package e2e
