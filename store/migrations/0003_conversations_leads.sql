-- Conversations (durable transcripts, independent of checkpoint pruning), leads,
-- the documents each lead received, and every download of a signed link.
CREATE TABLE conversations (
    thread_id         text PRIMARY KEY,
    workspace_id      uuid NOT NULL,
    chatbot_id        uuid NOT NULL,
    mode              text NOT NULL CHECK (mode IN ('live', 'preview', 'eval')),
    message_count     integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_activity_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, chatbot_id) REFERENCES chatbots (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_bot_idx ON conversations (workspace_id, chatbot_id, last_activity_at DESC);
CREATE INDEX conversations_activity_idx ON conversations (last_activity_at);

CREATE TABLE messages (
    id            uuid PRIMARY KEY,
    thread_id     text NOT NULL REFERENCES conversations (thread_id) ON DELETE CASCADE,
    workspace_id  uuid NOT NULL,
    position      integer NOT NULL,
    role          text NOT NULL CHECK (role IN ('user', 'assistant')),
    turn_id       text NOT NULL,
    content       text NOT NULL DEFAULT '',
    lead_input    jsonb,
    output        jsonb,
    intent        text,
    tool          text,
    citations     jsonb NOT NULL DEFAULT '[]',
    trace_id      text,
    latency_ms    double precision,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (thread_id, position)
);
CREATE INDEX messages_turn_idx ON messages (turn_id);

CREATE TABLE leads (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL,
    chatbot_id    uuid NOT NULL,
    thread_id     text,
    name          text,
    email         text,
    phone         text,
    fields        jsonb NOT NULL DEFAULT '{}',
    mode          text NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'preview', 'eval')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (email IS NOT NULL OR phone IS NOT NULL),
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, chatbot_id) REFERENCES chatbots (workspace_id, id) ON DELETE CASCADE
);
-- One lead per person per chatbot (and mode, so preview tests never touch live leads):
-- matched by email, case-insensitively, else by phone. A returning visitor updates it.
CREATE UNIQUE INDEX leads_email_idx ON leads (chatbot_id, mode, lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX leads_phone_idx ON leads (chatbot_id, mode, phone) WHERE phone IS NOT NULL AND email IS NULL;
CREATE INDEX leads_bot_idx ON leads (workspace_id, chatbot_id, created_at DESC);

-- The title is kept as released, so a lead's history survives the document's deletion.
CREATE TABLE lead_documents (
    workspace_id  uuid NOT NULL,
    lead_id       uuid NOT NULL,
    document_id   uuid NOT NULL,
    title         text NOT NULL,
    thread_id     text,
    released_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lead_id, document_id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_documents_doc_idx ON lead_documents (workspace_id, document_id);

CREATE TABLE document_downloads (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL,
    chatbot_id    uuid NOT NULL,
    lead_id       uuid REFERENCES leads (id) ON DELETE SET NULL,
    document_id   uuid NOT NULL,
    ip            text,
    user_agent    text,
    downloaded_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, chatbot_id) REFERENCES chatbots (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX document_downloads_doc_idx ON document_downloads (workspace_id, document_id, downloaded_at DESC);
