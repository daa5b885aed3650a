-- Telegram chats, their subscriptions (per forum topic) and subscription rules.
-- A rule is regions × sections × topics; an empty part means "any".

CREATE TABLE chats (
    id              INTEGER PRIMARY KEY,  -- Telegram chat id
    kind            TEXT NOT NULL CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
    title           TEXT NOT NULL DEFAULT '',
    language        TEXT,                 -- 'ru' or 'en'; NULL: from the user's Telegram language
    active          INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    migrated_to     INTEGER,              -- a group upgraded to this supergroup
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- One per chat and forum topic (thread_id 0 outside forums): what and how to deliver.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
    thread_id       INTEGER NOT NULL DEFAULT 0,
    mode            TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'daily', 'weekly')),
    digest_time     TEXT NOT NULL DEFAULT '09:00',  -- HH:MM in the subscription's time zone
    digest_weekday  INTEGER NOT NULL DEFAULT 0 CHECK (digest_weekday BETWEEN 0 AND 6),  -- Monday 0
    timezone        TEXT,                 -- IANA; NULL until chosen or set by the first region
    quiet_start     TEXT,                 -- HH:MM or NULL
    quiet_end       TEXT,
    paused          INTEGER NOT NULL DEFAULT 0,
    current_rule_id INTEGER,              -- the rule /regions, /sections and /topics edit
    since           TEXT NOT NULL,        -- nothing published before this is delivered
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (chat_id, thread_id)
);

CREATE TABLE subscription_rules (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL
);
CREATE INDEX subscription_rules_subscription ON subscription_rules (subscription_id);

CREATE TABLE rule_regions (
    rule_id     INTEGER NOT NULL REFERENCES subscription_rules (id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (rule_id, region_code)
) WITHOUT ROWID;
CREATE INDEX rule_regions_region ON rule_regions (region_code);

CREATE TABLE rule_sections (
    rule_id      INTEGER NOT NULL REFERENCES subscription_rules (id) ON DELETE CASCADE,
    section_slug TEXT NOT NULL REFERENCES sections (slug),
    PRIMARY KEY (rule_id, section_slug)
) WITHOUT ROWID;

CREATE TABLE rule_topics (
    rule_id    INTEGER NOT NULL REFERENCES subscription_rules (id) ON DELETE CASCADE,
    topic_slug TEXT NOT NULL REFERENCES topics (slug),
    PRIMARY KEY (rule_id, topic_slug)
) WITHOUT ROWID;
