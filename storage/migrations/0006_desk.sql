-- The editorial desk (issue 11): editors added by the owners (owners themselves come from the
-- ADMIN_IDS setting, not from here) and the audit log of every admin action.

CREATE TABLE editors (
    user_id   INTEGER PRIMARY KEY,   -- Telegram user id
    added_by  INTEGER NOT NULL,      -- the owner's Telegram user id
    added_at  TEXT NOT NULL,
    name      TEXT                   -- as Telegram showed it when added; NULL: unknown
);

-- Who did what, when, with the state before and after (JSON, NULL when there was none).
-- Rows are only ever inserted.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    actor_id  INTEGER NOT NULL,      -- Telegram user id of the admin (0: the bot itself)
    action    TEXT NOT NULL,         -- dotted name: 'editor.add', 'post.publish', 'source.pause', …
    subject   TEXT NOT NULL,         -- what it was done to: 'user:123', 'article:45', 'source:7'
    before    TEXT,                  -- JSON
    after     TEXT,                  -- JSON
    at        TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject, at);

-- /stats (storage/stats.py) counts deliveries by when they were sent or failed; without these
-- it scans the whole outbox on the database thread, which every other query then waits for.
CREATE INDEX deliveries_sent_at ON deliveries (sent_at) WHERE state = 'sent';
CREATE INDEX deliveries_failed_at ON deliveries (COALESCE(first_attempt_at, created_at))
    WHERE state = 'failed';
