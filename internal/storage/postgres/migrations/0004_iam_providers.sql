-- IAM identity providers (OpenID Connect and SAML). As for identity_pools, the columns are
-- what queries filter and sort on, and every other field of storage.IAMProvider lives in
-- config as JSON (sqlrecord.EncodeProvider). A SAML provider's config carries its metadata
-- document (up to 10 MB), which PostgreSQL compresses and moves out of line (TOAST).
-- Times are unix milliseconds.
--
-- arn alone is the primary key: IAM ARNs embed the account, so they are unique across
-- accounts. kind has no CHECK so that a new kind of provider needs no migration.
CREATE TABLE iam_providers (
	arn        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL,
	config     TEXT             NOT NULL,
	created_at BIGINT           NOT NULL,
	updated_at BIGINT           NOT NULL
);

-- Serves ListProviders (a range scan in arn order, no sort).
CREATE INDEX iam_providers_account_kind_arn ON iam_providers (account_id, kind, arn);
