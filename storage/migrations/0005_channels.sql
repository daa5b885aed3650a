-- Linked channels (issue 10): a channel is a row of chats (kind 'channel') with a row of
-- subscriptions (its rules and time zone, the same rule model as any chat) and these settings.
-- A chat migrated to a supergroup changes chats.id, which cascades here.

CREATE TABLE channel_settings (
    chat_id         INTEGER PRIMARY KEY
                    REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
    username        TEXT,            -- without '@', as Telegram last told it; NULL: private
    mode            TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'batched')),
    slots           TEXT NOT NULL DEFAULT '',  -- 'HH:MM,HH:MM' in the channel's zone (batched)
    min_gap_seconds INTEGER NOT NULL DEFAULT 0 CHECK (min_gap_seconds >= 0),
    thread_id       INTEGER NOT NULL DEFAULT 0,  -- forum topic to post into; 0 = none
    signature       TEXT,            -- a line under every post; NULL: none
    paused          INTEGER NOT NULL DEFAULT 0,
    paused_reason   TEXT,            -- in words: which right the bot lost
    linked_by       INTEGER,         -- the admin's Telegram user id
    linked_at       TEXT NOT NULL,
    last_post_at    TEXT             -- the minimum gap counts from here
);
CREATE UNIQUE INDEX channel_settings_username ON channel_settings (lower(username))
    WHERE username IS NOT NULL;

-- Digests (same issue): the end of the last digest period made for a subscription, so a
-- restart knows which period is next (bot.delivery.periods.digest_due). NULL: none yet.
ALTER TABLE subscriptions ADD COLUMN last_digest_end TEXT;
