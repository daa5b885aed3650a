-- Reference data, sources with their fetch state, stories and articles.
-- Times are UTC text 'YYYY-MM-DDTHH:MM:SSZ' (sortable); lists are child tables.

CREATE TABLE regions (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    federal_district TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    capital          TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sections (
    slug     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE topics (
    slug     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '[]',  -- JSON array of lemmas, for display and audit
    position INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE sources (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    configured_url     TEXT NOT NULL,
    url                TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('rss', 'html')),
    region_code        TEXT REFERENCES regions (code),
    section_slug       TEXT REFERENCES sections (slug),
    topics             TEXT NOT NULL DEFAULT '[]',  -- JSON array of topic slugs
    interval_seconds   INTEGER NOT NULL CHECK (interval_seconds > 0),
    timezone           TEXT,
    html_selectors     TEXT,  -- JSON object, kind = 'html' only
    etag               TEXT,
    last_modified      TEXT,
    next_fetch_at      TEXT,
    last_fetched_at    TEXT,
    last_success_at    TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    disabled_reason    TEXT,
    in_config          INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX sources_due ON sources (next_fetch_at) WHERE disabled_reason IS NULL;

-- One story may be told by several sources; later deliveries are planned per story.
CREATE TABLE stories (
    id         INTEGER PRIMARY KEY,
    title_key  TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER REFERENCES sources (id) ON DELETE SET NULL,
    story_id      INTEGER NOT NULL REFERENCES stories (id),
    identity_key  TEXT NOT NULL,
    guid          TEXT,
    url           TEXT,
    title         TEXT NOT NULL,
    title_key     TEXT NOT NULL,
    teaser        TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    image_url     TEXT,
    section_slug  TEXT NOT NULL REFERENCES sections (slug),
    published_at  TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    UNIQUE (source_id, identity_key)
);
CREATE INDEX articles_url ON articles (url) WHERE url IS NOT NULL;
CREATE INDEX articles_title_key ON articles (title_key, published_at);
CREATE INDEX articles_published ON articles (published_at DESC);
CREATE INDEX articles_story ON articles (story_id);

CREATE TABLE article_regions (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (article_id, region_code)
) WITHOUT ROWID;
CREATE INDEX article_regions_region ON article_regions (region_code, article_id);

CREATE TABLE article_topics (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_slug TEXT NOT NULL REFERENCES topics (slug),
    PRIMARY KEY (article_id, topic_slug)
) WITHOUT ROWID;
CREATE INDEX article_topics_topic ON article_topics (topic_slug, article_id);

-- Lemmatised title and text for morphology-aware search («золота» finds «золото»).
CREATE VIRTUAL TABLE article_search USING fts5 (terms, tokenize = 'unicode61');
