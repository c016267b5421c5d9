-- 006_channels.sql: the email channel, webhooks, on-call and notifications.

-- One mailbox per workspace. The password is sealed with the server key
-- (libsodium crypto_secretbox, key file in the data directory).
CREATE TABLE mailboxes (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  imap_url TEXT NOT NULL,
  smtp_url TEXT NOT NULL,
  username TEXT NOT NULL,
  password_sealed TEXT NOT NULL,
  address TEXT NOT NULL,
  folder TEXT NOT NULL DEFAULT 'INBOX',
  poll_seconds INTEGER NOT NULL DEFAULT 30,
  enabled INTEGER NOT NULL DEFAULT 1,
  last_poll_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Every message in or out, by Message-ID, with its fate: accepted, refused
-- (with the reason), duplicate; outgoing: queued, sent, failed.
CREATE TABLE email_messages (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
  msg_id INTEGER,
  status TEXT NOT NULL,
  reason TEXT,
  from_addr TEXT,
  to_addr TEXT,
  subject TEXT,
  body_full TEXT,
  raw_path TEXT,
  size INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX email_messages_mid ON email_messages(workspace_id, message_id, direction);
CREATE INDEX email_messages_conv ON email_messages(conversation_id, id);
CREATE INDEX email_messages_due ON email_messages(status, next_at) WHERE direction = 'out';

CREATE TABLE attachments (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
  email_id INTEGER,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX attachments_conv ON attachments(conversation_id);

CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  format TEXT NOT NULL DEFAULT 'generic' CHECK (format IN ('generic', 'slack')),
  events_json TEXT,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_ws ON webhooks(workspace_id);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  replay_of INTEGER,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);

-- Who is on call: weekday 0 (Sunday) to 6, or -1 for every day; minutes of
-- the day in the workspace's time zone, [start, end).
CREATE TABLE oncall_rota (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
  weekday INTEGER NOT NULL DEFAULT -1,
  start_minute INTEGER NOT NULL DEFAULT 0,
  end_minute INTEGER NOT NULL DEFAULT 1440,
  created_at INTEGER NOT NULL
);
CREATE INDEX oncall_rota_ws ON oncall_rota(workspace_id);

-- The escalation ladder of a handed-off conversation: step 1 primary,
-- 2 backup, 3 admins; done when acknowledged or the ladder is exhausted.
CREATE TABLE escalations (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  next_at INTEGER,
  acked_by TEXT,
  acked_at INTEGER,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX escalations_due ON escalations(done, next_at);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  member_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  conversation_id TEXT,
  text TEXT NOT NULL,
  emailed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  read_at INTEGER
);
CREATE INDEX notifications_member ON notifications(member_id, id);

-- Presence and which notifications a member also wants by e-mail.
CREATE TABLE member_prefs (
  member_id TEXT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'away', 'off_shift')),
  email_json TEXT,
  updated_at INTEGER NOT NULL
);
