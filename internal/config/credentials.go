package config

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

const generatedCredentialsFile = "admin-credentials.json"

type credentialsFile struct {
	Credentials []Credential `json:"credentials"`
}

func readCredentials(path string) ([]Credential, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f credentialsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	if len(f.Credentials) == 0 {
		return nil, fmt.Errorf("credentials file %s lists no credentials", path)
	}
	return f.Credentials, nil
}

func writeCredentials(path string, creds []Credential) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(credentialsFile{Credentials: creds}, "", "  ")
	if err != nil {
		return err
	}
	// O_EXCL: never overwrite a credential a concurrent start just wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// generateCredential makes an access key in AWS's shape: "AKIA" and 16 upper-case
// characters, and a 40-character secret. Both alphabets are powers of two long, so the
// byte-to-character mapping has no bias.
func generateCredential(account string) (Credential, error) {
	var b [56]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Credential{}, err
	}
	id := make([]byte, 20)
	copy(id, "AKIA")
	for i := range 16 {
		id[4+i] = upperDigits[b[i]&31]
	}
	secret := make([]byte, 40)
	for i := range 40 {
		secret[i] = secretChars[b[16+i]&63]
	}
	return Credential{AccessKeyID: string(id), SecretAccessKey: string(secret), AccountID: account}, nil
}
