-- The built-in STS no longer stores the temporary credentials it issues: a session token
-- is self-contained, its secret and context sealed with Keys.SessionKey, so requests
-- signed with it need no lookup. Credentials issued before the upgrade had their secret
-- only here, so they stop working; they lived at most 12 hours. The sessions_expiry index
-- goes with the table.
DROP TABLE sessions;
