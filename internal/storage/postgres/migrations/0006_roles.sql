-- IAM roles registered through the IAM API (storage.Role). Times are unix milliseconds.
--
-- IAM role names are unique per account case-insensitively, and GetRole and DeleteRole
-- find a role whatever the case of the name: the unique index on (account_id, lower(name))
-- enforces the first and serves the lookups of the others, which must spell the
-- expression the same way. lower() of a COLLATE "C" value folds ASCII only, like SQLite's
-- NOCASE, which is all a role name may contain ([\w+=,.@-], checked by package iam). The
-- primary key is the ARN, unique like role_id, as a backstop. tags is the JSON of
-- storage.Role.Tags: "null" for nil, "{}" for empty.
CREATE TABLE iam_roles (
	arn                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	account_id           TEXT COLLATE "C" NOT NULL,
	name                 TEXT COLLATE "C" NOT NULL,
	path                 TEXT COLLATE "C" NOT NULL,
	role_id              TEXT COLLATE "C" NOT NULL UNIQUE,
	policy               TEXT             NOT NULL,
	description          TEXT             NOT NULL,
	max_session_duration INTEGER          NOT NULL,
	tags                 TEXT             NOT NULL,
	created_at           BIGINT           NOT NULL
);

CREATE UNIQUE INDEX iam_roles_account_lower_name ON iam_roles (account_id, lower(name));
-- Serves ListRoles (a range scan in name order, byte order).
CREATE INDEX iam_roles_account_name ON iam_roles (account_id, name);
