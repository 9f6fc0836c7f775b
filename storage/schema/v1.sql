-- Folio database schema, version 1 (FROZEN: never edit; a change is a new version + a migration).
-- The first released layout: sessions, their sources, the message tree, KV snapshots with chunked
-- payloads, and settings.
CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY,
    title             TEXT NOT NULL DEFAULT '',
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL,
    model_fingerprint TEXT NOT NULL DEFAULT '',
    settings_json     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_updated ON sessions(updated_ms);

CREATE TABLE sources (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL DEFAULT 0,
    kind           TEXT NOT NULL,
    uri            TEXT NOT NULL,
    revision       TEXT NOT NULL DEFAULT '',
    filters_json   TEXT NOT NULL DEFAULT '{}',
    token_count    INTEGER NOT NULL DEFAULT 0,
    extracted_text TEXT,
    added_ms       INTEGER NOT NULL
);
CREATE INDEX sources_session ON sources(session_id, position);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    parent_id         INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL DEFAULT '',
    reasoning         TEXT NOT NULL DEFAULT '',
    citations_json    TEXT NOT NULL DEFAULT '[]',
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    stats_json        TEXT NOT NULL DEFAULT '{}',
    created_ms        INTEGER NOT NULL
);
CREATE INDEX messages_session ON messages(session_id, parent_id);
CREATE INDEX messages_parent ON messages(parent_id);

CREATE TABLE snapshots (
    id                INTEGER PRIMARY KEY,
    session_id        INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    message_id        INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL DEFAULT 'prefix',
    model_fingerprint TEXT NOT NULL,
    state_format      INTEGER NOT NULL,
    prefix_hash       TEXT NOT NULL,
    token_count       INTEGER NOT NULL,
    raw_size          INTEGER NOT NULL,
    stored_size       INTEGER NOT NULL,
    chunk_size        INTEGER NOT NULL,
    payload_checksum  TEXT NOT NULL,
    file_name         TEXT NOT NULL UNIQUE,
    created_ms        INTEGER NOT NULL
);
CREATE INDEX snapshots_key ON snapshots(model_fingerprint, state_format, token_count);
CREATE INDEX snapshots_session ON snapshots(session_id);

CREATE TABLE snapshot_chunks (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    offset      INTEGER NOT NULL,
    raw_size    INTEGER NOT NULL,
    stored_size INTEGER NOT NULL,
    codec       TEXT NOT NULL DEFAULT 'none',
    checksum    INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, idx)
) WITHOUT ROWID;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
