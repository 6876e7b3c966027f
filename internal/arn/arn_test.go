package arn

import "testing"

func TestIdentityPoolRoundTrip(t *testing.T) {
	s := IdentityPool("us-east-1", "123456789012", "us-east-1:0b5c1e0c-2f4e-4a4e-9c53-5d3b2c1f0a11")
	if want := "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/us-east-1:0b5c1e0c-2f4e-4a4e-9c53-5d3b2c1f0a11"; s != want {
		t.Fatalf("got %s", s)
	}
	region, acct, id, err := ParseIdentityPool(s)
	if err != nil || region != "us-east-1" || acct != "123456789012" || id != "us-east-1:0b5c1e0c-2f4e-4a4e-9c53-5d3b2c1f0a11" {
		t.Fatalf("got %q %q %q %v", region, acct, id, err)
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{
		"", "arn", "arn:aws", "x:aws:cognito-identity:us-east-1:123456789012:identitypool/a:b",
		"arn:aws:cognito-identity:us-east-1:123456789012:identitypool/",
		"arn:aws:cognito-identity:us-east-1:12345:identitypool/a:b",
		"arn:aws:iam::123456789012:identitypool/a:b",
	} {
		if _, _, _, err := ParseIdentityPool(s); err == nil {
			t.Errorf("ParseIdentityPool(%q) accepted", s)
		}
	}
}

func TestIAM(t *testing.T) {
	p, err := ParseIAMProvider("arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9000/realms/demo")
	if err != nil || p.Kind != "oidc-provider" || p.Name != "127.0.0.1:9000/realms/demo" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := ParseIAMProvider("arn:aws:iam::123456789012:role/x"); err == nil {
		t.Fatal("role accepted as provider")
	}
	if !IsRole("arn:aws:iam::123456789012:role/service/Cognito_Auth") || IsRole("arn:aws:iam::123456789012:user/x") {
		t.Fatal("IsRole")
	}
	if !IsRole("arn:minio:iam:::role/dXNlcjE") || IsRole("arn:aws:iam:::role/x") || IsRole("arn:aws-cn:iam:::role/x") {
		t.Fatal("IsRole without an account")
	}
}
