"""Drives idpool's identity operations with boto3 and verifies every token it obtains
with PyJWT against the served JWKS.

Run by e2e/boto3_identities_test.go with /usr/bin/python3, in two phases:

  boto3_identities.py phase1   unauthenticated and developer identities, lookups, merge,
                               unlink, listing, deletion and the error cases; every token
                               is verified with PyJWT. Leaves the state phase2 needs in
                               the file IDPOOL_STATE.
  boto3_identities.py phase2   run after the server rotated its signing key: a new
                               developer token has a new kid, and the tokens from before
                               and after the rotation verify against a fresh JWKS.

The pool (created with the AWS CLI) comes from IDPOOL_POOL_ID, its developer provider from
IDPOOL_DEV_PROVIDER, the endpoint (also the OpenID issuer) from IDPOOL_ENDPOINT, the
account from IDPOOL_ACCOUNT, the credential and region from AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_REGION. Prints OK at the end; on failure it prints what went
wrong to stderr and exits non-zero.
"""

import base64
import datetime
import json
import os
import re
import sys
import traceback
import urllib.request

import boto3
import botocore
import jwt
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["IDPOOL_ENDPOINT"]
REGION = os.environ["AWS_REGION"]
KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]
ACCOUNT = os.environ["IDPOOL_ACCOUNT"]
POOL = os.environ["IDPOOL_POOL_ID"]
DEV = os.environ["IDPOOL_DEV_PROVIDER"]
STATE = os.environ["IDPOOL_STATE"]

COGNITO_LOGIN = "cognito-identity.amazonaws.com"
UNKNOWN_POOL = "%s:00000000-0000-4000-8000-000000000000" % REGION
UNKNOWN_IDENTITY = "%s:00000000-0000-4000-8000-00000000000f" % REGION
IDENTITY_ID = re.compile(r"^" + re.escape(REGION) + r":[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LOGINS_DONT_MATCH = "Logins don't match. Please include at least one valid login for this identity or identity pool."
WRONG_DEV_PROVIDER = "This identity pool does not support the specified developer provider."


class Failure(Exception):
    pass


def check(cond, what, got=None):
    if not cond:
        raise Failure(what if got is None else "%s; got %r" % (what, got))


def client():
    return boto3.session.Session().client(
        "cognito-identity",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )


def expect_error(fn, code, message=None, **kwargs):
    """Calls fn(**kwargs), which must fail with the AWS error code (and exact message), HTTP
    400 and a request ID. Returns the ClientError."""
    name = getattr(fn, "__name__", str(fn))
    try:
        out = fn(**kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        meta = e.response.get("ResponseMetadata", {})
        check(err.get("Code") == code, "%s: want error %s" % (name, code), e.response)
        if message is not None:
            check(err.get("Message") == message, "%s: %s message\n want: %s" % (name, code, message), err.get("Message"))
        else:
            check(err.get("Message"), "%s: %s without a message" % (name, code), e.response)
        check(meta.get("HTTPStatusCode") == 400, "%s: %s status" % (name, code), meta.get("HTTPStatusCode"))
        check(meta.get("RequestId"), "%s: %s without a request ID" % (name, code), meta)
        return e
    raise Failure("%s(%r) succeeded, want %s: %r" % (name, kwargs, code, out))


def not_found(pool_id):
    return "IdentityPool '%s' not found." % pool_id


def identity_not_found(identity_id):
    return "Identity '%s' not found." % identity_id


def header_of(token):
    """The JOSE header of a compact JWS, unverified."""
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Verifier:
    """Verifies tokens the way a relying party would: discovery document, then the JWKS
    through PyJWT's PyJWKClient, then jwt.decode with signature, audience, issuer and
    expiry checks."""

    def __init__(self):
        with urllib.request.urlopen(ENDPOINT + "/.well-known/openid-configuration", timeout=30) as resp:
            check(resp.status == 200, "discovery status", resp.status)
            doc = json.loads(resp.read())
        check(doc.get("issuer") == ENDPOINT, "discovery issuer", doc)
        check("RS512" in doc.get("id_token_signing_alg_values_supported", []), "discovery algorithms", doc)
        self.jwks_uri = doc["jwks_uri"]
        check(self.jwks_uri.startswith(ENDPOINT + "/"), "jwks_uri under the issuer", self.jwks_uri)
        self.jwks = jwt.PyJWKClient(self.jwks_uri)
        self.count = 0

    def kids(self):
        return sorted(k.key_id for k in self.jwks.get_jwk_set().keys)

    def verify(self, token, identity_id, amr=None, lifetime=None, jwks=None):
        """Verifies token for identity_id and returns its claims; with the key from the
        JWK set jwks (a PyJWKSet) instead of the served one when given."""
        header = header_of(token)
        check(header.get("alg") == "RS512" and header.get("typ") == "JWS" and header.get("kid"), "token header", header)
        key = self.jwks.get_signing_key_from_jwt(token) if jwks is None else jwks[header["kid"]]
        check(key.key_id == header["kid"], "signing key chosen by kid", (key.key_id, header))
        claims = jwt.decode(token, key.key, algorithms=["RS512"], audience=POOL, issuer=ENDPOINT,
                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        check(claims["sub"] == identity_id, "token sub", claims)
        check(claims["aud"] == POOL, "token aud", claims)
        check(claims.get("https://cognito-identity.amazonaws.com/identity-pool-arn") ==
              "arn:aws:cognito-identity:%s:%s:identitypool/%s" % (REGION, ACCOUNT, POOL), "token pool ARN claim", claims)
        if amr is not None:
            check(claims.get("amr") == amr, "token amr", claims)
        if lifetime is not None:
            check(claims["exp"] - claims["iat"] == lifetime, "token lifetime %d" % lifetime, claims)
        now = datetime.datetime.now(datetime.timezone.utc).timestamp()
        check(abs(claims["iat"] - now) < 120, "token iat near now", claims)
        # The same token is refused for another audience (another pool's relying party).
        try:
            jwt.decode(token, key.key, algorithms=["RS512"], audience=UNKNOWN_POOL, issuer=ENDPOINT)
        except jwt.InvalidAudienceError:
            pass
        else:
            raise Failure("token accepted for another audience")
        self.count += 1
        return claims


def dev_amr(user):
    return ["authenticated", DEV, "%s:%s:%s" % (DEV, POOL, user)]


def dev_token(c, user, **kwargs):
    logins = {DEV: user}
    logins.update(kwargs.pop("extra_logins", {}))
    out = c.get_open_id_token_for_developer_identity(IdentityPoolId=POOL, Logins=logins, **kwargs)
    check(IDENTITY_ID.match(out.get("IdentityId", "")) and out.get("Token"), "developer token response", out)
    return out


def check_dates(d, what):
    now = datetime.datetime.now(datetime.timezone.utc)
    for k in ("CreationDate", "LastModifiedDate"):
        v = d.get(k)
        check(isinstance(v, datetime.datetime) and v.tzinfo is not None, "%s %s is an aware datetime" % (what, k), v)
        check(abs((now - v).total_seconds()) < 120, "%s %s near now" % (what, k), v)
    check(d["LastModifiedDate"] >= d["CreationDate"], "%s LastModifiedDate before CreationDate" % what, d)


def list_all(c, hide):
    """Every identity of the pool, two per page; checks the pages on the way."""
    out, token, pages = [], None, 0
    while True:
        kwargs = {"IdentityPoolId": POOL, "MaxResults": 2, "HideDisabled": hide}
        if token:
            kwargs["NextToken"] = token
        page = c.list_identities(**kwargs)
        pages += 1
        check(pages <= 10, "list_identities does not stop", pages)
        check(page["IdentityPoolId"] == POOL, "list_identities IdentityPoolId", page)
        check(len(page["Identities"]) <= 2, "list_identities page size", page)
        for d in page["Identities"]:
            check(IDENTITY_ID.match(d["IdentityId"]), "listed IdentityId", d)
            check_dates(d, "listed identity")
        out.extend(page["Identities"])
        token = page.get("NextToken")
        if not token:
            break
    ids = [d["IdentityId"] for d in out]
    check(len(ids) == len(set(ids)), "an identity listed twice", ids)
    return {d["IdentityId"]: d for d in out}


def lookup_users(c, **kwargs):
    out = c.lookup_developer_identity(IdentityPoolId=POOL, **kwargs)
    check("NextToken" not in out, "lookup NextToken without MaxResults", out)
    return out["IdentityId"], sorted(out.get("DeveloperUserIdentifierList", []))


def phase1(c, v):
    # Unauthenticated identities: each GetId without logins is a new one.
    u1 = c.get_id(IdentityPoolId=POOL)["IdentityId"]
    u2 = c.get_id(IdentityPoolId=POOL, AccountId=ACCOUNT)["IdentityId"]
    check(IDENTITY_ID.match(u1) and IDENTITY_ID.match(u2) and u1 != u2, "two unauthenticated identities", (u1, u2))
    d = c.describe_identity(IdentityId=u1)
    check(d["IdentityId"] == u1, "describe IdentityId", d)
    check(not d.get("Logins"), "an unauthenticated identity has no logins", d.get("Logins"))
    check_dates(d, "describe_identity")

    # The classic flow: a 10-minute unauthenticated token.
    tok = c.get_open_id_token(IdentityId=u1)
    check(tok["IdentityId"] == u1, "get_open_id_token IdentityId", tok)
    v.verify(tok["Token"], u1, amr=["unauthenticated"], lifetime=600)

    # Developer identities: the same user always gets the same identity.
    alice = dev_token(c, "alice")
    alice_id = alice["IdentityId"]
    check(alice_id not in (u1, u2), "alice got an unauthenticated identity", alice_id)
    v.verify(alice["Token"], alice_id, amr=dev_amr("alice"), lifetime=900)
    again = dev_token(c, "alice")
    check(again["IdentityId"] == alice_id, "the same developer user got two identities", (alice_id, again["IdentityId"]))
    v.verify(again["Token"], alice_id, amr=dev_amr("alice"), lifetime=900)
    tagged = dev_token(c, "alice", TokenDuration=3600, PrincipalTags={"tenant": "acme", "dept": "eng"})
    check(tagged["IdentityId"] == alice_id, "alice's identity with TokenDuration", tagged)
    claims = v.verify(tagged["Token"], alice_id, amr=dev_amr("alice"), lifetime=3600)
    check(claims.get("https://aws.amazon.com/tags") == {"principal_tags": {"tenant": ["acme"], "dept": ["eng"]}},
          "principal tags claim", claims)
    bob = dev_token(c, "bob")
    bob_id = bob["IdentityId"]
    check(bob_id not in (alice_id, u1, u2), "bob's identity", bob_id)
    v.verify(bob["Token"], bob_id, amr=dev_amr("bob"), lifetime=900)
    d = c.describe_identity(IdentityId=alice_id)
    check(d.get("Logins") == [DEV], "alice's identity logins", d.get("Logins"))
    check_dates(d, "alice's identity")

    # An idpool token is a login of its identity for the classic flow.
    classic = c.get_open_id_token(IdentityId=alice_id, Logins={COGNITO_LOGIN: alice["Token"]})
    check(classic["IdentityId"] == alice_id, "classic flow with a developer token", classic)
    v.verify(classic["Token"], alice_id, amr=dev_amr("alice"), lifetime=600)

    # An unauthenticated identity becomes a developer user's.
    carol = dev_token(c, "carol", IdentityId=u2)
    check(carol["IdentityId"] == u2, "carol linked to the unauthenticated identity", carol)
    v.verify(carol["Token"], u2, amr=dev_amr("carol"), lifetime=900)
    d = c.describe_identity(IdentityId=u2)
    check(d.get("Logins") == [DEV], "logins of the identity carol took", d.get("Logins"))
    check_dates(d, "carol's identity")

    # Error cases, with AWS's codes and messages.
    e = expect_error(c.get_id, "ResourceNotFoundException", not_found(UNKNOWN_POOL), IdentityPoolId=UNKNOWN_POOL)
    check(isinstance(e, c.exceptions.ResourceNotFoundException), "modelled ResourceNotFoundException", type(e))
    e = expect_error(c.get_open_id_token, "NotAuthorizedException", LOGINS_DONT_MATCH, IdentityId=alice_id)
    check(isinstance(e, c.exceptions.NotAuthorizedException), "modelled NotAuthorizedException", type(e))
    expect_error(c.get_open_id_token, "NotAuthorizedException", LOGINS_DONT_MATCH,
                 IdentityId=alice_id, Logins={COGNITO_LOGIN: bob["Token"]})
    e = expect_error(c.get_open_id_token_for_developer_identity, "InvalidParameterException", WRONG_DEV_PROVIDER,
                     IdentityPoolId=POOL, Logins={"other.provider.test": "alice"})
    check(isinstance(e, c.exceptions.InvalidParameterException), "modelled InvalidParameterException", type(e))
    e = expect_error(c.get_open_id_token_for_developer_identity, "DeveloperUserAlreadyRegisteredException",
                     IdentityPoolId=POOL, IdentityId=alice_id, Logins={DEV: "bob", COGNITO_LOGIN: alice["Token"]})
    check(isinstance(e, c.exceptions.DeveloperUserAlreadyRegisteredException), "modelled DeveloperUserAlreadyRegisteredException", type(e))
    expect_error(c.get_open_id_token_for_developer_identity, "NotAuthorizedException", LOGINS_DONT_MATCH,
                 IdentityPoolId=POOL, IdentityId=alice_id, Logins={DEV: "dave"})
    expect_error(c.get_open_id_token_for_developer_identity, "ResourceNotFoundException", identity_not_found(UNKNOWN_IDENTITY),
                 IdentityPoolId=POOL, IdentityId=UNKNOWN_IDENTITY, Logins={DEV: "dave"})
    expect_error(c.get_open_id_token_for_developer_identity, "ValidationException",
                 "1 validation error detected: Value '86401' at 'tokenDuration' failed to satisfy constraint: "
                 "Member must have value less than or equal to 86400",
                 IdentityPoolId=POOL, Logins={DEV: "alice"}, TokenDuration=86401)
    expect_error(c.describe_identity, "ResourceNotFoundException", identity_not_found(UNKNOWN_IDENTITY), IdentityId=UNKNOWN_IDENTITY)

    # Lookup by user and by identity, paged, and the mismatch.
    check(lookup_users(c, DeveloperUserIdentifier="alice") == (alice_id, ["alice"]), "lookup alice by user",
          lookup_users(c, DeveloperUserIdentifier="alice"))
    check(lookup_users(c, IdentityId=alice_id) == (alice_id, ["alice"]), "lookup alice by identity",
          lookup_users(c, IdentityId=alice_id))
    check(lookup_users(c, IdentityId=bob_id, DeveloperUserIdentifier="bob") == (bob_id, ["bob"]), "lookup bob by both")
    e = expect_error(c.lookup_developer_identity, "ResourceConflictException",
                     IdentityPoolId=POOL, IdentityId=alice_id, DeveloperUserIdentifier="bob")
    check(isinstance(e, c.exceptions.ResourceConflictException), "modelled ResourceConflictException", type(e))
    check(e.response["Error"]["Code"] == "ResourceConflictException" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 400,
          "ResourceConflictException code and status", e.response)
    expect_error(c.lookup_developer_identity, "InvalidParameterException", IdentityPoolId=POOL)
    expect_error(c.lookup_developer_identity, "ResourceNotFoundException", IdentityPoolId=POOL, DeveloperUserIdentifier="nobody")
    expect_error(c.lookup_developer_identity, "ResourceNotFoundException", not_found(UNKNOWN_POOL),
                 IdentityPoolId=UNKNOWN_POOL, DeveloperUserIdentifier="alice")

    # Merge bob into alice: alice's identity carries both users, bob resolves to it, and
    # bob's old identity is disabled.
    expect_error(c.merge_developer_identities, "InvalidParameterException", WRONG_DEV_PROVIDER, IdentityPoolId=POOL,
                 SourceUserIdentifier="bob", DestinationUserIdentifier="alice", DeveloperProviderName="other.provider.test")
    merged = c.merge_developer_identities(IdentityPoolId=POOL, SourceUserIdentifier="bob", DestinationUserIdentifier="alice",
                                          DeveloperProviderName=DEV)
    check(merged["IdentityId"] == alice_id, "merge returns the destination identity", merged)
    check(lookup_users(c, IdentityId=alice_id) == (alice_id, ["alice", "bob"]), "users of the merged identity",
          lookup_users(c, IdentityId=alice_id))
    check(lookup_users(c, DeveloperUserIdentifier="bob") == (alice_id, ["alice", "bob"]), "bob looked up after the merge",
          lookup_users(c, DeveloperUserIdentifier="bob"))
    page1 = c.lookup_developer_identity(IdentityPoolId=POOL, IdentityId=alice_id, MaxResults=1)
    check(len(page1["DeveloperUserIdentifierList"]) == 1 and page1.get("NextToken"), "lookup page 1", page1)
    page2 = c.lookup_developer_identity(IdentityPoolId=POOL, IdentityId=alice_id, MaxResults=1, NextToken=page1["NextToken"])
    check(len(page2["DeveloperUserIdentifierList"]) == 1 and "NextToken" not in page2, "lookup page 2", page2)
    check(sorted(page1["DeveloperUserIdentifierList"] + page2["DeveloperUserIdentifierList"]) == ["alice", "bob"],
          "lookup pages", (page1, page2))
    bob_again = dev_token(c, "bob")
    check(bob_again["IdentityId"] == alice_id, "bob resolves to the merged identity", bob_again)
    v.verify(bob_again["Token"], alice_id, amr=dev_amr("bob"), lifetime=900)
    expect_error(c.get_open_id_token, "NotAuthorizedException", "Access to Identity '%s' is forbidden." % bob_id,
                 IdentityId=bob_id, Logins={COGNITO_LOGIN: bob["Token"]})

    # Listing: bob's old identity is disabled, so HideDisabled hides it.
    everything = list_all(c, False)
    visible = list_all(c, True)
    check(set(everything) == {u1, u2, alice_id, bob_id}, "list_identities HideDisabled=False", sorted(everything))
    check(set(visible) == {u1, u2, alice_id}, "list_identities HideDisabled=True", sorted(visible))
    check(not everything[u1].get("Logins") and everything[alice_id].get("Logins") == [DEV] and everything[u2].get("Logins") == [DEV],
          "listed logins", everything)
    check(not everything[bob_id].get("Logins"), "the merged-away identity keeps no logins", everything[bob_id])

    # Unlink bob from alice's identity: alice keeps hers, bob starts afresh.
    expect_error(c.unlink_developer_identity, "InvalidParameterException", WRONG_DEV_PROVIDER, IdentityPoolId=POOL,
                 IdentityId=alice_id, DeveloperProviderName="other.provider.test", DeveloperUserIdentifier="bob")
    out = c.unlink_developer_identity(IdentityPoolId=POOL, IdentityId=alice_id, DeveloperProviderName=DEV, DeveloperUserIdentifier="bob")
    check(out["ResponseMetadata"]["HTTPStatusCode"] == 200 and set(out) == {"ResponseMetadata"}, "unlink output", out)
    check(lookup_users(c, IdentityId=alice_id) == (alice_id, ["alice"]), "alice's identity after unlinking bob",
          lookup_users(c, IdentityId=alice_id))
    expect_error(c.lookup_developer_identity, "ResourceNotFoundException", IdentityPoolId=POOL, DeveloperUserIdentifier="bob")
    expect_error(c.unlink_developer_identity, "ResourceNotFoundException", IdentityPoolId=POOL, IdentityId=alice_id,
                 DeveloperProviderName=DEV, DeveloperUserIdentifier="bob")
    bob_new = dev_token(c, "bob")
    bob_new_id = bob_new["IdentityId"]
    check(bob_new_id not in (alice_id, bob_id, u1, u2), "unlinked bob gets a new identity", bob_new_id)
    v.verify(bob_new["Token"], bob_new_id, amr=dev_amr("bob"), lifetime=900)
    alice_after = dev_token(c, "alice")
    check(alice_after["IdentityId"] == alice_id, "alice keeps her identity", alice_after)
    v.verify(alice_after["Token"], alice_id, amr=dev_amr("alice"), lifetime=900)
    check(set(list_all(c, False)) == {u1, u2, alice_id, bob_id, bob_new_id}, "identities after unlink")

    # Delete identities; an unknown one is ignored.
    out = c.delete_identities(IdentityIdsToDelete=[u1, bob_new_id, UNKNOWN_IDENTITY])
    check(out.get("UnprocessedIdentityIds") == [], "delete_identities UnprocessedIdentityIds", out)
    for gone in (u1, bob_new_id):
        expect_error(c.describe_identity, "ResourceNotFoundException", identity_not_found(gone), IdentityId=gone)
    expect_error(c.get_open_id_token, "ResourceNotFoundException", identity_not_found(u1), IdentityId=u1)
    check(set(list_all(c, False)) == {u2, alice_id, bob_id}, "identities after delete", sorted(list_all(c, False)))
    check(set(list_all(c, True)) == {u2, alice_id}, "visible identities after delete", sorted(list_all(c, True)))

    # What phase 2 needs: a token signed with the current key, and the JWKS served now.
    with open(STATE, "w") as f:
        json.dump({"alice_id": alice_id, "token": alice_after["Token"], "kid": header_of(alice_after["Token"])["kid"],
                   "jwks": v.jwks.fetch_data()}, f)
    print("verified %d tokens with PyJWT" % v.count)


def phase2(c, v):
    with open(STATE) as f:
        state = json.load(f)
    old_token, old_kid, alice_id = state["token"], state["kid"], state["alice_id"]

    new = dev_token(c, "alice")
    check(new["IdentityId"] == alice_id, "alice's identity after the rotation", new)
    new_kid = header_of(new["Token"])["kid"]
    check(new_kid != old_kid, "a token after the rotation has a new kid", (old_kid, new_kid))

    # A fresh JWKS publishes both keys, and both tokens verify against it.
    kids = v.kids()
    check(old_kid in kids and new_kid in kids, "JWKS after the rotation holds the old and the new key", kids)
    v.verify(old_token, alice_id, amr=dev_amr("alice"), lifetime=900)
    v.verify(new["Token"], alice_id, amr=dev_amr("alice"), lifetime=900)

    # idpool publishes the next key one rotation ahead, so a relying party that cached the
    # JWKS before the rotation verifies the new token too.
    stale = jwt.PyJWKSet.from_dict(state["jwks"])
    stale_kids = sorted(k.key_id for k in stale.keys)
    check(old_kid in stale_kids and new_kid in stale_kids, "the JWKS before the rotation pre-published the new key",
          (new_kid, stale_kids))
    v.verify(new["Token"], alice_id, amr=dev_amr("alice"), lifetime=900, jwks=stale)

    # The token from before the rotation is still a login; the classic token is new-key.
    classic = c.get_open_id_token(IdentityId=alice_id, Logins={COGNITO_LOGIN: old_token})
    check(header_of(classic["Token"])["kid"] == new_kid, "classic token signed with the new key", header_of(classic["Token"]))
    v.verify(classic["Token"], alice_id, amr=dev_amr("alice"), lifetime=600)
    unauth = c.get_id(IdentityPoolId=POOL)["IdentityId"]
    v.verify(c.get_open_id_token(IdentityId=unauth)["Token"], unauth, amr=["unauthenticated"], lifetime=600)
    print("verified %d tokens with PyJWT" % v.count)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("phase1", "phase2"):
        print("usage: boto3_identities.py phase1|phase2", file=sys.stderr)
        return 2
    phase = sys.argv[1]
    print("boto3 %s, botocore %s, PyJWT %s" % (boto3.__version__, botocore.__version__, jwt.__version__))
    try:
        {"phase1": phase1, "phase2": phase2}[phase](client(), Verifier())
    except Failure as e:
        print("FAIL %s: %s" % (phase, e), file=sys.stderr)
        return 1
    except Exception:
        print("FAIL %s: unexpected exception" % phase, file=sys.stderr)
        traceback.print_exc()
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
