-- Migration 1 -> 2: LRU bookkeeping for snapshot eviction, the blob-id -> token-count cache, and
-- FTS5 full-text search over messages and source text (external-content tables kept in sync by
-- triggers, then filled from the existing rows).
ALTER TABLE snapshots ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;
UPDATE snapshots SET last_used_ms = created_ms;
CREATE INDEX snapshots_lru ON snapshots(last_used_ms);

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

INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO sources_fts(sources_fts) VALUES ('rebuild');
