-- Foundation: workspaces, API keys, chatbots, data sources and bucket links.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Keys are shown once; only a SHA-256 of the secret is kept. `prefix` is the
-- public, indexed head of the key used to find the row.
CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT 'default',
    prefix        text NOT NULL UNIQUE,
    key_hash      bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id);

CREATE TABLE chatbots (
    id                   uuid PRIMARY KEY,
    workspace_id         uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                 text NOT NULL,
    greeting             text NOT NULL,
    suggested_questions  jsonb NOT NULL DEFAULT '[]',
    ui                   jsonb NOT NULL DEFAULT '{}',
    allowed_origins      jsonb NOT NULL DEFAULT '[]',
    lead_fields          jsonb NOT NULL,
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    public_key           text NOT NULL UNIQUE,
    icon_key             text,
    kb_version           text,
    settings             jsonb NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id)
);
CREATE INDEX chatbots_workspace_idx ON chatbots (workspace_id, created_at DESC, id);

CREATE TABLE data_sources (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type            text NOT NULL CHECK (type IN ('website', 'sheet', 'custom', 'document')),
    name            text NOT NULL,
    config          jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'syncing', 'ready', 'failed')),
    counts          jsonb NOT NULL DEFAULT '{"pages": 0, "rows": 0, "chunks": 0, "documents": 0}',
    version         text,
    last_synced_at  timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id)
);
CREATE INDEX data_sources_workspace_idx ON data_sources (workspace_id, created_at DESC, id);

-- The composite keys make a link across workspaces impossible, not just unlikely.
CREATE TABLE bucket_links (
    workspace_id  uuid NOT NULL,
    chatbot_id    uuid NOT NULL,
    bucket        text NOT NULL CHECK (bucket IN ('guidance', 'contact', 'support', 'doc_referral')),
    source_id     uuid NOT NULL,
    position      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (chatbot_id, bucket, source_id),
    FOREIGN KEY (workspace_id, chatbot_id) REFERENCES chatbots (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, source_id) REFERENCES data_sources (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX bucket_links_source_idx ON bucket_links (source_id);
