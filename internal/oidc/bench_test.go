package oidc

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha512"
	"strings"
	"testing"
	"time"
)

// BenchmarkIssue measures token issuance end to end (claims encoding, JWS assembly,
// RS512 signature). Compare with BenchmarkRawRSASign, the RSA signature alone over an
// input of the same size with the same key: the difference is what the issuer adds.
func BenchmarkIssue(b *testing.B) {
	clock := newClock()
	i := newTestIssuer(b, &memStore{}, clock, nil)
	c := devClaims(clock, 15*time.Minute)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Issue(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawRSASign(b *testing.B) {
	clock := newClock()
	i := newTestIssuer(b, &memStore{}, clock, nil)
	tok := mustIssue(b, i, devClaims(clock, 15*time.Minute))
	input := []byte(tok[:strings.LastIndexByte(tok, '.')]) // header.payload, what is signed
	key, _ := privateKeys(b, i)
	b.ReportAllocs()
	for b.Loop() {
		sum := sha512.Sum512(input)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA512, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	clock := newClock()
	i := newTestIssuer(b, &memStore{}, clock, nil)
	tok := mustIssue(b, i, devClaims(clock, 15*time.Minute))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueParallel shows issuance across cores: the hot path takes no lock.
func BenchmarkIssueParallel(b *testing.B) {
	clock := newClock()
	i := newTestIssuer(b, &memStore{}, clock, nil)
	c := devClaims(clock, 15*time.Minute)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := i.Issue(ctx, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
