-- Staff accounts (issue 11): the people who sign in. An agent's account has the agent's id
-- as its login and the agent's one branch; hq and admin accounts span branches (admin with
-- none: every branch). The password is an Argon2id string (libsodium crypto_pwhash_str):
-- algorithm, salt and costs travel inside it. failed_logins and the two times slow down and
-- lock repeated wrong passwords.
CREATE TABLE account (
    login text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    role text NOT NULL,
    branches text[] NOT NULL DEFAULT '{}',
    password_hash text NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    failed_logins int NOT NULL DEFAULT 0,
    last_failed_ms bigint NOT NULL DEFAULT 0,
    locked_until_ms bigint NOT NULL DEFAULT 0,
    created_ms bigint NOT NULL,
    last_login_ms bigint NOT NULL DEFAULT 0,
    password_changed_ms bigint NOT NULL DEFAULT 0
);
