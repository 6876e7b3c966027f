-- IAM roles registered through the IAM API (storage.Role). Times are unix milliseconds.
--
-- The primary key is (account_id, name) with name compared NOCASE: IAM role names are
-- unique per account case-insensitively, and GetRole and DeleteRole find a role whatever
-- the case of the name. NOCASE folds ASCII only, which is all a role name may contain
-- ([\w+=,.@-], checked by package iam). arn and role_id are unique too, as a backstop.
-- tags is the JSON of storage.Role.Tags: "null" for nil, "{}" for empty. The rows are
-- small (a trust policy is at most a few kilobytes), so the table is WITHOUT ROWID.
CREATE TABLE iam_roles (
	account_id           TEXT    NOT NULL,
	name                 TEXT    NOT NULL COLLATE NOCASE,
	path                 TEXT    NOT NULL,
	arn                  TEXT    NOT NULL UNIQUE,
	role_id              TEXT    NOT NULL UNIQUE,
	policy               TEXT    NOT NULL,
	description          TEXT    NOT NULL,
	max_session_duration INTEGER NOT NULL,
	tags                 TEXT    NOT NULL,
	created_at           INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
) STRICT, WITHOUT ROWID;
