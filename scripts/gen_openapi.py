#!/usr/bin/env python3
"""Writes web/openapi.json: the OpenAPI 3.1 document of Baton's HTTP API.

The route list here must match `baton routes` exactly; tests/blackbox/test_openapi.py
checks both directions against the running server. Run after changing a route:
    python3 scripts/gen_openapi.py > web/openapi.json
"""
import json

ERR = {"$ref": "#/components/responses/Error"}
ROUTES = [
    # method, path, summary, security (public|member|visitor|widget), role, request schema, success status
    ("GET", "/api/v1/health", "Liveness and version", "public", None, None, 200),
    ("GET", "/api/v1/openapi.json", "This document", "public", None, None, 200),
    ("POST", "/api/v1/auth/login", "Log in; sets the baton_session cookie", "public", None, "Login", 200),
    ("POST", "/api/v1/auth/logout", "End the session", "member", "viewer", None, 200),
    ("POST", "/api/v1/invites/accept", "Accept an invitation and set a password", "public", None, "InviteAccept", 201),
    ("GET", "/api/v1/me", "Who is calling, with csrf_token for cookie writes", "member", "viewer", None, 200),
    ("GET", "/api/v1/members", "List members", "member", "viewer", None, 200),
    ("POST", "/api/v1/members/invite", "Invite a member by e-mail (one-time link)", "member", "admin", "Invite", 201),
    ("PATCH", "/api/v1/members/{id}", "Change role, organisation, name, sites or status", "member", "admin", "MemberPatch", 200),
    ("DELETE", "/api/v1/members/{id}", "Remove a member", "member", "admin", None, 200),
    ("GET", "/api/v1/tokens", "List API tokens (never their secrets)", "member", "admin", None, 200),
    ("POST", "/api/v1/tokens", "Create an API token; the secret is shown once", "member", "admin", "TokenCreate", 201),
    ("DELETE", "/api/v1/tokens/{id}", "Revoke an API token", "member", "admin", None, 200),
    ("GET", "/api/v1/settings", "Workspace and agent settings", "member", "viewer", None, 200),
    ("PATCH", "/api/v1/settings", "Change settings (unknown keys are refused by name)", "member", "admin", "Settings", 200),
    ("GET", "/api/v1/conversations", "List conversations with filters and cursor pagination", "member", "viewer", None, 200),
    ("GET", "/api/v1/search", "Full-text search over messages and notes (q=...), with the conversation filters", "member", "viewer", None, 200),
    ("POST", "/api/v1/conversations", "Create (or join by external_id) a conversation from a help desk", "member", "agent", "ConversationCreate", 201),
    ("GET", "/api/v1/conversations/{id}", "One conversation, with mode and status", "member", "viewer", None, 200),
    ("GET", "/api/v1/conversations/{id}/messages", "Messages and internal notes", "member", "viewer", None, 200),
    ("POST", "/api/v1/conversations/{id}/messages", "Reply or add an internal note; a reply puts the conversation in manual mode", "member", "agent", "MessageCreate", 201),
    ("GET", "/api/v1/conversations/{id}/timeline", "Timeline of events", "member", "viewer", None, 200),
    ("POST", "/api/v1/conversations/{id}/claim", "Claim: assign to me and pause the agent", "member", "agent", None, 200),
    ("POST", "/api/v1/conversations/{id}/assign", "Assign to a member, or null to unassign", "member", "agent", "Assign", 200),
    ("POST", "/api/v1/conversations/{id}/status", "Set the status", "member", "agent", "Status", 200),
    ("POST", "/api/v1/conversations/{id}/handback", "Hand the conversation back to the agent", "member", "agent", None, 200),
    ("GET", "/api/v1/conversations/{id}/transcript", "Printable HTML transcript", "member", "viewer", None, 200),
    ("POST", "/api/v1/conversations/{id}/tags", "Tag a conversation (cardinality: a second Site tag replaces the first)", "member", "agent", "TagRef", 200),
    ("DELETE", "/api/v1/conversations/{id}/tags/{tag}", "Remove a tag", "member", "agent", None, 200),
    ("GET", "/api/v1/tags", "Tags and tag groups", "member", "viewer", None, 200),
    ("POST", "/api/v1/tags", "Create a tag", "member", "admin", "Tag", 201),
    ("PATCH", "/api/v1/tags/{id}", "Rename, recolour or describe a tag", "member", "admin", "Tag", 200),
    ("DELETE", "/api/v1/tags/{id}", "Delete a tag", "member", "admin", None, 200),
    ("POST", "/api/v1/tag-groups", "Create a tag group with a cardinality", "member", "admin", "TagGroup", 201),
    ("DELETE", "/api/v1/tag-groups/{id}", "Delete a tag group", "member", "admin", None, 200),
    ("GET", "/api/v1/rules", "Rules, in the order they run", "member", "admin", None, 200),
    ("POST", "/api/v1/rules", "Create a rule (bad patterns are refused)", "member", "admin", "Rule", 201),
    ("PATCH", "/api/v1/rules/{id}", "Replace a rule", "member", "admin", "Rule", 200),
    ("DELETE", "/api/v1/rules/{id}", "Delete a rule", "member", "admin", None, 200),
    ("GET", "/api/v1/dashboard", "Volume, handoff and agent-resolved rates by week, handoffs by reason/site/topic, times, heat map", "member", "viewer", None, 200),
    ("GET", "/api/v1/handover", "Shift handover digest", "member", "viewer", None, 200),
    ("GET", "/api/v1/stale", "Threads waiting on the team longer than the workspace's limit", "member", "viewer", None, 200),
    ("GET", "/api/v1/exports/conversations.csv", "CSV: one row per conversation", "member", "admin", None, 200),
    ("GET", "/api/v1/exports/messages.csv", "CSV: one row per message", "member", "admin", None, 200),
    ("GET", "/api/v1/usage", "Usage for a month (?month=YYYY-MM; &format=csv for a CSV row)", "member", "admin", None, 200),
    ("GET", "/api/v1/events", "Server-Sent Events for members (Last-Event-ID replays)", "member", "viewer", None, 200),
    ("GET", "/api/v1/kb/documents", "Knowledge-base documents (?all=1 includes old versions)", "member", "viewer", None, 200),
    ("POST", "/api/v1/kb/documents", "Upload a document: raw bytes, name in X-Filename, ?effective_date=YYYY-MM-DD", "member", "admin", "Upload", 201),
    ("GET", "/api/v1/kb/documents/{id}/passages", "A document's passages", "member", "viewer", None, 200),
    ("DELETE", "/api/v1/kb/documents/{id}", "Remove a document from answers", "member", "admin", None, 200),
    ("POST", "/api/v1/ask", "Ask the agent (test box): answer, confidence, passages, and why it would or would not hand off", "member", "admin", "Ask", 200),
    ("GET", "/api/v1/audit", "Audit trail rows of this workspace (?after=ID)", "member", "admin", None, 200),
    ("GET", "/api/v1/audit/verify", "Verify the audit hash chain", "member", "admin", None, 200),
    ("GET", "/widget/v1/config", "Widget greeting and agent name (?key=WIDGET_KEY)", "public", None, None, 200),
    ("POST", "/widget/v1/conversations", "Start a widget conversation; returns id and visitor token", "widget", None, "WidgetStart", 201),
    ("GET", "/widget/v1/conversations/{id}/messages", "The visitor's messages (never internal notes)", "visitor", None, None, 200),
    ("POST", "/widget/v1/conversations/{id}/messages", "Post a visitor message", "visitor", None, "MessageCreate", 201),
    ("GET", "/widget/v1/conversations/{id}/events", "Server-Sent Events for the visitor's conversation", "visitor", None, None, 200),
    # e-mail channel, webhooks, on-call, notifications
    ("GET", "/api/v1/channels/email", "The workspace's mailbox (without the password)", "member", "admin", None, 200),
    ("PUT", "/api/v1/channels/email", "Save the mailbox: imap_url, smtp_url, username, password (stored encrypted), address, folder, poll_seconds, enabled", "member", "admin", None, 200),
    ("POST", "/api/v1/channels/email/check", "Check connection: log in to IMAP and SMTP; {ok, imap:{ok,error}, smtp:{ok,error}}", "member", "admin", None, 200),
    ("GET", "/api/v1/channels/email/messages", "Email log: every message in or out by Message-ID with status (accepted, refused, duplicate, queued, sent, failed) and reason", "member", "admin", None, 200),
    ("GET", "/api/v1/webhooks", "Webhooks", "member", "admin", None, 200),
    ("POST", "/api/v1/webhooks", "Create a webhook {url, format: generic|slack, events, secret?}; the secret is returned once", "member", "admin", None, 201),
    ("PATCH", "/api/v1/webhooks/{id}", "Change a webhook", "member", "admin", None, 200),
    ("DELETE", "/api/v1/webhooks/{id}", "Delete a webhook", "member", "admin", None, 200),
    ("GET", "/api/v1/webhooks/{id}/deliveries", "Delivery log of a webhook", "member", "admin", None, 200),
    ("POST", "/api/v1/webhook-deliveries/{id}/replay", "Replay a delivery", "member", "admin", None, 201),
    ("GET", "/api/v1/oncall", "On-call rota, escalation settings, and who is on call now", "member", "viewer", None, 200),
    ("PUT", "/api/v1/oncall", "Replace the rota {escalate_minutes, utc_offset_minutes, entries:[{member_id, role, weekday, start_minute, end_minute}]}", "member", "admin", None, 200),
    ("POST", "/api/v1/conversations/{id}/ack", "Acknowledge a handoff: stops the escalation ladder", "member", "agent", None, 200),
    ("GET", "/api/v1/conversations/{id}/attachments", "Attachments of a conversation", "member", "viewer", None, 200),
    ("GET", "/api/v1/attachments/{id}", "Download an attachment (application/octet-stream)", "member", "viewer", None, 200),
    ("PUT", "/api/v1/me/status", "Set presence {status: available|away|off_shift}", "member", "viewer", None, 200),
    ("GET", "/api/v1/me/preferences", "Presence and e-mail notification preferences", "member", "viewer", None, 200),
    ("PUT", "/api/v1/me/preferences", "Choose notifications by e-mail {email:{handoff,escalation,mention,assigned: bool}}", "member", "viewer", None, 200),
    ("GET", "/api/v1/notifications", "The member's notifications", "member", "viewer", None, 200),
    ("POST", "/api/v1/notifications/{id}/read", "Mark a notification read", "member", "viewer", None, 200),
    # review (monthly review, review entries)
    ("GET", "/api/v1/review", "The month's handed-off conversations grouped by similar question, ranked by member time, and knowledge gaps (?month=YYYY-MM)", "member", "viewer", None, 200),
    ("GET", "/api/v1/review/entries", "Review entries (Q&A proposed for the knowledge base), pending first (?state=pending|approved|rejected)", "member", "viewer", None, 200),
    ("POST", "/api/v1/review/entries", "Propose a Q&A entry; question and answer default to the conversation's question and member answer", "member", "agent", "ReviewEntry", 201),
    ("POST", "/api/v1/review/entries/{id}/approve", "Approve an entry: it becomes a knowledge-base document, indexed at once", "member", "admin", "ReviewDecision", 200),
    ("POST", "/api/v1/review/entries/{id}/reject", "Reject an entry", "member", "admin", "ReviewDecision", 200),
    # suggest: suggested tags (T4), duplicates (I8)
    ("GET", "/api/v1/conversations/{id}/suggestions", "Open tag suggestions [{tag_id, name, colour, score (0..1), state}], best first", "member", "viewer", None, 200),
    ("POST", "/api/v1/conversations/{id}/suggestions/{tag}/accept", "Accept a suggestion: the tag is applied with the member as its source; {tags, suggestions}", "member", "agent", None, 200),
    ("POST", "/api/v1/conversations/{id}/suggestions/{tag}/reject", "Reject a suggestion: it is never proposed again on this conversation; {tags, suggestions}", "member", "agent", None, 200),
    ("GET", "/api/v1/conversations/{id}/duplicates", "Threads (within your sites) where a member answered the same question: [{conversation_id, number, question, answer_excerpt, score}]", "member", "viewer", None, 200),
    # collaboration (issue 4): presence, read state, saved views and replies
    ("GET", "/api/v1/conversations/{id}/presence", "Who is viewing or typing: {members:[{id,name,state}], visitor_typing}", "member", "viewer", None, 200),
    ("POST", "/api/v1/conversations/{id}/presence", "Heartbeat {state: viewing|typing|left, note}; viewing expires after 30 s, typing after 6 s (typing needs the agent role; a note being typed is not shown to the visitor)", "member", "viewer", "Presence", 200),
    ("POST", "/api/v1/conversations/{id}/read", "Mark read up to {message_id} (default: the newest message)", "member", "viewer", "ReadMark", 200),
    ("POST", "/widget/v1/conversations/{id}/typing", "The visitor is typing {typing: bool}", "visitor", None, "Typing", 200),
    ("POST", "/api/v1/notifications/read-all", "Mark every notification of the caller read", "member", "viewer", None, 200),
    ("GET", "/api/v1/views", "The caller's saved views", "member", "viewer", None, 200),
    ("POST", "/api/v1/views", "Save a view {name, filters}", "member", "viewer", "View", 201),
    ("PATCH", "/api/v1/views/{id}", "Rename a view or change its filters", "member", "viewer", "View", 200),
    ("DELETE", "/api/v1/views/{id}", "Delete a saved view", "member", "viewer", None, 200),
    ("GET", "/api/v1/saved-replies", "The workspace's saved replies", "member", "viewer", None, 200),
    ("POST", "/api/v1/saved-replies", "Create a saved reply {title, body}", "member", "agent", "SavedReply", 201),
    ("PATCH", "/api/v1/saved-replies/{id}", "Change a saved reply", "member", "agent", "SavedReply", 200),
    ("DELETE", "/api/v1/saved-replies/{id}", "Delete a saved reply", "member", "agent", None, 200),
]

S = lambda **p: {"type": "object", "properties": p}
STR = {"type": "string"}
SCHEMAS = {
    "Error": S(error=S(code=STR, message=STR)),
    "Login": S(email=STR, password=STR),
    "InviteAccept": S(token=STR, name=STR, password={"type": "string", "minLength": 10}),
    "Invite": S(email=STR, role={"enum": ["owner", "admin", "agent", "viewer"]}, organisation=STR, sites={"type": "array", "items": STR}),
    "MemberPatch": S(role=STR, organisation=STR, name=STR, sites={"type": "array", "items": STR}, status={"enum": ["available", "away", "off_shift"]}),
    "TokenCreate": S(name=STR, role={"enum": ["admin", "agent", "viewer"]}),
    "Settings": S(agent_name=STR, greeting=STR, holding_message=STR, tone=STR, threshold={"type": "number", "minimum": 0, "maximum": 1},
                  key_phrases=STR, synonyms=STR, channels=S(widget={"type": "boolean"}, email={"type": "boolean"}, api={"type": "boolean"}),
                  allowed_origins={"type": "array", "items": STR},
                  stale_minutes={"type": "integer", "minimum": 5, "maximum": 10080},  # suggest
                  suggest_auto_threshold={"type": "number", "minimum": 0, "maximum": 1},  # suggest: 1 = off
                  # A7: the optional answer writer; "" = off. The key is write-only: responses say writer_api_key_set.
                  writer_url={"type": "string", "maxLength": 500, "description": "http(s) base of an OpenAI-compatible API; \"\" = off"},
                  writer_model={"type": "string", "maxLength": 200},
                  writer_api_key={"type": "string", "maxLength": 1000, "writeOnly": True, "description": "\"\" clears it"},
                  writer_api_key_set={"type": "boolean", "readOnly": True},
                  writer_timeout_ms={"type": "integer", "minimum": 100, "maximum": 60000},
                  redaction_patterns={"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 300},
                                      "description": "POSIX extended regexes, case-insensitive; matches become [redacted] before text leaves Baton"}),
    "ConversationCreate": S(external_id=STR, body=STR, context=S(site=STR, protocol=STR, name=STR, email=STR, subject=STR)),
    "MessageCreate": S(body=STR, internal={"type": "boolean"}),
    "Assign": S(assignee_id={"type": ["string", "null"]}),
    "Status": S(status={"enum": ["open", "needs_human", "pending", "resolved"]}),
    "Ask": S(question=STR),
    "WidgetStart": S(widget_key=STR, context=S(site=STR, protocol=STR, name=STR, email=STR)),
    "Upload": {"type": "string", "format": "binary"},
    "TagRef": S(tag_id={"type": "integer"}),
    # collaboration (issue 4)
    "Presence": S(state={"enum": ["viewing", "typing", "left"]}, note={"type": "boolean"}),
    "ReadMark": S(message_id={"type": "integer"}),
    "Typing": S(typing={"type": "boolean"}),
    "View": S(name=STR, filters=S(status=STR, mode=STR, assignee=STR, channel=STR, site=STR, tags_any=STR, tags_all=STR,
                                  created_after=STR, created_before=STR, sort=STR, order=STR, q=STR)),
    "SavedReply": S(title=STR, body=STR),
    "Tag": S(name=STR, colour=STR, description=STR, group_id={"type": ["integer", "null"]}),
    "TagGroup": S(name=STR, cardinality={"enum": ["one", "at_most_one", "any"]}),
    "Rule": S(name=STR, position={"type": "integer"}, enabled={"type": "boolean"},
              conditions=S(text_any={"type": "array", "items": STR}, pattern=STR, channel=STR, site=STR, tag_id={"type": "integer"}),
              actions=S(add_tags={"type": "array", "items": {"type": "integer"}}, assign=STR, priority=STR, handoff={"type": "boolean"})),
    # review
    "ReviewEntry": S(question=STR, answer=STR, conversation_id={"type": ["string", "null"]}),
    "ReviewDecision": S(note=STR, question=STR, answer=STR),
}

doc = {
    "openapi": "3.1.0",
    "info": {"title": "Baton API", "version": "0.1.0",
             "description": "Shared inbox with an answer agent. Errors are {\"error\":{\"code\",\"message\"}}. "
                            "Times are RFC 3339 UTC. Cookie-authenticated writes send X-CSRF-Token (from GET /api/v1/me)."},
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "baton_session"},
            "token": {"type": "http", "scheme": "bearer", "description": "API token (bt_...) or, on /widget/v1, the visitor token (vt_...)"},
        },
        "schemas": SCHEMAS,
        "responses": {"Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
    },
    "paths": {},
}
for method, path, summary, auth, role, req, ok in ROUTES:
    op = {"summary": summary, "x-baton-auth": auth, "responses": {str(ok): {"description": "OK"}, "4XX": ERR}}
    if role:
        op["x-baton-role"] = role
    if auth == "member":
        op["security"] = [{"session": []}, {"token": []}]
    elif auth == "visitor":
        op["security"] = [{"token": []}]
    else:
        op["security"] = []
    params = [p[1:-1] for p in path.split("/") if p.startswith("{")]
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": STR} for p in params]
    if req:
        ctype = "application/octet-stream" if req == "Upload" else "application/json"
        op["requestBody"] = {"required": True, "content": {ctype: {"schema": {"$ref": "#/components/schemas/" + req}}}}
    if path.endswith("/events"):
        op["responses"][str(ok)] = {"description": "text/event-stream", "content": {"text/event-stream": {}}}
    doc["paths"].setdefault(path, {})[method.lower()] = op
print(json.dumps(doc, indent=1))
