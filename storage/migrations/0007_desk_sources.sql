-- The desk's source management (issue 11).
-- origin: 'file' = from the sources file (the sync owns it), 'bot' = added by an admin in the
-- bot; the sync never touches a 'bot' row, and refuses a file source of the same name.
-- paused_at / paused_by: paused by an admin; kept apart from disabled_reason (errors).
ALTER TABLE sources ADD COLUMN origin TEXT NOT NULL DEFAULT 'file'
    CHECK (origin IN ('file', 'bot'));
ALTER TABLE sources ADD COLUMN added_by INTEGER;
ALTER TABLE sources ADD COLUMN paused_at TEXT;
ALTER TABLE sources ADD COLUMN paused_by INTEGER;
