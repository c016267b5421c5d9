-- 004: tags in groups with a cardinality, their provenance on conversations,
-- rules, and the times the dashboard measures.
CREATE TABLE tag_groups (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  cardinality TEXT NOT NULL CHECK (cardinality IN ('one','at_most_one','any')),
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  group_id INTEGER REFERENCES tag_groups(id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  colour TEXT NOT NULL DEFAULT '#64748b',
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE conversation_tags (
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  source TEXT NOT NULL CHECK (source IN ('member','rule','agent')),
  source_id TEXT,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags(tag_id, conversation_id);
CREATE TABLE rules (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  conditions_json TEXT NOT NULL,
  actions_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX rules_ws ON rules(workspace_id, position);
ALTER TABLE conversations ADD COLUMN handoff_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_human_reply_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;
