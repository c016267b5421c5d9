/* channels_stale.c: stale-thread notifications (I7), on the dispatcher's
 * timer. A needs_human conversation quiet for the workspace's stale_minutes
 * is notified to its assignee, or to the primary on call when nobody has it,
 * once per limit: the next notice is due one full limit after the last one,
 * and a team reply (the thread leaves needs_human) ends them. Time is passed
 * in, so tests drive it with their own clock. */
#include <stdio.h>
#include <string.h>

#include "channels.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "inbox/inbox.h"

int
channels_stale_tick(struct store *s, int64_t now)
{
	json_t *due = ST(s, stale_due, now, 100);
	size_t i;
	int n = 0;

	for (i = 0; i < json_array_size(due); i++) {
		json_t *d = json_array_get(due, i), *who = NULL;
		const char *ws = jsonx_str(d, "workspace_id"), *member = jsonx_str(d, "assignee_id");
		char text[200];

		if (member == NULL) {
			who = channels_oncall_who(s, ws, "primary", now);
			member = who ? jsonx_str(who, "member_id") : NULL;
		}
		snprintf(text, sizeof(text), "Conversation #%lld has waited on the team for %lld minutes",
		    (long long)jsonx_int(d, "number", 0), (long long)((now - jsonx_int(d, "updated_at", now)) / 60000));
		if (member != NULL && channels_notify(s, ws, member, "stale", jsonx_str(d, "conversation_id"), text, now))
			log_warnx("stale: cannot notify %s about %s", member, jsonx_str(d, "conversation_id"));
		/* Recorded even when nobody is on call, so the check does not spin. */
		if (inbox_stale_record(s, d, member, now) == ERR_OK)
			n++;
		json_decref(who);
	}
	json_decref(due);
	return n;
}
