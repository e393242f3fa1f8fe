-- Lead sink: a chatbot may append each new lead to a Google Sheet (chatbots.settings ->
-- 'lead_sheet'), delivered by a background job of kind 'lead_sink' with retries.
ALTER TABLE jobs ADD COLUMN lead_id uuid;
ALTER TABLE jobs ADD CONSTRAINT jobs_lead_fk FOREIGN KEY (workspace_id, lead_id)
    REFERENCES leads (workspace_id, id) ON DELETE CASCADE;
-- One delivery per lead: a returning visitor updates the lead, never appends it twice.
CREATE UNIQUE INDEX jobs_one_sink_per_lead_idx ON jobs (lead_id) WHERE kind = 'lead_sink';
