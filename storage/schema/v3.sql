-- Folio database schema, version 3 (FROZEN once released: a change is a new version + a migration).
-- The full layout a fresh database is created with. Version 2 plus: every snapshot taken after a
-- message is in that message's session (triggers), and snapshots(message_id) is indexed.
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
    created_ms        INTEGER NOT NULL,
    last_used_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX snapshots_key ON snapshots(model_fingerprint, state_format, token_count);
CREATE INDEX snapshots_session ON snapshots(session_id);
CREATE INDEX snapshots_lru ON snapshots(last_used_ms);

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

CREATE TABLE token_cache (
    blob_id     TEXT NOT NULL,
    tokenizer   TEXT NOT NULL,
    token_count INTEGER NOT NULL,
    PRIMARY KEY (blob_id, tokenizer)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE messages_fts USING fts5(content, reasoning, content='messages', content_rowid='id');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content, reasoning) VALUES (new.id, new.content, new.reasoning);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.id, old.content, old.reasoning);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF content, reasoning ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.id, old.content, old.reasoning);
    INSERT INTO messages_fts(rowid, content, reasoning) VALUES (new.id, new.content, new.reasoning);
END;

CREATE VIRTUAL TABLE sources_fts USING fts5(uri, extracted_text, content='sources', content_rowid='id');
CREATE TRIGGER sources_fts_ai AFTER INSERT ON sources BEGIN
    INSERT INTO sources_fts(rowid, uri, extracted_text) VALUES (new.id, new.uri, new.extracted_text);
END;
CREATE TRIGGER sources_fts_ad AFTER DELETE ON sources BEGIN
    INSERT INTO sources_fts(sources_fts, rowid, uri, extracted_text)
        VALUES ('delete', old.id, old.uri, old.extracted_text);
END;
CREATE TRIGGER sources_fts_au AFTER UPDATE OF uri, extracted_text ON sources BEGIN
    INSERT INTO sources_fts(sources_fts, rowid, uri, extracted_text)
        VALUES ('delete', old.id, old.uri, old.extracted_text);
    INSERT INTO sources_fts(rowid, uri, extracted_text) VALUES (new.id, new.uri, new.extracted_text);
END;

-- Version 3: a snapshot taken after a message belongs to that message's session (deleting the
-- session or the message deletes it; eviction finds it on that session's branches), and the
-- message_id foreign key is indexed (a deleted message subtree finds its snapshots without a scan).
CREATE INDEX snapshots_message ON snapshots(message_id);
CREATE TRIGGER snapshots_message_in_session_bi BEFORE INSERT ON snapshots
WHEN new.message_id IS NOT NULL
     AND new.session_id IS NOT (SELECT session_id FROM messages WHERE id = new.message_id)
BEGIN
    SELECT RAISE(ABORT, 'a snapshot''s message must belong to the snapshot''s session');
END;
CREATE TRIGGER snapshots_message_in_session_bu BEFORE UPDATE OF session_id, message_id ON snapshots
WHEN new.message_id IS NOT NULL
     AND new.session_id IS NOT (SELECT session_id FROM messages WHERE id = new.message_id)
BEGIN
    SELECT RAISE(ABORT, 'a snapshot''s message must belong to the snapshot''s session');
END;
