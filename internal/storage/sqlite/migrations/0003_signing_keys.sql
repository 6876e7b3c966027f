-- The OpenID issuer's key set: a single row (id 1) holding storage.Keys as JSON (package
-- sqlrecord), key material base64-encoded and times in unix milliseconds. The row is
-- absent until the first UpdateKeys.
CREATE TABLE signing_keys (
	id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	keys TEXT    NOT NULL
) STRICT;
