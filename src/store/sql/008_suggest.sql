-- 008_suggest.sql: suggested tags (T4) and stale-thread notices (I7).

-- The agent's proposals of Topic tags for a conversation, with their score.
-- state: open (shown), accepted (a member applied it), rejected (never
-- proposed again for this conversation), auto (applied by the agent above the
-- workspace's suggest_auto_threshold).
CREATE TABLE tag_suggestions (
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  score REAL NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'rejected', 'auto')),
  decided_by TEXT,
  decided_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, tag_id)
);

-- When the assignee (or on-call member) was last told that a thread is stale:
-- the next notice is due one full limit later, unless the team replies.
CREATE TABLE stale_notices (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  notified_at INTEGER NOT NULL,
  member_id TEXT,
  count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conv_status_updated ON conversations(status, updated_at);
