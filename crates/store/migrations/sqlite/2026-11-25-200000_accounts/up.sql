-- Accounts and access (SQLite). Keep in step with migrations/postgres: same tables, same columns
-- (a test compares them). Times are BIGINT microseconds since the Unix epoch (UTC).

-- An organisation (an exporter): every record of the workspace belongs to one.
CREATE TABLE organisations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at BIGINT NOT NULL
);

-- A person who signs in. `email_key` is the e-mail lower-cased: e-mails are unique whatever their
-- case. `password_hash` is an Argon2id PHC string; the password itself is never stored.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    locked_until BIGINT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    language TEXT CHECK (language IN ('en', 'fr'))
);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- A user's role in an organisation (one role per organisation).
CREATE TABLE memberships (
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'operator', 'auditor')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Server-side sessions. The cookie holds a random 256-bit token; only its SHA-256 (hex) is kept.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API bearer tokens of a user in one organisation; only the SHA-256 (hex) of the token is kept.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_org_user ON api_tokens (org_id, user_id);
