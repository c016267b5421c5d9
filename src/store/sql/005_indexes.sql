-- 005: the site filter without scanning every row of a status, and message
-- lists by workspace for exports.
CREATE INDEX conv_ws_site ON conversations(workspace_id, site, updated_at, id);
CREATE INDEX messages_ws ON messages(workspace_id, id);
