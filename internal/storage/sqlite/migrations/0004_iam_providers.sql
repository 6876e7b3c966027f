-- IAM identity providers (OpenID Connect and SAML) registered through the IAM API or
-- declared in a configuration file. As for identity_pools, the columns are what queries
-- filter and sort on, and every other field of storage.IAMProvider lives in config as JSON
-- (package sqlrecord). Times are unix milliseconds.
--
-- arn alone is the primary key: IAM ARNs embed the account, so they are unique across
-- accounts. Unlike identities this is a rowid table: a SAML provider's config carries its
-- metadata document (up to 10 MB), and WITHOUT ROWID tables suit small rows only, since
-- they keep whole rows in the primary key B-tree. kind has no CHECK so that a new kind of
-- provider needs no migration; package iam decides which kinds exist.
CREATE TABLE iam_providers (
	arn        TEXT    NOT NULL PRIMARY KEY,
	account_id TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	config     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- Serves ListProviders (a range scan in arn order, no sort).
CREATE INDEX iam_providers_account_kind_arn ON iam_providers (account_id, kind, arn);
