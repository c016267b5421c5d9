-- 007_member_state.sql: per-member state for collaboration (issue 4).
-- Events can be aimed at one member (notifications); member replies keep the
-- display name the visitor saw; read markers, saved views per member, saved
-- replies per workspace.
ALTER TABLE events ADD COLUMN member_id TEXT;
ALTER TABLE messages ADD COLUMN author_name TEXT;

-- The newest message a member has read in a conversation.
CREATE TABLE read_markers (
  member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  last_read_msg_id INTEGER NOT NULL DEFAULT 0,
  read_at INTEGER NOT NULL,
  PRIMARY KEY (member_id, conversation_id)
) WITHOUT ROWID;

CREATE TABLE saved_views (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  filters_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX saved_views_member ON saved_views(member_id, id);

CREATE TABLE saved_replies (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX saved_replies_ws ON saved_replies(workspace_id, title);
