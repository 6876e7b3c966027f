// Drives idpool with the AWS SDK for JavaScript v3: create, describe, update, list (and
// paginate), tag, list tags, untag and delete a pool, and the errors of an unknown and of
// a malformed pool ID.
//
// Run by e2e/js_test.go as `node pools.mjs` in e2e/js. The endpoint comes from
// IDPOOL_ENDPOINT, the credential and region from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_REGION, the account from IDPOOL_ACCOUNT. Prints OK at
// the end; on failure it prints what went wrong to stderr and exits non-zero.

import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  DeleteIdentityPoolCommand,
  DescribeIdentityPoolCommand,
  ListIdentityPoolsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateIdentityPoolCommand,
  paginateListIdentityPools,
} from "@aws-sdk/client-cognito-identity";
import assert from "node:assert/strict";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const region = env("AWS_REGION");
const account = env("IDPOOL_ACCOUNT");

const client = new CognitoIdentityClient({
  endpoint: env("IDPOOL_ENDPOINT"),
  region,
  credentials: { accessKeyId: env("AWS_ACCESS_KEY_ID"), secretAccessKey: env("AWS_SECRET_ACCESS_KEY") },
  maxAttempts: 1,
});

const poolIdPattern = new RegExp(`^${region}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);

async function expectError(command, name, message) {
  let out;
  try {
    out = await client.send(command);
  } catch (err) {
    assert.equal(err.name, name, `${command.constructor.name}: error name (message: ${err.message})`);
    assert.equal(err.message, message, `${command.constructor.name}: ${name} message`);
    assert.equal(err.$fault, "client", `${command.constructor.name}: ${name} fault`);
    assert.equal(err.$metadata?.httpStatusCode, 400, `${command.constructor.name}: ${name} status`);
    assert.ok(err.$metadata?.requestId, `${command.constructor.name}: ${name} without a request ID`);
    return;
  }
  assert.fail(`${command.constructor.name} succeeded, want ${name}: ${JSON.stringify(out)}`);
}

async function main() {
  const created = await client.send(
    new CreateIdentityPoolCommand({
      IdentityPoolName: "js pool",
      AllowUnauthenticatedIdentities: true,
      SupportedLoginProviders: { "accounts.google.com": "123.apps.googleusercontent.com" },
      IdentityPoolTags: { team: "frontend" },
    }),
  );
  const id = created.IdentityPoolId;
  assert.match(id, poolIdPattern, "pool ID");
  assert.equal(created.$metadata.httpStatusCode, 200);
  assert.equal(created.IdentityPoolName, "js pool");
  assert.equal(created.AllowUnauthenticatedIdentities, true);
  assert.equal(created.AllowClassicFlow, undefined, "AllowClassicFlow never set");

  const described = await client.send(new DescribeIdentityPoolCommand({ IdentityPoolId: id }));
  assert.equal(described.IdentityPoolId, id);
  assert.equal(described.IdentityPoolName, "js pool");
  assert.equal(described.AllowUnauthenticatedIdentities, true);
  assert.deepEqual(described.SupportedLoginProviders, { "accounts.google.com": "123.apps.googleusercontent.com" });
  assert.deepEqual(described.IdentityPoolTags, { team: "frontend" });

  const updated = await client.send(
    new UpdateIdentityPoolCommand({ IdentityPoolId: id, IdentityPoolName: "js pool renamed", AllowUnauthenticatedIdentities: false, AllowClassicFlow: true }),
  );
  assert.equal(updated.IdentityPoolName, "js pool renamed");
  assert.equal(updated.AllowUnauthenticatedIdentities, false);
  assert.equal(updated.AllowClassicFlow, true);
  assert.deepEqual(updated.IdentityPoolTags, { team: "frontend" }, "tags kept by update");

  const second = await client.send(new CreateIdentityPoolCommand({ IdentityPoolName: "js pool 2", AllowUnauthenticatedIdentities: false }));
  const listed = await client.send(new ListIdentityPoolsCommand({ MaxResults: 60 }));
  assert.deepEqual(
    listed.IdentityPools.map((p) => `${p.IdentityPoolId} ${p.IdentityPoolName}`).sort(),
    [`${id} js pool renamed`, `${second.IdentityPoolId} js pool 2`].sort(),
  );
  assert.equal(listed.NextToken, undefined, "NextToken on a single page");
  const paged = [];
  let pages = 0;
  for await (const page of paginateListIdentityPools({ client, pageSize: 1 }, { MaxResults: 1 })) {
    assert.ok(page.IdentityPools.length <= 1, "page size");
    paged.push(...page.IdentityPools.map((p) => p.IdentityPoolId));
    assert.ok(++pages <= 4, "paginator does not stop");
  }
  assert.deepEqual(paged.sort(), [id, second.IdentityPoolId].sort(), "paginated pools");

  const arn = `arn:aws:cognito-identity:${region}:${account}:identitypool/${id}`;
  await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: { team: "web", stage: "dev" } }));
  let tags = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
  assert.deepEqual(tags.Tags, { team: "web", stage: "dev" });
  await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["stage"] }));
  tags = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
  assert.deepEqual(tags.Tags, { team: "web" });

  await client.send(new DeleteIdentityPoolCommand({ IdentityPoolId: id }));
  await expectError(new DescribeIdentityPoolCommand({ IdentityPoolId: id }), "ResourceNotFoundException", `IdentityPool '${id}' not found.`);
  await expectError(
    new DescribeIdentityPoolCommand({ IdentityPoolId: "us-east-2:mock" }),
    "ValidationException",
    "1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
  );
  await client.send(new DeleteIdentityPoolCommand({ IdentityPoolId: second.IdentityPoolId }));
  const empty = await client.send(new ListIdentityPoolsCommand({ MaxResults: 10 }));
  assert.deepEqual(empty.IdentityPools, []);
}

main().then(
  () => console.log("OK"),
  (err) => {
    console.error("FAIL:", err?.stack ?? err);
    process.exitCode = 1;
  },
);
