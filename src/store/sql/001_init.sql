-- 001: workspaces, people, conversations, messages, timeline, events, audit.
-- Times are integer milliseconds since the Unix epoch (UTC); the API renders RFC 3339.
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  widget_key TEXT NOT NULL UNIQUE,
  next_number INTEGER NOT NULL DEFAULT 1,
  settings_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE TABLE members (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('owner','admin','agent','viewer')),
  organisation TEXT NOT NULL DEFAULT '',
  sites_json TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available','away','off_shift')),
  password_hash TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX members_ws ON members(workspace_id);
CREATE TABLE invites (
  token_hash TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL,
  organisation TEXT NOT NULL DEFAULT '',
  sites_json TEXT NOT NULL DEFAULT '[]',
  invited_by TEXT,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin','agent','viewer')),
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT,
  email TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX contacts_email ON contacts(workspace_id, email);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open','needs_human','pending','resolved')),
  mode TEXT NOT NULL CHECK (mode IN ('agent','manual')),
  assignee_id TEXT REFERENCES members(id) ON DELETE SET NULL,
  channel TEXT NOT NULL CHECK (channel IN ('widget','email','api')),
  site TEXT,
  protocol TEXT,
  contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  subject TEXT,
  external_id TEXT,
  priority TEXT NOT NULL DEFAULT 'normal',
  visitor_token_hash TEXT,
  handoff_reason TEXT,
  handoff_phrase TEXT,
  preview TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (workspace_id, number)
);
CREATE INDEX conv_ws_updated ON conversations(workspace_id, updated_at, id);
CREATE INDEX conv_ws_created ON conversations(workspace_id, created_at, id);
CREATE INDEX conv_ws_status ON conversations(workspace_id, status, updated_at, id);
CREATE INDEX conv_ws_assignee ON conversations(workspace_id, assignee_id, updated_at, id);
CREATE UNIQUE INDEX conv_external ON conversations(workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  author_kind TEXT NOT NULL CHECK (author_kind IN ('visitor','agent','member','system')),
  author_id TEXT,
  body TEXT NOT NULL,
  internal INTEGER NOT NULL DEFAULT 0,
  confidence REAL,
  handoff_reason TEXT,
  citations_json TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_conv ON messages(conversation_id, id);
CREATE TABLE timeline (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  detail_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX timeline_conv ON timeline(conversation_id, id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT,
  site TEXT,
  internal INTEGER NOT NULL DEFAULT 0,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_ws ON events(workspace_id, id);
CREATE INDEX events_conv ON events(conversation_id, id);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE kb_documents (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL,
  version INTEGER NOT NULL,
  effective_date TEXT,
  state TEXT NOT NULL CHECK (state IN ('extracting','indexed','failed','superseded','removed')),
  error TEXT,
  bytes INTEGER NOT NULL DEFAULT 0,
  passages INTEGER NOT NULL DEFAULT 0,
  created_by TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX kb_documents_ws ON kb_documents(workspace_id, name, version);
CREATE TABLE kb_passages (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES kb_documents(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  section TEXT NOT NULL DEFAULT '',
  page INTEGER NOT NULL DEFAULT 0,
  kind INTEGER NOT NULL DEFAULT 0,
  text TEXT NOT NULL
);
CREATE INDEX kb_passages_doc ON kb_passages(document_id, seq);
