-- 009: the monthly review. Q&A entries proposed from members' answers; an
-- admin approves them into knowledge-base documents or rejects them. Actors
-- are kept as audit-style labels ("member:a@b") so they survive member removal.
CREATE TABLE review_entries (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
  proposed_by TEXT NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  note TEXT,
  document_id INTEGER REFERENCES kb_documents(id) ON DELETE SET NULL,
  document_name TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX review_entries_ws ON review_entries(workspace_id, state, id);
-- The review finds a month's handoffs by time.
CREATE INDEX timeline_kind_at ON timeline(kind, created_at);
CREATE INDEX conv_ws_handoff ON conversations(workspace_id, handoff_at) WHERE handoff_at IS NOT NULL;
