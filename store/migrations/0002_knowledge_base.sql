-- Knowledge base: what ingestion extracts from sources, plus background jobs.
-- Chunks live in a PGVectorStore-format table per embedding space (created at run
-- time, since its vector dimension depends on the configured model); this
-- registry records which table holds which model's vectors.
CREATE TABLE embedding_spaces (
    table_name  text PRIMARY KEY,
    model_id    text NOT NULL,
    dimension   integer NOT NULL CHECK (dimension > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model_id, dimension)
);

-- Which embedding space each source's chunks were written in; a source whose space
-- differs from the active one is re-embedded on its next sync (never mixed).
ALTER TABLE data_sources ADD COLUMN embedding_space text;

CREATE TABLE kb_pages (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    source_id       uuid NOT NULL,
    url             text NOT NULL,
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    text            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('product', 'article', 'contact', 'other')),
    thumbnail_url   text,
    price           text,
    keywords        jsonb NOT NULL DEFAULT '[]',
    headings        jsonb NOT NULL DEFAULT '[]',
    summary         text NOT NULL DEFAULT '',
    content_hash    text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, url),
    FOREIGN KEY (workspace_id, source_id) REFERENCES data_sources (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_pages_scope_idx ON kb_pages (workspace_id, source_id);

CREATE TABLE kb_contacts (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    source_id       uuid NOT NULL,
    row_number      integer NOT NULL,
    fields          jsonb NOT NULL,
    name            text,
    role            text,
    department      text,
    region          text,
    email           text,
    phone           text,
    languages       jsonb NOT NULL DEFAULT '[]',
    content_hash    text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, row_number),
    FOREIGN KEY (workspace_id, source_id) REFERENCES data_sources (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_contacts_scope_idx ON kb_contacts (workspace_id, source_id);

CREATE TABLE kb_documents (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    source_id       uuid NOT NULL,
    file_key        text NOT NULL,
    filename        text NOT NULL,
    content_type    text NOT NULL DEFAULT '',
    title           text NOT NULL,
    summary         text NOT NULL DEFAULT '',
    tags            jsonb NOT NULL DEFAULT '[]',
    page_count      integer,
    metadata        jsonb NOT NULL DEFAULT '{}',
    content_hash    text NOT NULL,
    status          text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'failed')),
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, file_key),
    FOREIGN KEY (workspace_id, source_id) REFERENCES data_sources (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_documents_scope_idx ON kb_documents (workspace_id, source_id);

-- Entries of custom text: Q/A pairs (question set) or plain sections.
CREATE TABLE kb_entries (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    source_id       uuid NOT NULL,
    position        integer NOT NULL,
    question        text,
    answer          text NOT NULL,
    category        text NOT NULL DEFAULT '',
    content_hash    text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, content_hash),
    FOREIGN KEY (workspace_id, source_id) REFERENCES data_sources (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_entries_scope_idx ON kb_entries (workspace_id, source_id);

CREATE TABLE jobs (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_id       uuid REFERENCES data_sources (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    progress_done   integer NOT NULL DEFAULT 0,
    progress_total  integer NOT NULL DEFAULT 0,
    errors          jsonb NOT NULL DEFAULT '[]',
    result          jsonb,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_workspace_idx ON jobs (workspace_id, created_at DESC);
-- At most one live sync per source: enqueueing again returns the live job.
CREATE UNIQUE INDEX jobs_one_live_sync_idx ON jobs (source_id)
    WHERE kind = 'sync' AND status IN ('queued', 'running');
