"""Drives idpool with boto3: every identity pool and tag operation, the error cases, the
ListIdentityPools paginator, and a request signed with a skewed clock.

Run by e2e/boto3_test.go with /usr/bin/python3. The endpoint comes from IDPOOL_ENDPOINT,
the credential and region from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION,
the account from IDPOOL_ACCOUNT. Prints OK at the end; on failure it prints what went
wrong to stderr and exits non-zero.
"""

import datetime
import json
import os
import re
import sys
import traceback
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ["IDPOOL_ENDPOINT"]
REGION = os.environ["AWS_REGION"]
KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]
ACCOUNT = os.environ["IDPOOL_ACCOUNT"]

POOL_ID = re.compile(r"^" + re.escape(REGION) + r":[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Failure(Exception):
    pass


def check(cond, what, got=None):
    if not cond:
        raise Failure(what if got is None else "%s; got %r" % (what, got))


def client(key_id=KEY_ID, secret=SECRET, region=REGION):
    return boto3.session.Session().client(
        "cognito-identity",
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )


def expect_error(fn, code, message=None, message_prefix=None, **kwargs):
    """Calls fn(**kwargs), which must fail with the AWS error code (and message)."""
    try:
        out = fn(**kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        meta = e.response.get("ResponseMetadata", {})
        name = getattr(fn, "__name__", str(fn))
        check(err.get("Code") == code, "%s: want error %s" % (name, code), e.response)
        if message is not None:
            check(err.get("Message") == message, "%s: %s message\n want: %s" % (name, code, message), err.get("Message"))
        if message_prefix is not None:
            check(err.get("Message", "").startswith(message_prefix), "%s: %s message prefix %r" % (name, code, message_prefix), err.get("Message"))
        check(meta.get("HTTPStatusCode") == 400, "%s: %s status" % (name, code), meta.get("HTTPStatusCode"))
        check(meta.get("RequestId"), "%s: %s without a request ID" % (name, code), meta)
        return e
    raise Failure("%s(%r) succeeded, want %s: %r" % (getattr(fn, "__name__", fn), kwargs, code, out))


def pool_arn(pool_id):
    return "arn:aws:cognito-identity:%s:%s:identitypool/%s" % (REGION, ACCOUNT, pool_id)


def not_found(pool_id):
    return "IdentityPool '%s' not found." % pool_id


def test_lifecycle(c):
    created = c.create_identity_pool(
        IdentityPoolName="boto3 pool",
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=True,
        SupportedLoginProviders={"accounts.google.com": "123.apps.googleusercontent.com", "graph.facebook.com": "7346241598935555"},
        DeveloperProviderName="login.boto3.test",
        OpenIdConnectProviderARNs=["arn:aws:iam::%s:oidc-provider/example.com" % ACCOUNT],
        CognitoIdentityProviders=[{
            "ProviderName": "cognito-idp.%s.amazonaws.com/%s_AbCdEf123" % (REGION, REGION),
            "ClientId": "boto3client",
            "ServerSideTokenCheck": True,
        }],
        SamlProviderARNs=["arn:aws:iam::%s:saml-provider/corp" % ACCOUNT],
        IdentityPoolTags={"team": "data", "empty": ""},
    )
    check(created["ResponseMetadata"]["HTTPStatusCode"] == 200, "create status", created["ResponseMetadata"])
    pid = created["IdentityPoolId"]
    check(POOL_ID.match(pid), "pool ID format", pid)

    d = c.describe_identity_pool(IdentityPoolId=pid)
    want = {
        "IdentityPoolId": pid,
        "IdentityPoolName": "boto3 pool",
        "AllowUnauthenticatedIdentities": False,
        "AllowClassicFlow": True,
        "DeveloperProviderName": "login.boto3.test",
        "SupportedLoginProviders": {"accounts.google.com": "123.apps.googleusercontent.com", "graph.facebook.com": "7346241598935555"},
        "OpenIdConnectProviderARNs": ["arn:aws:iam::%s:oidc-provider/example.com" % ACCOUNT],
        "SamlProviderARNs": ["arn:aws:iam::%s:saml-provider/corp" % ACCOUNT],
        "IdentityPoolTags": {"team": "data", "empty": ""},
    }
    for k, v in want.items():
        check(d.get(k) == v, "describe %s" % k, d.get(k))
    cips = d.get("CognitoIdentityProviders")
    check(cips == [{"ProviderName": "cognito-idp.%s.amazonaws.com/%s_AbCdEf123" % (REGION, REGION), "ClientId": "boto3client", "ServerSideTokenCheck": True}],
          "describe CognitoIdentityProviders", cips)
    for k in want:
        if k != "IdentityPoolId":
            check(created.get(k) == d.get(k), "create and describe differ on %s" % k, (created.get(k), d.get(k)))

    # Update replaces the whole pool: members left out return to their defaults, while
    # the developer provider and the tags stay.
    u = c.update_identity_pool(IdentityPoolId=pid, IdentityPoolName="boto3 pool renamed", AllowUnauthenticatedIdentities=True)
    check(u["IdentityPoolName"] == "boto3 pool renamed" and u["AllowUnauthenticatedIdentities"] is True, "update result", u)
    check("AllowClassicFlow" not in u, "AllowClassicFlow after update without it", u.get("AllowClassicFlow"))
    check(not u.get("SupportedLoginProviders") and not u.get("CognitoIdentityProviders") and not u.get("OpenIdConnectProviderARNs")
          and not u.get("SamlProviderARNs"), "providers after update without them", u)
    check(u.get("DeveloperProviderName") == "login.boto3.test", "DeveloperProviderName kept", u.get("DeveloperProviderName"))
    check(u.get("IdentityPoolTags") == {"team": "data", "empty": ""}, "tags kept by update", u.get("IdentityPoolTags"))
    d = c.describe_identity_pool(IdentityPoolId=pid)
    check(d["IdentityPoolName"] == "boto3 pool renamed" and d["AllowUnauthenticatedIdentities"] is True, "describe after update", d)
    expect_error(c.update_identity_pool, "InvalidParameterException", "Cannot change DeveloperProviderName once it is set.",
                 IdentityPoolId=pid, IdentityPoolName="x", AllowUnauthenticatedIdentities=True, DeveloperProviderName="other.provider")

    listed = c.list_identity_pools(MaxResults=60)
    check({"IdentityPoolId": pid, "IdentityPoolName": "boto3 pool renamed"} in listed["IdentityPools"], "pool in list", listed)
    check("NextToken" not in listed, "NextToken on a single page", listed)

    # Tags.
    arn = pool_arn(pid)
    c.tag_resource(ResourceArn=arn, Tags={"team": "ml", "cost-center": "42"})
    t = c.list_tags_for_resource(ResourceArn=arn)
    check(t["Tags"] == {"team": "ml", "empty": "", "cost-center": "42"}, "tags after tag_resource", t["Tags"])
    c.untag_resource(ResourceArn=arn, TagKeys=["empty", "never-set"])
    t = c.list_tags_for_resource(ResourceArn=arn)
    check(t["Tags"] == {"team": "ml", "cost-center": "42"}, "tags after untag_resource", t["Tags"])
    check(c.describe_identity_pool(IdentityPoolId=pid)["IdentityPoolTags"] == t["Tags"], "describe shows the tags")
    expect_error(c.tag_resource, "InvalidParameterException", ResourceArn=arn, Tags={"aws:reserved": "x"})
    expect_error(c.list_tags_for_resource, "InvalidParameterException", ResourceArn="not-an-arn-but-long-enough")

    # Delete, then everything about the pool is gone.
    c.delete_identity_pool(IdentityPoolId=pid)
    expect_error(c.describe_identity_pool, "ResourceNotFoundException", not_found(pid), IdentityPoolId=pid)
    expect_error(c.delete_identity_pool, "ResourceNotFoundException", not_found(pid), IdentityPoolId=pid)
    expect_error(c.update_identity_pool, "ResourceNotFoundException", not_found(pid),
                 IdentityPoolId=pid, IdentityPoolName="x", AllowUnauthenticatedIdentities=True)
    expect_error(c.list_tags_for_resource, "ResourceNotFoundException", not_found(pid), ResourceArn=arn)
    expect_error(c.tag_resource, "ResourceNotFoundException", not_found(pid), ResourceArn=arn, Tags={"a": "b"})
    expect_error(c.untag_resource, "ResourceNotFoundException", not_found(pid), ResourceArn=arn, TagKeys=["a"])


def test_errors(c):
    unknown = "%s:00000000-0000-4000-8000-000000000000" % REGION
    expect_error(c.describe_identity_pool, "ResourceNotFoundException", not_found(unknown), IdentityPoolId=unknown)
    expect_error(c.describe_identity_pool, "ValidationException",
                 "1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
                 IdentityPoolId="us-east-2:mock")
    expect_error(c.list_identity_pools, "ValidationException",
                 "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: "
                 "Member must have value less than or equal to 60",
                 MaxResults=61)
    expect_error(c.list_identity_pools, "InvalidParameterException", MaxResults=5, NextToken="garbage")
    expect_error(c.create_identity_pool, "InvalidParameterException",
                 IdentityPoolName="p", AllowUnauthenticatedIdentities=True, SupportedLoginProviders={"example.com": "x"})
    expect_error(client(secret="wrong/secret/wrong/secret/0000000000000").list_identity_pools, "InvalidSignatureException",
                 "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
                 "and signing method. Consult the service documentation for details.",
                 MaxResults=1)
    expect_error(client(key_id="AKIAUNKNOWNKEY000000").list_identity_pools, "UnrecognizedClientException",
                 "The security token included in the request is invalid.", MaxResults=1)
    expect_error(client(region="eu-west-1").list_identity_pools, "InvalidSignatureException", MaxResults=1)


def test_paginator(c):
    for p in c.list_identity_pools(MaxResults=60)["IdentityPools"]:
        c.delete_identity_pool(IdentityPoolId=p["IdentityPoolId"])
    want = set()
    for i in range(5):
        want.add(c.create_identity_pool(IdentityPoolName="paged-%d" % i, AllowUnauthenticatedIdentities=True)["IdentityPoolId"])

    paginator = c.get_paginator("list_identity_pools")
    seen, sizes = [], []
    for page in paginator.paginate(PaginationConfig={"PageSize": 2}):
        sizes.append(len(page["IdentityPools"]))
        seen.extend(p["IdentityPoolId"] for p in page["IdentityPools"])
        check(len(sizes) <= 5, "paginator does not stop", sizes)
    check(len(seen) == len(set(seen)), "a pool listed twice by the paginator", seen)
    check(set(seen) == want, "paginator lists exactly the pools", (sorted(seen), sorted(want)))
    check(all(s <= 2 for s in sizes) and sizes[:2] == [2, 2] and sum(sizes) == 5, "page sizes", sizes)

    # MaxItems cuts a page in the middle; botocore resumes from its own token.
    first = paginator.paginate(PaginationConfig={"PageSize": 2, "MaxItems": 3}).build_full_result()
    check(len(first["IdentityPools"]) == 3 and first.get("NextToken"), "first 3 items", first)
    rest = paginator.paginate(PaginationConfig={"PageSize": 2, "StartingToken": first["NextToken"]}).build_full_result()
    both = [p["IdentityPoolId"] for p in first["IdentityPools"] + rest["IdentityPools"]]
    check(len(both) == 5 and set(both) == want, "MaxItems then StartingToken lists every pool once", both)


def signed_request(when):
    """A ListIdentityPools request signed with SigV4 as at `when` (a naive UTC datetime)."""

    class FixedClockSigV4Auth(SigV4Auth):
        def add_auth(self, request):
            request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
            self._modify_request_before_signing(request)
            canonical = self.canonical_request(request)
            string_to_sign = self.string_to_sign(request, canonical)
            self._inject_signature_to_request(request, self.signature(string_to_sign, request))

    body = json.dumps({"MaxResults": 1}).encode()
    req = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityService.ListIdentityPools",
    })
    FixedClockSigV4Auth(Credentials(KEY_ID, SECRET), "cognito-identity", REGION).add_auth(req)
    check(req.headers["X-Amz-Date"] == when.strftime("%Y%m%dT%H%M%SZ"), "X-Amz-Date", req.headers["X-Amz-Date"])
    prepared = req.prepare()
    return urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers.items()), method="POST")


def send(req):
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"{}")


def test_clock_skew():
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    # The hand-made signature is right: signed now, the request goes through.
    status, _, body = send(signed_request(now))
    check(status == 200 and "IdentityPools" in body, "request signed now", (status, body))
    # Signed 10 minutes ago (beyond the 5 minutes AWS allows), it is refused.
    status, headers, body = send(signed_request(now - datetime.timedelta(minutes=10)))
    check(status == 400, "status of a request signed 10 minutes ago", (status, body))
    check(body.get("__type") == "InvalidSignatureException", "error type of a request signed 10 minutes ago", body)
    check(body.get("message", "").startswith("Signature expired:"), "message of a request signed 10 minutes ago", body)
    check(headers.get("x-amzn-ErrorType", "").startswith("InvalidSignatureException"), "x-amzn-ErrorType", dict(headers))


def main():
    print("boto3 %s, botocore %s" % (boto3.__version__, botocore.__version__))
    c = client()
    for name, fn in (
        ("lifecycle", lambda: test_lifecycle(c)),
        ("errors", lambda: test_errors(c)),
        ("paginator", lambda: test_paginator(c)),
        ("clock skew", test_clock_skew),
    ):
        try:
            fn()
        except Failure as e:
            print("FAIL %s: %s" % (name, e), file=sys.stderr)
            return 1
        except Exception:
            print("FAIL %s: unexpected exception" % name, file=sys.stderr)
            traceback.print_exc()
            return 1
        print("pass %s" % name)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
