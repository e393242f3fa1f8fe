-- Visitor feedback on answers (thumbs up/down), attached to the turn and its trace.
CREATE TABLE feedback (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL,
    chatbot_id    uuid NOT NULL,
    thread_id     text NOT NULL,
    turn_id       text NOT NULL,
    trace_id      text,
    key           text NOT NULL DEFAULT 'user_score',
    score         smallint NOT NULL CHECK (score IN (-1, 1)),
    comment       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (turn_id, key),
    FOREIGN KEY (workspace_id, chatbot_id) REFERENCES chatbots (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX feedback_trace_idx ON feedback (trace_id);
CREATE INDEX feedback_bot_idx ON feedback (workspace_id, chatbot_id, created_at DESC);
