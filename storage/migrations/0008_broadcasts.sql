-- Broadcasts (/broadcast, issue 11): an admin's announcement to every reader or to the readers
-- of chosen regions. Its messages are rows of `deliveries` (kind 'broadcast', dedupe key
-- 'broadcast:<id>'); this row holds what was asked, its state and where its progress is shown.
-- (Numbered 0009 on main, after desk-sources' 0007 and posts' 0008: rename on merge.)
CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    author_id           INTEGER NOT NULL,     -- Telegram user id of the admin
    body                TEXT NOT NULL,        -- Telegram HTML, re-checked (bot/telegram/post_html.py)
    regions             TEXT NOT NULL DEFAULT '[]',  -- JSON array of region codes; [] = every reader
    language            TEXT NOT NULL DEFAULT 'ru',  -- the admin's, for the progress message
    state               TEXT NOT NULL DEFAULT 'draft'
                        CHECK (state IN ('draft', 'sending', 'paused', 'cancelled', 'done', 'dropped')),
    total               INTEGER NOT NULL DEFAULT 0,  -- deliveries enqueued at the start
    progress_chat_id    INTEGER,              -- the message edited with the progress
    progress_message_id INTEGER,
    progress_text       TEXT,                 -- what it shows now (edited only when it changes)
    cancel_reason       TEXT,
    created_at          TEXT NOT NULL,
    started_at          TEXT,
    finished_at         TEXT
);
-- The sender's claim skips the deliveries of a paused broadcast (storage/outbox.py).
CREATE INDEX broadcasts_paused ON broadcasts (id) WHERE state = 'paused';
-- The progress of one broadcast: its deliveries counted by state without scanning the outbox.
CREATE INDEX deliveries_broadcast ON deliveries (dedupe_key, state) WHERE kind = 'broadcast';
