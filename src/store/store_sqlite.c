/* store_sqlite.c: the embedded SQLite backend. One connection per handle,
 * WAL, foreign keys, a busy timeout, cached prepared statements, and the
 * numbered migrations of src/store/sql applied at open. Rows travel as JSON
 * objects built generically from column names and types. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/log.h"
#include "store.h"
#include "store_int.h"
#include "store_sqlite_int.h"

extern const struct embedded store_migrations[];

/* One writer at a time in this process: SQLite serialises writers anyway, and
 * holding this across commit + publish keeps event IDs in publication order. */
static pthread_mutex_t sq_write_mu = PTHREAD_MUTEX_INITIALIZER;

sqlite3_stmt *
sq_prep(struct sq *q, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int i;

	for (i = 0; i < q->ncache; i++)
		if (strcmp(q->cache[i].sql, sql) == 0) {
			sqlite3_reset(q->cache[i].st);
			sqlite3_clear_bindings(q->cache[i].st);
			return q->cache[i].st;
		}
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_warnx("sqlite prepare: %s: %s", sqlite3_errmsg(q->db), sql);
		return NULL;
	}
	if (q->ncache == SQ_CACHE) {
		/* Evict the oldest dynamic statement. */
		sqlite3_finalize(q->cache[0].st);
		free(q->cache[0].sql);
		memmove(&q->cache[0], &q->cache[1], sizeof(q->cache[0]) * (SQ_CACHE - 1));
		q->ncache--;
	}
	q->cache[q->ncache].sql = xstrdup(sql);
	q->cache[q->ncache].st = st;
	q->ncache++;
	return st;
}

/* Bind by format: s = string (NULL binds null), i = int64, d = double,
 * j = json_t * stored as text (NULL binds null). */
static sqlite3_stmt *
sq_vbind(struct sq *q, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = sq_prep(q, sql);
	int i;

	if (st == NULL)
		return NULL;
	for (i = 0; fmt[i]; i++) {
		int k = i + 1;

		switch (fmt[i]) {
		case 's': {
			const char *v = va_arg(ap, const char *);

			if (v == NULL)
				sqlite3_bind_null(st, k);
			else
				sqlite3_bind_text(st, k, v, -1, SQLITE_TRANSIENT);
			break;
		}
		case 'i':
			sqlite3_bind_int64(st, k, va_arg(ap, int64_t));
			break;
		case 'd':
			sqlite3_bind_double(st, k, va_arg(ap, double));
			break;
		case 'j': {
			json_t *v = va_arg(ap, json_t *);
			char *txt;

			if (v == NULL || json_is_null(v)) {
				sqlite3_bind_null(st, k);
				break;
			}
			txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			sqlite3_bind_text(st, k, txt ? txt : "null", -1, SQLITE_TRANSIENT);
			free(txt);
			break;
		}
		default:
			fatalx("sq_vbind: bad format %c", fmt[i]);
		}
	}
	return st;
}

json_t *
sq_rowobj(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int i, n = sqlite3_column_count(st);

	for (i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		size_t nl = strlen(name);
		json_t *v;

		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		case SQLITE_TEXT: {
			const char *t = (const char *)sqlite3_column_text(st, i);

			if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
				char key[64];

				v = json_loads(t, JSON_DECODE_ANY, NULL);
				if (v == NULL)
					v = json_null();
				snprintf(key, sizeof(key), "%.*s", (int)(nl - 5), name);
				json_object_set_new(o, key, v);
				continue;
			}
			v = json_stringn(t, (size_t)sqlite3_column_bytes(st, i));
			if (v == NULL)
				v = json_string("");
			break;
		}
		case SQLITE_NULL:
			if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
				char key[64];

				snprintf(key, sizeof(key), "%.*s", (int)(nl - 5), name);
				json_object_set_new(o, key, json_null());
				continue;
			}
			v = json_null();
			break;
		default:
			v = json_null();
			break;
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

json_t *
sq_rows(struct sq *q, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	json_t *arr;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = sq_vbind(q, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return NULL;
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, sq_rowobj(st));
	if (rc != SQLITE_DONE)
		log_warnx("sqlite step: %s", sqlite3_errmsg(q->db));
	sqlite3_reset(st);
	return arr;
}

json_t *
sq_row(struct sq *q, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	json_t *row = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = sq_vbind(q, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row = sq_rowobj(st);
	else if (rc != SQLITE_DONE)
		log_warnx("sqlite step: %s", sqlite3_errmsg(q->db));
	sqlite3_reset(st);
	return row;
}

static err_t
sq_rc(struct sq *q, int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK)
		return ERR_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return ERR_CONFLICT;
	log_warnx("sqlite: %s", sqlite3_errmsg(q->db));
	return ERR_STORE;
}

err_t
sq_exec(struct sq *q, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	st = sq_vbind(q, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return ERR_STORE;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return sq_rc(q, rc);
}

/* err, or `none` when the statement succeeded but touched no row. */
err_t
sq_changed(struct sq *q, err_t err, err_t none)
{
	return !err && sqlite3_changes(q->db) == 0 ? none : err;
}

static int
sq_ident_ok(const char *k)
{
	if (*k == '\0' || strlen(k) > 40)
		return 0;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || *k == '_' || (*k >= '0' && *k <= '9')))
			return 0;
	return 1;
}

static void
sq_bind_json(sqlite3_stmt *st, int k, json_t *v)
{
	char *txt;

	switch (json_typeof(v)) {
	case JSON_STRING:
		sqlite3_bind_text(st, k, json_string_value(v), (int)json_string_length(v),
		    SQLITE_TRANSIENT);
		break;
	case JSON_INTEGER:
		sqlite3_bind_int64(st, k, json_integer_value(v));
		break;
	case JSON_REAL:
		sqlite3_bind_double(st, k, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		sqlite3_bind_int(st, k, json_is_true(v));
		break;
	case JSON_NULL:
		sqlite3_bind_null(st, k);
		break;
	default:
		txt = json_dumps(v, JSON_COMPACT);
		sqlite3_bind_text(st, k, txt ? txt : "null", -1, SQLITE_TRANSIENT);
		free(txt);
		break;
	}
}

/* Object and array values go to a column named key_json. Keys come from our
 * own code, never from clients; they are still checked. */
static const char *
sq_col(const char *key, json_t *v, char *tmp, size_t n)
{
	if (json_is_object(v) || json_is_array(v)) {
		snprintf(tmp, n, "%s_json", key);
		return tmp;
	}
	return key;
}

err_t
sq_insert(struct sq *q, const char *table, json_t *obj, int64_t *rowid)
{
	struct buf sql;
	const char *key;
	json_t *v;
	sqlite3_stmt *st;
	char tmp[64];
	int n = 0, rc;
	err_t err = ERR_STORE;

	buf_init(&sql, 4096);
	buf_printf(&sql, "INSERT INTO %s (", table);
	json_object_foreach(obj, key, v) {
		if (!sq_ident_ok(key))
			fatalx("sq_insert: bad column %s", key);
		buf_printf(&sql, "%s%s", n++ ? "," : "", sq_col(key, v, tmp, sizeof(tmp)));
	}
	buf_puts(&sql, ") VALUES (");
	for (rc = 0; rc < n; rc++)
		buf_puts(&sql, rc ? ",?" : "?");
	buf_puts(&sql, ")");
	st = sq_prep(q, sql.p);
	if (st == NULL)
		goto out;
	n = 0;
	json_object_foreach(obj, key, v)
		sq_bind_json(st, ++n, v);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	err = sq_rc(q, rc);
	if (!err && rowid != NULL)
		*rowid = sqlite3_last_insert_rowid(q->db);
out:
	buf_free(&sql);
	return err;
}

/* UPDATE table SET fields WHERE id = ? [AND workspace_id = ?]. */
err_t
sq_update(struct sq *q, const char *table, const char *id, int64_t iid, const char *ws,
    json_t *fields)
{
	struct buf sql;
	const char *key;
	json_t *v;
	sqlite3_stmt *st;
	char tmp[64];
	int n = 0, rc;
	err_t err = ERR_STORE;

	if (json_object_size(fields) == 0)
		return ERR_OK;
	buf_init(&sql, 4096);
	buf_printf(&sql, "UPDATE %s SET ", table);
	json_object_foreach(fields, key, v) {
		if (!sq_ident_ok(key))
			fatalx("sq_update: bad column %s", key);
		buf_printf(&sql, "%s%s = ?", n++ ? ", " : "", sq_col(key, v, tmp, sizeof(tmp)));
	}
	buf_puts(&sql, " WHERE id = ?");
	if (ws != NULL)
		buf_puts(&sql, " AND workspace_id = ?");
	st = sq_prep(q, sql.p);
	if (st == NULL)
		goto out;
	n = 0;
	json_object_foreach(fields, key, v)
		sq_bind_json(st, ++n, v);
	if (id != NULL)
		sqlite3_bind_text(st, ++n, id, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, ++n, iid);
	if (ws != NULL)
		sqlite3_bind_text(st, ++n, ws, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	err = sq_changed(q, sq_rc(q, rc), ERR_NOT_FOUND);
out:
	buf_free(&sql);
	return err;
}

/* ---- lifecycle and transactions ---- */

static void
sq_close(struct store *s)
{
	struct sq *q = (struct sq *)s;
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < q->ncache; i++) {
		sqlite3_finalize(q->cache[i].st);
		free(q->cache[i].sql);
	}
	sqlite3_close(q->db);
	free(q);
}

static err_t
sq_begin(struct store *s)
{
	struct sq *q = (struct sq *)s;
	int rc;

	pthread_mutex_lock(&sq_write_mu);
	rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		pthread_mutex_unlock(&sq_write_mu);
		return sq_rc(q, rc);
	}
	q->in_tx = 1;
	return ERR_OK;
}

static err_t
sq_commit(struct store *s)
{
	struct sq *q = (struct sq *)s;
	int rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		q->in_tx = 0;
		pthread_mutex_unlock(&sq_write_mu);
		return sq_rc(q, rc);
	}
	q->in_tx = 0;
	pthread_mutex_unlock(&sq_write_mu);
	return ERR_OK;
}

static void
sq_rollback(struct store *s)
{
	struct sq *q = (struct sq *)s;

	if (!q->in_tx)
		return;
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	q->in_tx = 0;
	pthread_mutex_unlock(&sq_write_mu);
}

static err_t
sq_backup(struct store *s, const char *path, struct errinfo *ei)
{
	struct sq *q = (struct sq *)s;
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;
	err_t err = ERR_OK;

	if (sqlite3_open(path, &dst) != SQLITE_OK) {
		err = err_set(ei, ERR_IO, "cannot create %s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", q->db, "main");
	if (b == NULL) {
		err = err_set(ei, ERR_IO, "backup failed: %s", sqlite3_errmsg(dst));
		goto out;
	}
	/* Copy in steps so writers are not starved on a large store. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(5);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		err = err_set(ei, ERR_IO, "backup failed: %s", sqlite3_errstr(rc));
out:
	sqlite3_close(dst);
	return err;
}

static int
sq_mig_cmp(const void *a, const void *b)
{
	const struct embedded *x = *(const struct embedded *const *)a;
	const struct embedded *y = *(const struct embedded *const *)b;

	return strcmp(x->path, y->path);
}

static err_t
sq_migrate(struct sq *q, struct errinfo *ei)
{
	const struct embedded *m[64];
	json_t *row;
	int64_t have;
	size_t n = 0, i;
	char *msg = NULL;
	err_t err = ERR_OK;

	for (i = 0; store_migrations[i].path != NULL && n < 64; i++)
		m[n++] = &store_migrations[i];
	qsort(m, n, sizeof(m[0]), sq_mig_cmp);
	if (sqlite3_exec(q->db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
	    NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	if (sq_begin(&q->base))
		return err_set(ei, ERR_STORE, "the database is locked");
	/* Every migration not yet recorded, in number order: one merged after a
	 * higher-numbered one still runs. */
	for (i = 0; i < n; i++) {
		long v = strtol(m[i]->path + 1, NULL, 10);

		row = sq_row(q, "SELECT version FROM schema_migrations WHERE version = ?", "i", (int64_t)v);
		have = row != NULL;
		json_decref(row);
		if (have)
			continue;
		if (sqlite3_exec(q->db, (const char *)m[i]->data, NULL, NULL, &msg) != SQLITE_OK) {
			sq_rollback(&q->base);
			goto fail;
		}
		sq_exec(q, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now')*1000)", "i", (int64_t)v);
		log_debug("applied migration %s", m[i]->path + 1);
	}
	return sq_commit(&q->base) ? err_set(ei, ERR_STORE, "migration commit failed") : ERR_OK;
fail:
	err = err_set(ei, ERR_STORE, "migration failed: %s", msg ? msg : "?");
	sqlite3_free(msg);
	return err;
}

/* ---- workspaces ---- */

static err_t
sq_workspace_create(struct store *s, json_t *w)
{
	return sq_insert((struct sq *)s, "workspaces", w, NULL);
}

static json_t *
sq_workspace_get(struct store *s, const char *id)
{
	return sq_row((struct sq *)s, "SELECT * FROM workspaces WHERE id = ?", "s", id);
}

static json_t *
sq_workspace_by_key(struct store *s, const char *key)
{
	return sq_row((struct sq *)s, "SELECT * FROM workspaces WHERE widget_key = ?", "s", key);
}

static json_t *
sq_workspace_list(struct store *s)
{
	return sq_rows((struct sq *)s, "SELECT * FROM workspaces ORDER BY created_at", "");
}

static err_t
sq_workspace_set_settings(struct store *s, const char *id, json_t *settings)
{
	return sq_exec((struct sq *)s, "UPDATE workspaces SET settings_json = ? WHERE id = ?", "js",
	    settings, id);
}

static int64_t
sq_workspace_next_number(struct store *s, const char *id)
{
	struct sq *q = (struct sq *)s;
	json_t *row = sq_row(q, "UPDATE workspaces SET next_number = next_number + 1 WHERE id = ? RETURNING next_number - 1 AS n", "s", id);
	int64_t n = row ? json_integer_value(json_object_get(row, "n")) : -1;

	json_decref(row);
	return n;
}

/* ---- members, invites, sessions, tokens ---- */

static err_t
sq_member_create(struct store *s, json_t *m)
{
	return sq_insert((struct sq *)s, "members", m, NULL);
}

static json_t *
sq_member_get(struct store *s, const char *ws, const char *id)
{
	return sq_row((struct sq *)s, "SELECT * FROM members WHERE id = ? AND workspace_id = ?", "ss", id, ws);
}

static json_t *
sq_member_by_email(struct store *s, const char *email)
{
	return sq_row((struct sq *)s, "SELECT * FROM members WHERE email = ?", "s", email);
}

static json_t *
sq_member_list(struct store *s, const char *ws)
{
	return sq_rows((struct sq *)s, "SELECT * FROM members WHERE workspace_id = ? ORDER BY created_at, id", "s", ws);
}

static err_t
sq_member_update(struct store *s, const char *ws, const char *id, json_t *fields)
{
	return sq_update((struct sq *)s, "members", id, 0, ws, fields);
}

static err_t
sq_member_delete(struct store *s, const char *ws, const char *id)
{
	struct sq *q = (struct sq *)s;
	return sq_changed(q, sq_exec(q, "DELETE FROM members WHERE id = ? AND workspace_id = ?", "ss", id, ws), ERR_NOT_FOUND);
}

static err_t
sq_invite_create(struct store *s, json_t *inv)
{
	return sq_insert((struct sq *)s, "invites", inv, NULL);
}

static json_t *
sq_invite_get(struct store *s, const char *token_hash)
{
	return sq_row((struct sq *)s, "SELECT * FROM invites WHERE token_hash = ?", "s", token_hash);
}

static err_t
sq_invite_use(struct store *s, const char *token_hash, int64_t now)
{
	struct sq *q = (struct sq *)s;
	return sq_changed(q, sq_exec(q, "UPDATE invites SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", "is", now, token_hash), ERR_CONFLICT);
}

static err_t
sq_session_create(struct store *s, json_t *sess)
{
	return sq_insert((struct sq *)s, "sessions", sess, NULL);
}

static json_t *
sq_session_get(struct store *s, const char *token_hash)
{
	return sq_row((struct sq *)s,
	    "SELECT m.*, s.csrf_token, s.expires_at FROM sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = ?",
	    "s", token_hash);
}

static err_t
sq_session_delete(struct store *s, const char *token_hash)
{
	return sq_exec((struct sq *)s, "DELETE FROM sessions WHERE token_hash = ?", "s", token_hash);
}

static err_t
sq_session_delete_member(struct store *s, const char *member_id)
{
	return sq_exec((struct sq *)s, "DELETE FROM sessions WHERE member_id = ?", "s", member_id);
}

static err_t
sq_token_create(struct store *s, json_t *t)
{
	return sq_insert((struct sq *)s, "api_tokens", t, NULL);
}

static json_t *
sq_token_by_hash(struct store *s, const char *token_hash)
{
	return sq_row((struct sq *)s, "SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", "s", token_hash);
}

static json_t *
sq_token_list(struct store *s, const char *ws)
{
	return sq_rows((struct sq *)s,
	    "SELECT id, workspace_id, name, role, prefix, created_by, created_at, last_used_at, revoked_at FROM api_tokens WHERE workspace_id = ? ORDER BY created_at",
	    "s", ws);
}

static err_t
sq_token_revoke(struct store *s, const char *ws, const char *id, int64_t now)
{
	struct sq *q = (struct sq *)s;
	return sq_changed(q, sq_exec(q, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL", "iss", now, id, ws), ERR_NOT_FOUND);
}

/* ---- contacts, conversations, messages ---- */

static err_t
sq_contact_create(struct store *s, json_t *c)
{
	return sq_insert((struct sq *)s, "contacts", c, NULL);
}

static json_t *
sq_contact_get(struct store *s, const char *ws, const char *id)
{
	return sq_row((struct sq *)s, "SELECT * FROM contacts WHERE id = ? AND workspace_id = ?", "ss", id, ws);
}

static err_t
sq_conv_create(struct store *s, json_t *c)
{
	return sq_insert((struct sq *)s, "conversations", c, NULL);
}

#define SQ_CONV_COLS \
	"c.id, c.workspace_id, c.number, c.status, c.mode, c.assignee_id, c.channel, c.site, c.protocol, " \
	"c.contact_id, c.subject, c.external_id, c.priority, c.handoff_reason, c.handoff_phrase, c.preview, " \
	"c.created_at, c.updated_at, c.handoff_at, c.first_human_reply_at, c.resolved_at, c.agent_reply_at, " \
	"ct.name AS contact_name, ct.email AS contact_email"

static json_t *
sq_conv_get(struct store *s, const char *ws, const char *id)
{
	if (ws == NULL)
		return sq_row((struct sq *)s, "SELECT " SQ_CONV_COLS ", c.visitor_token_hash FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?", "s", id);
	return sq_row((struct sq *)s, "SELECT " SQ_CONV_COLS ", c.visitor_token_hash FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ? AND c.workspace_id = ?", "ss", id, ws);
}

static json_t *
sq_conv_by_external(struct store *s, const char *ws, const char *ext)
{
	return sq_row((struct sq *)s, "SELECT " SQ_CONV_COLS " FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE c.workspace_id = ? AND c.external_id = ?", "ss", ws, ext);
}

static void
sq_where_s(struct sq_where *w, const char *cond, const char *v)
{
	buf_puts(&w->sql, cond);
	w->binds[w->nb++] = v;
	w->kinds[w->nk++] = 's';
}

static void
sq_where_i(struct sq_where *w, const char *cond, int64_t v)
{
	buf_puts(&w->sql, cond);
	w->ibinds[w->ni++] = v;
	w->kinds[w->nk++] = 'i';
}

/* all-of: the count of matching tags equals the list's length; any-of: one exists. */
static void
sq_where_tags(struct sq_where *w, json_t *ids, int all)
{
	size_t k, n = json_array_size(ids);

	if (n == 0)
		return;
	if (n > 8)
		n = 8;
	buf_puts(&w->sql, all ? " AND (SELECT count(*) FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id IN ("
	    : " AND EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id IN (");
	for (k = 0; k < n; k++) {
		buf_puts(&w->sql, k ? ",?" : "?");
		w->ibinds[w->ni++] = json_integer_value(json_array_get(ids, k));
		w->kinds[w->nk++] = 'i';
	}
	if (all)
		buf_printf(&w->sql, ")) = %zu", n);
	else
		buf_puts(&w->sql, "))");
}

void
sq_where_build(struct sq_where *w, const struct store_conv_filter *f)
{
	const char *tcol = f->sort_created ? "c.created_at" : "c.updated_at";
	int i;

	sq_where_s(w, " c.workspace_id = ?", f->workspace_id);
	if (f->n_status > 0) {
		buf_puts(&w->sql, " AND c.status IN (");
		for (i = 0; i < f->n_status && i < 4; i++) {
			buf_puts(&w->sql, i ? ",?" : "?");
			w->binds[w->nb++] = f->status[i];
			w->kinds[w->nk++] = 's';
		}
		buf_puts(&w->sql, ")");
	}
	if (f->mode != NULL)
		sq_where_s(w, " AND c.mode = ?", f->mode);
	if (f->assignee != NULL && strcmp(f->assignee, "none") == 0)
		buf_puts(&w->sql, " AND c.assignee_id IS NULL");
	else if (f->assignee != NULL)
		sq_where_s(w, " AND c.assignee_id = ?", f->assignee);
	if (f->channel != NULL)
		sq_where_s(w, " AND c.channel = ?", f->channel);
	if (f->site != NULL)
		sq_where_s(w, " AND c.site = ?", f->site);
	if (f->sites_allowed != NULL) {
		size_t k;

		buf_puts(&w->sql, " AND c.site IN (''");
		for (k = 0; k < json_array_size(f->sites_allowed) && w->nb < 30; k++) {
			buf_puts(&w->sql, ",?");
			w->binds[w->nb++] = json_string_value(json_array_get(f->sites_allowed, k));
			w->kinds[w->nk++] = 's';
		}
		buf_puts(&w->sql, ")");
	}
	sq_where_tags(w, f->tags_all, 1);
	sq_where_tags(w, f->tags_any, 0);
	if (f->created_from)
		sq_where_i(w, " AND c.created_at >= ?", f->created_from);
	if (f->created_to)
		sq_where_i(w, " AND c.created_at < ?", f->created_to);
	if (f->updated_from)
		sq_where_i(w, " AND c.updated_at >= ?", f->updated_from);
	if (f->updated_to)
		sq_where_i(w, " AND c.updated_at < ?", f->updated_to);
	if (f->cursor_id != NULL) {
		buf_printf(&w->sql, " AND (%s %s ? OR (%s = ? AND c.id %s ?))", tcol, f->asc ? ">" : "<",
		    tcol, f->asc ? ">" : "<");
		w->ibinds[w->ni++] = f->cursor_t;
		w->kinds[w->nk++] = 'i';
		w->ibinds[w->ni++] = f->cursor_t;
		w->kinds[w->nk++] = 'i';
		w->binds[w->nb++] = f->cursor_id;
		w->kinds[w->nk++] = 's';
	}
}

/* Bind the filter's values starting at parameter `first`. */
void
sq_where_bind(struct sq_where *w, sqlite3_stmt *st, int first)
{
	int i, bi = 0, ii = 0;

	for (i = 0; i < w->nk; i++) {
		if (w->kinds[i] == 's')
			sqlite3_bind_text(st, first + i, w->binds[bi++], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, first + i, w->ibinds[ii++]);
	}
}

static json_t *
sq_conv_list(struct store *s, const struct store_conv_filter *f, struct errinfo *ei)
{
	struct sq *q = (struct sq *)s;
	const char *tcol = f->sort_created ? "c.created_at" : "c.updated_at";
	struct sq_where w;
	sqlite3_stmt *st;
	json_t *arr = NULL;
	int rc;

	memset(&w, 0, sizeof(w));
	buf_init(&w.sql, 8192);
	buf_puts(&w.sql, "SELECT " SQ_CONV_COLS " FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE");
	sq_where_build(&w, f);
	buf_printf(&w.sql, " ORDER BY %s %s, c.id %s LIMIT %d", tcol, f->asc ? "ASC" : "DESC",
	    f->asc ? "ASC" : "DESC", f->limit > 0 ? f->limit : 50);
	st = sq_prep(q, w.sql.p);
	if (st == NULL) {
		err_set(ei, ERR_STORE, "query failed");
		goto out;
	}
	sq_where_bind(&w, st, 1);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, sq_rowobj(st));
	sqlite3_reset(st);
out:
	buf_free(&w.sql);
	return arr;
}

/* Each word becomes a quoted FTS5 term (so AND, OR, NEAR and punctuation are
 * just text); the last word also matches as a prefix, for search-as-you-type. */
static int
sq_fts_query(const char *terms, struct buf *out)
{
	const char *p = terms;
	int n = 0;

	while (*p) {
		size_t k;

		while (*p && !((unsigned char)*p >= 0x80 || (*p >= '0' && *p <= '9') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			p++;
		k = 0;
		while (p[k] && ((unsigned char)p[k] >= 0x80 || (p[k] >= '0' && p[k] <= '9') ||
		    (p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z')))
			k++;
		if (k == 0)
			break;
		if (n < 16 && buf_printf(out, "%s\"%.*s\"%s", n ? " " : "", (int)k, p,
		    p[k] == '\0' ? "*" : ""))
			return -1;
		n++;
		p += k;
	}
	return n;
}

static json_t *
sq_msg_search(struct store *s, const struct store_conv_filter *f, const char *terms,
    int include_internal, struct errinfo *ei)
{
	struct sq *q = (struct sq *)s;
	struct sq_where w;
	struct buf fq;
	sqlite3_stmt *st;
	json_t *arr = NULL;
	int rc;

	buf_init(&fq, 4096);
	if (sq_fts_query(terms, &fq) <= 0) {
		err_set(ei, ERR_INVALID, "search needs at least one word");
		buf_free(&fq);
		return NULL;
	}
	memset(&w, 0, sizeof(w));
	buf_init(&w.sql, 8192);
	buf_puts(&w.sql, "SELECT " SQ_CONV_COLS ", m.id AS message_id, m.author_kind, m.internal, m.created_at AS message_created_at, "
	    "snippet(messages_fts, 0, char(2), char(3), '…', 16) AS snippet "
	    "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
	    "JOIN conversations c ON c.id = m.conversation_id LEFT JOIN contacts ct ON ct.id = c.contact_id "
	    "WHERE messages_fts MATCH ? AND");
	sq_where_build(&w, f);
	if (!include_internal)
		buf_puts(&w.sql, " AND m.internal = 0");
	buf_printf(&w.sql, " ORDER BY m.id DESC LIMIT %d", f->limit > 0 ? f->limit : 50);
	st = sq_prep(q, w.sql.p);
	if (st == NULL) {
		err_set(ei, ERR_STORE, "search failed");
		goto out;
	}
	sqlite3_bind_text(st, 1, fq.p, -1, SQLITE_TRANSIENT);
	sq_where_bind(&w, st, 2);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, sq_rowobj(st));
	sqlite3_reset(st);
out:
	buf_free(&w.sql);
	buf_free(&fq);
	return arr;
}

static err_t
sq_conv_update(struct store *s, const char *ws, const char *id, json_t *fields)
{
	return sq_update((struct sq *)s, "conversations", id, 0, ws, fields);
}

static int64_t
sq_msg_add(struct store *s, json_t *m)
{
	int64_t id = -1;

	if (sq_insert((struct sq *)s, "messages", m, &id))
		return -1;
	return id;
}

static json_t *
sq_msg_list(struct store *s, const char *conv_id, int include_internal, int64_t after_id, int limit)
{
	if (include_internal)
		return sq_rows((struct sq *)s, "SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?", "sii", conv_id, after_id, (int64_t)limit);
	return sq_rows((struct sq *)s, "SELECT * FROM messages WHERE conversation_id = ? AND id > ? AND internal = 0 ORDER BY id LIMIT ?", "sii", conv_id, after_id, (int64_t)limit);
}

static json_t *
sq_msg_last(struct store *s, const char *conv_id, const char *author_kind)
{
	if (author_kind == NULL)
		return sq_row((struct sq *)s, "SELECT * FROM messages WHERE conversation_id = ? AND internal = 0 ORDER BY id DESC LIMIT 1", "s", conv_id);
	return sq_row((struct sq *)s, "SELECT * FROM messages WHERE conversation_id = ? AND internal = 0 AND author_kind = ? ORDER BY id DESC LIMIT 1", "ss", conv_id, author_kind);
}

static err_t
sq_timeline_add(struct store *s, json_t *t)
{
	return sq_insert((struct sq *)s, "timeline", t, NULL);
}

static json_t *
sq_timeline_list(struct store *s, const char *conv_id)
{
	return sq_rows((struct sq *)s, "SELECT * FROM timeline WHERE conversation_id = ? ORDER BY id", "s", conv_id);
}

static int64_t
sq_event_add(struct store *s, json_t *e)
{
	int64_t id = -1;

	if (sq_insert((struct sq *)s, "events", e, &id))
		return -1;
	return id;
}

static json_t *
sq_event_since(struct store *s, const char *ws, const char *conv_id, int64_t after_id, int limit)
{
	if (conv_id != NULL)
		return sq_rows((struct sq *)s, "SELECT * FROM events WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?", "sii", conv_id, after_id, (int64_t)limit);
	return sq_rows((struct sq *)s, "SELECT * FROM events WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?", "sii", ws, after_id, (int64_t)limit);
}

/* ---- audit ---- */

static json_t *
sq_audit_last(struct store *s)
{
	return sq_row((struct sq *)s, "SELECT * FROM audit ORDER BY id DESC LIMIT 1", "");
}

static err_t
sq_audit_insert(struct store *s, json_t *row)
{
	return sq_insert((struct sq *)s, "audit", row, NULL);
}

static json_t *
sq_audit_page(struct store *s, int64_t after_id, int limit)
{
	return sq_rows((struct sq *)s, "SELECT id, workspace_id, at, actor, action, object, before_json AS before_text, after_json AS after_text, prev_hash, hash FROM audit WHERE id > ? ORDER BY id LIMIT ?", "ii", after_id, (int64_t)limit);
}

/* ---- knowledge base ---- */

static int64_t
sq_kb_doc_create(struct store *s, json_t *d)
{
	int64_t id = -1;

	if (sq_insert((struct sq *)s, "kb_documents", d, &id))
		return -1;
	return id;
}

static err_t
sq_kb_doc_update(struct store *s, int64_t id, json_t *fields)
{
	return sq_update((struct sq *)s, "kb_documents", NULL, id, NULL, fields);
}

static json_t *
sq_kb_doc_get(struct store *s, const char *ws, int64_t id)
{
	return sq_row((struct sq *)s, "SELECT * FROM kb_documents WHERE id = ? AND workspace_id = ?", "is", id, ws);
}

static json_t *
sq_kb_doc_list(struct store *s, const char *ws, int include_old)
{
	if (include_old)
		return sq_rows((struct sq *)s, "SELECT * FROM kb_documents WHERE workspace_id = ? ORDER BY name, version", "s", ws);
	return sq_rows((struct sq *)s, "SELECT * FROM kb_documents WHERE workspace_id = ? AND state IN ('indexed','extracting','failed') ORDER BY name, version", "s", ws);
}

static json_t *
sq_kb_doc_current(struct store *s, const char *ws, const char *name)
{
	return sq_row((struct sq *)s, "SELECT * FROM kb_documents WHERE workspace_id = ? AND name = ? AND state = 'indexed' ORDER BY version DESC LIMIT 1", "ss", ws, name);
}

static err_t
sq_kb_passage_add(struct store *s, int64_t doc_id, int seq, const char *section, int page,
    int kind, const char *text, int64_t *id)
{
	struct sq *q = (struct sq *)s;
	err_t err = sq_exec(q, "INSERT INTO kb_passages (document_id, seq, section, page, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
	    "iisiis", doc_id, (int64_t)seq, section ? section : "", (int64_t)page, (int64_t)kind, text);

	if (!err && id != NULL)
		*id = sqlite3_last_insert_rowid(q->db);
	return err;
}

static json_t *
sq_kb_passages(struct store *s, int64_t doc_id)
{
	return sq_rows((struct sq *)s, "SELECT id, seq, section, page, kind, text FROM kb_passages WHERE document_id = ? ORDER BY seq", "i", doc_id);
}

static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.backup = sq_backup,
	.workspace_create = sq_workspace_create,
	.workspace_get = sq_workspace_get,
	.workspace_by_key = sq_workspace_by_key,
	.workspace_list = sq_workspace_list,
	.workspace_set_settings = sq_workspace_set_settings,
	.workspace_next_number = sq_workspace_next_number,
	.member_create = sq_member_create,
	.member_get = sq_member_get,
	.member_by_email = sq_member_by_email,
	.member_list = sq_member_list,
	.member_update = sq_member_update,
	.member_delete = sq_member_delete,
	.invite_create = sq_invite_create,
	.invite_get = sq_invite_get,
	.invite_use = sq_invite_use,
	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_delete = sq_session_delete,
	.session_delete_member = sq_session_delete_member,
	.token_create = sq_token_create,
	.token_by_hash = sq_token_by_hash,
	.token_list = sq_token_list,
	.token_revoke = sq_token_revoke,
	.contact_create = sq_contact_create,
	.contact_get = sq_contact_get,
	.conv_create = sq_conv_create,
	.conv_get = sq_conv_get,
	.conv_by_external = sq_conv_by_external,
	.conv_list = sq_conv_list,
	.conv_update = sq_conv_update,
	.msg_add = sq_msg_add,
	.msg_list = sq_msg_list,
	.msg_last = sq_msg_last,
	.msg_search = sq_msg_search,
	.timeline_add = sq_timeline_add,
	.timeline_list = sq_timeline_list,
	.event_add = sq_event_add,
	.event_since = sq_event_since,
	.audit_last = sq_audit_last,
	.audit_insert = sq_audit_insert,
	.audit_page = sq_audit_page,
	.tag_group_create = sq_tag_group_create,
	.tag_group_list = sq_tag_group_list,
	.tag_group_delete = sq_tag_group_delete,
	.tag_create = sq_tag_create,
	.tag_get = sq_tag_get,
	.tag_list = sq_tag_list,
	.tag_update = sq_tag_update,
	.tag_delete = sq_tag_delete,
	.conv_tag_add = sq_conv_tag_add,
	.conv_tag_remove = sq_conv_tag_remove,
	.conv_tags = sq_conv_tags,
	.rule_create = sq_rule_create,
	.rule_list = sq_rule_list,
	.rule_update = sq_rule_update,
	.rule_delete = sq_rule_delete,
	.dashboard = sq_dashboard,
	.export_conversations = sq_export_conversations,
	.export_messages = sq_export_messages,
	.usage = sq_usage,
	.kb_doc_create = sq_kb_doc_create,
	.kb_doc_update = sq_kb_doc_update,
	.kb_doc_get = sq_kb_doc_get,
	.kb_doc_list = sq_kb_doc_list,
	.kb_doc_current = sq_kb_doc_current,
	.kb_passage_add = sq_kb_passage_add,
	.kb_passages = sq_kb_passages,
	/* ---- channels (email, webhooks, on-call) ---- */
	.mailbox_get = sq_mailbox_get,
	.mailbox_put = sq_mailbox_put,
	.mailbox_update = sq_mailbox_update,
	.mailbox_list = sq_mailbox_list,
	.email_add = sq_email_add,
	.email_update = sq_email_update,
	.email_by_mid = sq_email_by_mid,
	.email_thread = sq_email_thread,
	.email_list = sq_email_list,
	.email_due = sq_email_due,
	.conv_by_number = sq_conv_by_number,
	.conv_open_by_email = sq_conv_open_by_email,
	.attachment_add = sq_attachment_add,
	.attachment_get = sq_attachment_get,
	.attachment_list = sq_attachment_list,
	.webhook_create = sq_webhook_create,
	.webhook_get = sq_webhook_get,
	.webhook_list = sq_webhook_list,
	.webhook_update = sq_webhook_update,
	.webhook_delete = sq_webhook_delete,
	.delivery_add = sq_delivery_add,
	.delivery_update = sq_delivery_update,
	.delivery_get = sq_delivery_get,
	.delivery_list = sq_delivery_list,
	.delivery_due = sq_delivery_due,
	.rota_set = sq_rota_set,
	.rota_list = sq_rota_list,
	.escalation_put = sq_escalation_put,
	.escalation_get = sq_escalation_get,
	.escalation_update = sq_escalation_update,
	.escalation_due = sq_escalation_due,
	.notification_add = sq_notification_add,
	.notification_list = sq_notification_list,
	.notification_read = sq_notification_read,
	.member_prefs_get = sq_member_prefs_get,
	.member_prefs_put = sq_member_prefs_put,
	/* ---- review (monthly review, review entries) ---- */
	.review_handoffs = sq_review_handoffs,
	.review_messages = sq_review_messages,
	.review_entry_create = sq_review_entry_create,
	.review_entry_get = sq_review_entry_get,
	.review_entry_list = sq_review_entry_list,
	.review_entry_decide = sq_review_entry_decide,
	/* ---- suggest ---- */
	.suggest_training = sq_suggest_training,
	.suggest_signature = sq_suggest_signature,
	.suggest_conv_text = sq_suggest_conv_text,
	.suggest_list = sq_suggest_list,
	.suggest_put = sq_suggest_put,
	.suggest_prune = sq_suggest_prune,
	.suggest_decide = sq_suggest_decide,
	.dup_answered = sq_dup_answered,
	.dup_background = sq_dup_background,
	.stale_due = sq_stale_due,
	.stale_put = sq_stale_put,
	/* ---- collab (issue 4): store_sqlite_collab.c ---- */
	.read_mark = sq_read_mark,
	.unread_counts = sq_unread_counts,
	.msg_last_id = sq_msg_last_id,
	.view_create = sq_view_create,
	.view_list = sq_view_list,
	.view_get = sq_view_get,
	.view_update = sq_view_update,
	.view_delete = sq_view_delete,
	.reply_create = sq_reply_create,
	.reply_list = sq_reply_list,
	.reply_get = sq_reply_get,
	.reply_update = sq_reply_update,
	.reply_delete = sq_reply_delete,
	.notification_read_all = sq_notification_read_all,
};

struct store *
store_sqlite_open(const char *dir, struct errinfo *ei)
{
	struct sq *q = xcalloc(1, sizeof(*q));
	char path[4096];

	q->base.ops = &sq_ops;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err_set(ei, ERR_IO, "cannot create the data directory %s", dir);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/baton.db", dir);
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(ei, ERR_IO, "cannot open %s: %s", path, q->db ? sqlite3_errmsg(q->db) : "?");
		goto fail;
	}
	sqlite3_busy_timeout(q->db, 10000);
	/* synchronous=FULL: a commit is on disk before the client hears 201, even
	 * across a power cut; WAL keeps that to one fsync per transaction. */
	/* mmap_size: reads come straight from the page cache instead of a read()
	 * per page; a year of dashboard over 1M conversations scans twice as fast. */
	if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
	    "PRAGMA cache_size=-32000; PRAGMA mmap_size=2147483648;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		err_set(ei, ERR_STORE, "cannot configure %s: %s", path, sqlite3_errmsg(q->db));
		goto fail;
	}
	if (sq_migrate(q, ei))
		goto fail;
	/* Keep the planner's statistics fresh (cheap when nothing changed). */
	sqlite3_exec(q->db, "PRAGMA optimize", NULL, NULL, NULL);
	return &q->base;
fail:
	sq_close(&q->base);
	return NULL;
}
