// Package arn parses and formats the Amazon Resource Names idpool deals in: identity pool
// ARNs (for tagging), IAM OpenID Connect and SAML provider ARNs and IAM role ARNs.
// It depends on the standard library only.
package arn

import (
	"errors"
	"strings"
)

// ARN is "arn:<partition>:<service>:<region>:<account>:<resource>".
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// ErrMalformed is returned for strings that are not ARNs.
var ErrMalformed = errors.New("arn: malformed")

// Parse splits s into its parts. The resource may contain further colons.
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, ErrMalformed
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// IdentityPool formats a pool's ARN; the pool ID keeps its colon, as AWS writes it.
func IdentityPool(region, accountID, poolID string) string {
	return "arn:aws:cognito-identity:" + region + ":" + accountID + ":identitypool/" + poolID
}

// ParseIdentityPool returns the region, account and pool ID named by a pool ARN.
func ParseIdentityPool(s string) (region, accountID, poolID string, err error) {
	a, err := Parse(s)
	if err != nil {
		return "", "", "", err
	}
	id, ok := strings.CutPrefix(a.Resource, "identitypool/")
	if a.Service != "cognito-identity" || !ok || id == "" || a.Region == "" || !isAccountID(a.AccountID) {
		return "", "", "", ErrMalformed
	}
	return a.Region, a.AccountID, id, nil
}

// IAMProvider describes an IAM identity provider ARN, OIDC or SAML.
type IAMProvider struct {
	AccountID string
	Kind      string // "oidc-provider" or "saml-provider"
	Name      string // OIDC: host and path of the issuer; SAML: the provider's name
}

// ParseIAMProvider accepts arn:aws:iam::<account>:oidc-provider/<host/path> and
// arn:aws:iam::<account>:saml-provider/<name>.
func ParseIAMProvider(s string) (IAMProvider, error) {
	a, err := Parse(s)
	if err != nil {
		return IAMProvider{}, err
	}
	if a.Service != "iam" || a.Region != "" || !isAccountID(a.AccountID) {
		return IAMProvider{}, ErrMalformed
	}
	kind, name, ok := strings.Cut(a.Resource, "/")
	if !ok || name == "" || (kind != "oidc-provider" && kind != "saml-provider") {
		return IAMProvider{}, ErrMalformed
	}
	return IAMProvider{AccountID: a.AccountID, Kind: kind, Name: name}, nil
}

// IsRole reports whether s is an IAM role ARN (arn:<partition>:iam::<account>:role/<path/name>).
// Outside the aws partitions the account may be empty: S3-compatible servers such as
// MinIO name their roles arn:minio:iam:::role/<id>, and idpool hands their ARNs to them.
func IsRole(s string) bool {
	a, err := Parse(s)
	awsPartition := a.Partition == "aws" || strings.HasPrefix(a.Partition, "aws-")
	if err != nil || a.Service != "iam" || a.Region != "" || !(isAccountID(a.AccountID) || (!awsPartition && a.AccountID == "")) {
		return false
	}
	name, ok := strings.CutPrefix(a.Resource, "role/")
	return ok && name != ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
