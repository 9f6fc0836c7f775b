-- Migration 2 -> 3: snapshots tied to a message take that message's session (a version-2 file could
-- hold a snapshot whose session differed from its message's: deleting the session then missed it),
-- then the triggers that keep it so and the index behind the message_id foreign key.
UPDATE snapshots SET session_id = (SELECT m.session_id FROM messages m WHERE m.id = snapshots.message_id)
    WHERE message_id IS NOT NULL;
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
