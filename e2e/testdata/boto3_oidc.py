"""boto3 logs in through an OpenID provider registered with IAM (see boto3_oidc_test.go)."""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["IDPOOL_ENDPOINT"]
pool = os.environ["IDPOOL_POOL_ID"]
provider = os.environ["IDPOOL_PROVIDER"]
tokens = json.loads(os.environ["IDPOOL_TOKENS"])

ci = boto3.client("cognito-identity", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def expect_error(code, message_prefix, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response["Error"]
        if err["Code"] != code or not err["Message"].startswith(message_prefix):
            fail("%s: got %s %r, want %s %r" % (fn.__name__, err["Code"], err["Message"], code, message_prefix))
        if e.response["ResponseMetadata"]["HTTPStatusCode"] != 400:
            fail("status %r" % e.response["ResponseMetadata"]["HTTPStatusCode"])
        return
    fail("%s succeeded, want %s" % (fn.__name__, code))


first = ci.get_id(IdentityPoolId=pool, Logins={provider: tokens["good"]})["IdentityId"]
again = ci.get_id(IdentityPoolId=pool, Logins={provider: tokens["good_again"]})["IdentityId"]
if first != again:
    fail("the same user got identities %s and %s" % (first, again))
desc = ci.describe_identity(IdentityId=first)
if desc["Logins"] != [provider]:
    fail("describe_identity Logins %r" % desc["Logins"])
tok = ci.get_open_id_token(IdentityId=first, Logins={provider: tokens["good"]})
if tok["IdentityId"] != first or tok["Token"].count(".") != 2:
    fail("get_open_id_token %r" % tok)
print("GetId and GetOpenIdToken with a real ID token: %s" % first)

account = os.environ["IDPOOL_ACCOUNT"]
role = "arn:aws:iam::%s:role/OidcUsers" % account
ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role})
creds = ci.get_credentials_for_identity(IdentityId=first, Logins={provider: tokens["good"]})
c = creds["Credentials"]
if creds["IdentityId"] != first or not c["AccessKeyId"].startswith("ASIA") or len(c["SecretKey"]) != 40 or not c["SessionToken"]:
    fail("get_credentials_for_identity %r" % creds)
sts = boto3.client("sts", endpoint_url=endpoint, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretKey"],
                   aws_session_token=c["SessionToken"], config=Config(retries={"max_attempts": 1}))
who = sts.get_caller_identity()
if who["Arn"] != "arn:aws:sts::%s:assumed-role/OidcUsers/CognitoIdentityCredentials" % account:
    fail("get_caller_identity %r" % who)
print("GetCredentialsForIdentity with the ID token: %s" % who["Arn"])
expect_error("NotAuthorizedException", "Invalid login token. Token expired: ", ci.get_credentials_for_identity, IdentityId=first, Logins={provider: tokens["expired"]})
expect_error("NotAuthorizedException", "Token is not from a supported provider of this identity pool.", ci.get_credentials_for_identity, IdentityId=first, Logins={provider: tokens["other_aud"]})

expect_error("NotAuthorizedException", "Invalid login token. Token expired: ", ci.get_id, IdentityPoolId=pool, Logins={provider: tokens["expired"]})
expect_error("NotAuthorizedException", "Token is not from a supported provider of this identity pool.", ci.get_id, IdentityPoolId=pool, Logins={provider: tokens["other_aud"]})
expect_error("NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName", ci.get_id, IdentityPoolId=pool, Logins={provider: tokens["other_issuer"]})
expect_error("NotAuthorizedException", "Invalid login token.", ci.get_id, IdentityPoolId=pool, Logins={provider: tokens["alg_none"]})
expect_error("NotAuthorizedException", "Invalid login token.", ci.get_id, IdentityPoolId=pool, Logins={provider: tokens["hs256"]})
expect_error("NotAuthorizedException", "Logins don't match.", ci.get_open_id_token, IdentityId=first)
print("refusals: expired, other audience, other issuer, alg none, HS256, no logins")
# Rules choose the role: dept=eng gets Engineers; anything else is denied.
engineers = "arn:aws:iam::%s:role/Engineers" % account
ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role}, RoleMappings={provider: {
    "Type": "Rules", "AmbiguousRoleResolution": "Deny",
    "RulesConfiguration": {"Rules": [{"Claim": "dept", "MatchType": "Equals", "Value": "eng", "RoleARN": engineers}]}}})
got = ci.get_identity_pool_roles(IdentityPoolId=pool)
if got["RoleMappings"][provider]["Type"] != "Rules":
    fail("get_identity_pool_roles %r" % got)
eng = ci.get_id(IdentityPoolId=pool, Logins={provider: tokens["engineer"]})["IdentityId"]
c = ci.get_credentials_for_identity(IdentityId=eng, Logins={provider: tokens["engineer"]})["Credentials"]
who = boto3.client("sts", endpoint_url=endpoint, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretKey"],
                   aws_session_token=c["SessionToken"], config=Config(retries={"max_attempts": 1})).get_caller_identity()
if who["Arn"] != "arn:aws:sts::%s:assumed-role/Engineers/CognitoIdentityCredentials" % account:
    fail("rules chose %r" % who["Arn"])
sales = ci.get_id(IdentityPoolId=pool, Logins={provider: tokens["salesperson"]})["IdentityId"]
expect_error("NotAuthorizedException", "The ambiguous role mapping rules for: %s denied this request." % provider,
             ci.get_credentials_for_identity, IdentityId=sales, Logins={provider: tokens["salesperson"]})
print("Rules mapping: %s, and Deny for no match" % who["Arn"])
print("OK")
