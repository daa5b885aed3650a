-- Where a multi-step dialogue stands (aiogram's FSM: a draft post on the editorial desk), so
-- a restart does not lose it. The key is aiogram's StorageKey; a missing forum topic is
-- thread_id 0 and a missing business connection is '' (key columns cannot be NULL).
-- A row whose state is NULL and data is '{}' is deleted rather than kept.

CREATE TABLE conversations (
    bot_id                 INTEGER NOT NULL,
    chat_id                INTEGER NOT NULL,
    user_id                INTEGER NOT NULL,
    thread_id              INTEGER NOT NULL DEFAULT 0,
    business_connection_id TEXT NOT NULL DEFAULT '',
    destiny                TEXT NOT NULL DEFAULT 'default',
    state                  TEXT,                        -- 'Group:step'; NULL: no dialogue
    data                   TEXT NOT NULL DEFAULT '{}',  -- JSON object: the answers so far
    updated_at             TEXT NOT NULL,
    PRIMARY KEY (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)
) WITHOUT ROWID;
