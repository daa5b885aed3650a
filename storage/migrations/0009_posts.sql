-- Editors' posts (issue 11): a draft, then scheduled or published as an article of its own
-- (articles.source_id NULL, articles.text the editor's checked Telegram HTML), and the edits
-- and retractions of the messages already delivered.

CREATE TABLE posts (
    id            INTEGER PRIMARY KEY,
    author_id     INTEGER NOT NULL,              -- Telegram user id of the editor
    state         TEXT NOT NULL DEFAULT 'draft'
                  CHECK (state IN ('draft', 'scheduled', 'published', 'retracted', 'cancelled')),
    title         TEXT NOT NULL DEFAULT '',
    body_html     TEXT NOT NULL DEFAULT '',      -- checked Telegram HTML (bot/telegram/post_html)
    photo_file_id TEXT,                          -- Telegram's file_id of the photo; NULL: none
    regions       TEXT NOT NULL DEFAULT '[]',    -- JSON array of region codes
    section_slug  TEXT,
    topics        TEXT NOT NULL DEFAULT '[]',    -- JSON array of topic slugs
    urgent        INTEGER NOT NULL DEFAULT 0,
    publish_at    TEXT,                          -- scheduled: when (UTC)
    article_id    INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    published_at  TEXT,
    retracted_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX posts_due ON posts (publish_at) WHERE state = 'scheduled';
CREATE INDEX posts_state ON posts (state, updated_at);
CREATE UNIQUE INDEX posts_article ON posts (article_id) WHERE article_id IS NOT NULL;

-- Changes to messages already delivered, performed by the sender at a low priority
-- (bot/delivery/revisions.py): 'edit' renders the card again and edits the text or caption;
-- 'retract' deletes the message, or edits it to «Новость отозвана редакцией» when Telegram no
-- longer lets the bot delete it (48 h).
CREATE TABLE delivery_revisions (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    post_id     INTEGER REFERENCES posts (id) ON DELETE SET NULL,
    action      TEXT NOT NULL CHECK (action IN ('edit', 'retract')),
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    due_at      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT,                            -- 'edited' | 'deleted' | 'marked' | 'unchanged'
    error       TEXT,
    created_at  TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX delivery_revisions_pending ON delivery_revisions (due_at) WHERE state = 'pending';
CREATE INDEX delivery_revisions_delivery ON delivery_revisions (delivery_id);
CREATE INDEX delivery_revisions_post ON delivery_revisions (post_id);
