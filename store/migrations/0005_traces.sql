-- Traces: every turn's run tree (LangSmith field names), written in batches off the
-- response path. The root run's id is the trace id (TurnOutput.trace_id); feedback
-- joins on it. Runs are pruned by age (SIGNPOST_TRACE_RETENTION_DAYS).
CREATE TABLE trace_runs (
    id                 uuid PRIMARY KEY,
    trace_id           uuid NOT NULL,
    parent_run_id      uuid,
    dotted_order       text NOT NULL,
    workspace_id       uuid NOT NULL,
    chatbot_id         uuid,
    thread_id          text,
    turn_id            text,
    mode               text,
    name               text NOT NULL,
    run_type           text NOT NULL
                       CHECK (run_type IN ('chain', 'tool', 'retriever', 'embedding', 'llm',
                                           'prompt', 'parser')),
    status             text NOT NULL CHECK (status IN ('success', 'error', 'pending')),
    error              text,
    start_time         timestamptz NOT NULL,
    end_time           timestamptz,
    first_token_time   timestamptz,
    inputs             jsonb,
    outputs            jsonb,
    events             jsonb NOT NULL DEFAULT '[]',
    tags               text[] NOT NULL DEFAULT '{}',
    extra              jsonb NOT NULL DEFAULT '{}',
    model              text,
    provider           text,
    prompt_tokens      integer,
    completion_tokens  integer,
    total_tokens       integer,
    intent             text,
    tool               text,
    FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
);
-- The tree of one trace in execution order.
CREATE INDEX trace_runs_trace_idx ON trace_runs (trace_id, dotted_order);
-- Listing root runs (one per turn), newest first, per workspace and by filter.
CREATE INDEX trace_roots_ws_idx ON trace_runs (workspace_id, start_time DESC)
    WHERE parent_run_id IS NULL;
CREATE INDEX trace_roots_bot_idx ON trace_runs (workspace_id, chatbot_id, start_time DESC)
    WHERE parent_run_id IS NULL;
CREATE INDEX trace_roots_thread_idx ON trace_runs (workspace_id, thread_id, start_time DESC)
    WHERE parent_run_id IS NULL;
CREATE INDEX trace_roots_mode_idx ON trace_runs (workspace_id, mode, start_time DESC)
    WHERE parent_run_id IS NULL;
CREATE INDEX trace_roots_status_idx ON trace_runs (workspace_id, status, start_time DESC)
    WHERE parent_run_id IS NULL;
-- Retention deletes whole traces by their root's age.
CREATE INDEX trace_roots_age_idx ON trace_runs (start_time) WHERE parent_run_id IS NULL;

-- Lead personal data (names, emails, phones) is redacted from traces unless the
-- workspace opts in; secrets are always redacted.
ALTER TABLE workspaces ADD COLUMN trace_pii boolean NOT NULL DEFAULT false;
