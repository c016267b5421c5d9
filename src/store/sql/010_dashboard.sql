-- The dashboard's "resolved by the agent" needs to know whether the agent
-- answered; keep it on the conversation instead of probing messages per row.
ALTER TABLE conversations ADD COLUMN agent_reply_at INTEGER;
UPDATE conversations SET agent_reply_at =
  (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id AND m.author_kind = 'agent');
-- Everything the dashboard reads of a conversation, so its one pass over a
-- year of conversations never visits the table itself.
CREATE INDEX conv_dash ON conversations(workspace_id, created_at, handoff_at, handoff_reason,
  first_human_reply_at, resolved_at, agent_reply_at, site, id);
