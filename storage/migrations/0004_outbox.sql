-- The outbox: one row per message to send to one chat (and forum topic). Planned in the same
-- transaction as the article (or built by the digest job), drained by the sender.
-- A story reaches a chat at most once: UNIQUE (chat_id, thread_id, dedupe_key).

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    chat_id          INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
    thread_id        INTEGER NOT NULL DEFAULT 0,     -- forum topic; 0 = none
    kind             TEXT NOT NULL CHECK (kind IN ('article', 'digest', 'broadcast')),
    dedupe_key       TEXT NOT NULL,  -- 'story:<story_id>' | 'digest:<period start, UTC ISO>:<part>' | 'broadcast:<id>'
    article_id       INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    body             TEXT,           -- pre-rendered Telegram HTML (digests, broadcasts); NULL: card rendered at send time
    priority         INTEGER NOT NULL, -- 0 urgent (editor), 1 instant push, 2 channel post, 3 digest (lower first)
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    due_at           TEXT NOT NULL,  -- not before (quiet hours, channel slots, 429 waits, back-off)
    attempts         INTEGER NOT NULL DEFAULT 0,
    first_attempt_at TEXT,
    message_id       INTEGER,        -- Telegram's, once accepted (edits and retractions need it)
    sent_at          TEXT,
    error            TEXT,           -- why failed / cancelled / last retry, in words
    created_at       TEXT NOT NULL,
    UNIQUE (chat_id, thread_id, dedupe_key)   -- a story reaches a chat at most once
);
CREATE INDEX deliveries_pending ON deliveries (due_at, priority) WHERE state = 'pending';
CREATE INDEX deliveries_sending ON deliveries (chat_id) WHERE state = 'sending';
-- Added to the contract's schema: what the sender claims is one range per priority.
CREATE INDEX deliveries_claim ON deliveries (priority, due_at) WHERE state = 'pending';
