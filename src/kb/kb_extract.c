/* kb_extract.c: choose the format, and run the extractor in a child process
 * with CPU, memory, file-size and wall-clock limits (S5): an untrusted file
 * that crashes a parser, loops or balloons kills only the child. The child
 * sends the document back as length-prefixed records, which the parent reads
 * defensively (every length capped). Nothing is half-indexed: on any failure
 * the caller gets an empty document and a clear error. A kb_extractor keeps
 * one child for many files (a bulk `kb add`), so a file costs a round trip
 * over a socket, not a fork. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "kb_int.h"

#define REC_MAX (8 * 1024 * 1024)
#define OUT_MAX ((size_t)512 * 1024 * 1024)

static int
ext_has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && strcasecmp(name + n - e, ext) == 0;
}

const char *
kb_extract_format(const char *data, size_t n, const char *name)
{
	if (n >= 5 && memcmp(data, "%PDF-", 5) == 0)
		return "pdf";
	if (n >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
		return ext_has_ext(name, ".docx") || ext_has_ext(name, ".docm") ? "docx" : NULL;
	if (n >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
		return ext_has_ext(name, ".docx") || ext_has_ext(name, ".doc") ? "docx" : NULL;
	if (ext_has_ext(name, ".pdf") || ext_has_ext(name, ".docx"))
		return ext_has_ext(name, ".pdf") ? "pdf" : "docx"; /* the parser reports the damage */
	if (ext_has_ext(name, ".html") || ext_has_ext(name, ".htm") || ext_has_ext(name, ".xhtml"))
		return "html";
	if (ext_has_ext(name, ".md") || ext_has_ext(name, ".markdown"))
		return "md";
	if (ext_has_ext(name, ".txt") || ext_has_ext(name, ".text") || strchr(name, '.') == NULL) {
		/* Text must not be binary: few NULs or control bytes in the first 4 KB. */
		size_t i, bad = 0, look = n < 4096 ? n : 4096;

		for (i = 0; i < look; i++)
			bad += data[i] == '\0' || ((unsigned char)data[i] < 0x09);
		return bad * 50 > look ? NULL : "txt";
	}
	return NULL;
}

err_t
kb_extract_inproc(const char *data, size_t n, const char *name, size_t max_passages,
    struct kb_doc *out, struct errinfo *ei)
{
	const char *fmt = kb_extract_format(data, n, name);
	struct kb_builder b;
	err_t err;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return err_set(ei, ERR_INVALID, "the file is empty");
	if (fmt == NULL)
		return err_set(ei, ERR_UNSUPPORTED, "unsupported file type: upload PDF, DOCX, HTML, Markdown or plain text");
	kb_builder_init(&b, out, max_passages);
	if (strcmp(fmt, "pdf") == 0)
		err = kb_pdf_parse(data, n, &b, ei);
	else if (strcmp(fmt, "docx") == 0)
		err = kb_docx_parse(data, n, &b, ei);
	else if (strcmp(fmt, "html") == 0)
		err = kb_html_parse(data, n, &b, ei);
	else if (strcmp(fmt, "md") == 0)
		err = kb_md_parse(data, n, &b, ei);
	else
		err = kb_txt_parse(data, n, &b, ei);
	kb_builder_done(&b);
	if (!err && b.overflow)
		err = err_set(ei, ERR_TOO_LARGE, "the document has more than %zu passages", b.max_passages);
	if (!err && out->n == 0)
		err = err_set(ei, ERR_INVALID, "no text could be found in the document%s",
		    strcmp(fmt, "pdf") == 0 ? " (a scanned PDF needs OCR first)" : "");
	if (err) {
		kb_doc_free(out);
		return err;
	}
	out->format = xstrdup(fmt);
	out->name = xstrdup(name);
	if (out->title == NULL)
		out->title = xstrdup(name);
	return ERR_OK;
}

/* ---- the extractor child and its protocol ----
 *
 * One child serves many files, one at a time, over a socket pair:
 *   request:  [name length:4 LE][data length:4 LE][name][data]
 *   response: records [type:1][length:4 LE][bytes], ending with 'Z' (the
 *             document), 'E' (the parser's error) or 'R' (the child retires
 *             before starting the file: its CPU budget is spent).
 * Limits (S5): the address space, file size and core limits hold for the
 * child's whole life; the CPU soft limit is moved to "used + cpu_seconds" at
 * the start of every file, under a hard limit of EXT_CPU_LIFE files' worth,
 * and the parent kills the child when one file passes the wall clock. A child
 * that crashes, hits a limit or times out is replaced for the next file. */

#define EXT_CPU_LIFE 4    /* the hard CPU limit, in per-file budgets */
#define EXT_NAME_MAX 4096

struct kb_extractor {
	struct kb_limits lim;
	pid_t pid;  /* -1: no child yet (started on the first file) */
	int fd;     /* the parent's end of the socket pair */
	int served; /* files this child has answered */
};

static uint32_t
ext_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
ext_put32(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)((v >> 24) & 0xff);
}

/* The child's output, written in 64 KB blocks rather than a write per record. */
static struct {
	int fd;
	size_t len;
	char b[65536];
} ext_out;

static int
ext_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
ext_flush(void)
{
	int rc = ext_write_all(ext_out.fd, ext_out.b, ext_out.len);

	ext_out.len = 0;
	return rc;
}

static int
ext_put(const void *p, size_t n)
{
	if (ext_out.len + n > sizeof(ext_out.b)) {
		if (ext_flush())
			return -1;
		if (n > sizeof(ext_out.b))
			return ext_write_all(ext_out.fd, p, n);
	}
	memcpy(ext_out.b + ext_out.len, p, n);
	ext_out.len += n;
	return 0;
}

static int
ext_rec(char type, const char *s, size_t n)
{
	unsigned char h[5];

	h[0] = (unsigned char)type;
	ext_put32(h + 1, n);
	return ext_put(h, 5) || ext_put(s, n);
}

static int
ext_read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Extract one file and send the response. */
static void
ext_child_one(const char *data, size_t n, const char *name, const struct kb_limits *lim)
{
	struct errinfo ei = {0};
	struct kb_doc d;
	size_t i;
	char num[32];

	if (kb_extract_inproc(data, n, name, lim->max_passages, &d, &ei)) {
		snprintf(num, sizeof(num), "%d", (int)ei.code);
		if (ext_rec('C', num, strlen(num)) || ext_rec('E', ei.msg, strlen(ei.msg)) || ext_flush())
			_exit(3);
		return;
	}
	if (ext_rec('T', d.title, strlen(d.title)) || ext_rec('F', d.format, strlen(d.format)))
		_exit(3);
	for (i = 0; i < d.n; i++) {
		snprintf(num, sizeof(num), "%d %d", d.passages[i].page, d.passages[i].kind);
		if (ext_rec('P', num, strlen(num)) ||
		    ext_rec('S', d.passages[i].section, strlen(d.passages[i].section)) ||
		    ext_rec('X', d.passages[i].text, strlen(d.passages[i].text)))
			_exit(3);
	}
	if (ext_rec('Z', "", 0) || ext_flush())
		_exit(3);
	kb_doc_free(&d);
}

static void __attribute__((noreturn))
ext_child(int fd, const struct kb_limits *lim)
{
	struct rlimit rl;
	rlim_t hard = (rlim_t)lim->cpu_seconds * EXT_CPU_LIFE;

	/* Die with the parent, and hold none of its sockets or other pipes. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	rl.rlim_cur = (rlim_t)lim->cpu_seconds;
	rl.rlim_max = hard;
	setrlimit(RLIMIT_CPU, &rl);
#ifndef __SANITIZE_ADDRESS__
	/* (AddressSanitizer reserves terabytes of address space; under it the
	 * CPU and wall limits still hold.) */
	rl.rlim_cur = rl.rlim_max = (rlim_t)lim->mem_bytes;
	setrlimit(RLIMIT_AS, &rl);
#endif
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_FSIZE, &rl);
	setrlimit(RLIMIT_CORE, &rl);
	ext_out.fd = fd;
	for (;;) {
		unsigned char h[8];
		struct rusage ru;
		size_t nlen, dlen;
		char *name, *data;
		rlim_t used;

		if (ext_read_all(fd, h, sizeof(h)))
			_exit(0); /* the parent is done */
		nlen = ext_le32(h);
		dlen = ext_le32(h + 4);
		if (nlen == 0 || nlen > EXT_NAME_MAX || dlen == 0 || dlen > lim->max_bytes)
			_exit(4);
		name = xmalloc(nlen + 1);
		data = xmalloc(dlen);
		if (ext_read_all(fd, name, nlen) || ext_read_all(fd, data, dlen))
			_exit(0);
		name[nlen] = '\0';
		/* This file's CPU budget: what is used so far, rounded up, plus cpu_seconds. */
		getrusage(RUSAGE_SELF, &ru);
		used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1;
		if (used + (rlim_t)lim->cpu_seconds > hard) {
			ext_rec('R', "", 0);
			ext_flush();
			_exit(0);
		}
		rl.rlim_cur = used + (rlim_t)lim->cpu_seconds;
		rl.rlim_max = hard;
		setrlimit(RLIMIT_CPU, &rl);
		ext_child_one(data, dlen, name, lim);
		free(name);
		free(data);
	}
}

/* Parse the child's records into out. */
static err_t
ext_parse(const char *b, size_t n, const char *name, struct kb_doc *out, struct errinfo *ei)
{
	size_t i = 0, cap = 0;
	int done = 0, code = ERR_INVALID, page = 0, kind = 0;
	char *section = NULL;

	memset(out, 0, sizeof(*out));
	while (i + 5 <= n && !done) {
		char t = b[i];
		size_t len = ext_le32((const unsigned char *)b + i + 1);
		const char *v = b + i + 5;

		if (len > REC_MAX || i + 5 + len > n)
			break;
		switch (t) {
		case 'C': {
			char tmp[32];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)(len < 31 ? len : 31), v);
			code = (int)strtol(tmp, NULL, 10);
			if (code <= ERR_OK || code >= ERR__COUNT)
				code = ERR_INVALID;
			break;
		}
		case 'E':
			err_set(ei, (err_t)code, "%.*s", (int)len, v);
			free(section);
			kb_doc_free(out);
			return ei->code ? ei->code : ERR_INVALID;
		case 'T':
			free(out->title);
			out->title = xstrndup(v, len);
			break;
		case 'F':
			free(out->format);
			out->format = xstrndup(v, len);
			break;
		case 'P': {
			char tmp[32];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)(len < 31 ? len : 31), v);
			if (sscanf(tmp, "%d %d", &page, &kind) != 2)
				page = kind = 0;
			break;
		}
		case 'S':
			free(section);
			section = xstrndup(v, len);
			break;
		case 'X':
			if (out->n == cap) {
				cap = cap ? cap * 2 : 64;
				out->passages = xrealloc(out->passages, cap * sizeof(*out->passages));
			}
			out->passages[out->n].page = page;
			out->passages[out->n].kind = kind;
			out->passages[out->n].section = section ? section : xstrdup("");
			section = NULL;
			out->passages[out->n].text = xstrndup(v, len);
			out->n++;
			break;
		case 'Z':
			done = 1;
			break;
		default:
			break;
		}
		i += 5 + len;
	}
	free(section);
	if (!done) {
		kb_doc_free(out);
		return err_set(ei, ERR_INVALID, "the extractor stopped early; the file may be corrupt");
	}
	out->name = xstrdup(name);
	if (out->title == NULL)
		out->title = xstrdup(name);
	if (out->format == NULL)
		out->format = xstrdup("txt");
	return ERR_OK;
}

static int64_t
ext_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stop the child (if any) and collect its exit status. */
static int
ext_stop(struct kb_extractor *x, int kill_it)
{
	int status = 0;

	if (x->fd >= 0)
		close(x->fd);
	if (x->pid > 0) {
		if (kill_it)
			kill(x->pid, SIGKILL);
		while (waitpid(x->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	x->fd = -1;
	x->pid = -1;
	x->served = 0;
	return status;
}

static err_t
ext_start(struct kb_extractor *x, struct errinfo *ei)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return err_set(ei, ERR_IO, "cannot start the extractor (socketpair)");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return err_set(ei, ERR_IO, "cannot start the extractor (fork)");
	}
	if (pid == 0) {
		close(sv[0]);
		ext_child(sv[1], &x->lim);
	}
	close(sv[1]);
	x->pid = pid;
	x->fd = sv[0];
	x->served = 0;
	return ERR_OK;
}

/* Send bytes before the deadline. -1: the child is gone; -2: timed out. */
static int
ext_send(int fd, const void *p, size_t n, int64_t deadline)
{
	const char *c = p;

	while (n > 0) {
		struct pollfd pf = {fd, POLLOUT, 0};
		int64_t left = deadline - ext_now_ms();
		ssize_t w;

		if (left <= 0)
			return -2;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		w = send(fd, c, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

enum ext_outcome { EXT_DONE, EXT_RETIRED, EXT_DIED, EXT_TIMEOUT, EXT_HUGE };

/* One request and its whole response into got. */
static enum ext_outcome
ext_roundtrip(struct kb_extractor *x, const void *data, size_t n, const char *name, struct buf *got)
{
	unsigned char h[8];
	size_t nlen = strlen(name), scan = 0;
	int64_t deadline = ext_now_ms() + (int64_t)x->lim.wall_seconds * 1000;
	int rc;

	ext_put32(h, nlen);
	ext_put32(h + 4, n);
	rc = ext_send(x->fd, h, sizeof(h), deadline);
	if (rc == 0)
		rc = ext_send(x->fd, name, nlen, deadline);
	if (rc == 0)
		rc = ext_send(x->fd, data, n, deadline);
	if (rc == -2)
		return EXT_TIMEOUT;
	/* On -1 the child is gone; read what it said before it went. */
	for (;;) {
		struct pollfd pf = {x->fd, POLLIN, 0};
		int64_t left = deadline - ext_now_ms();
		char chunk[65536];
		ssize_t r;

		/* Is the response complete? Scan the whole records received so far. */
		while (scan + 5 <= got->len) {
			size_t len = ext_le32((const unsigned char *)got->p + scan + 1);
			char t = got->p[scan];

			if (len > REC_MAX)
				return EXT_DIED; /* not our child's protocol */
			if (scan + 5 + len > got->len)
				break;
			if (t == 'Z' || t == 'E')
				return EXT_DONE;
			if (t == 'R')
				return EXT_RETIRED;
			scan += 5 + len;
		}
		if (left <= 0)
			return EXT_TIMEOUT;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		r = read(x->fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return EXT_DIED;
		if (buf_append(got, chunk, (size_t)r))
			return EXT_HUGE;
	}
}

struct kb_extractor *
kb_extractor_new(const struct kb_limits *lim)
{
	struct kb_extractor *x = xcalloc(1, sizeof(*x));

	if (lim != NULL)
		x->lim = *lim;
	else
		kb_limits_default(&x->lim);
	x->pid = -1;
	x->fd = -1;
	return x;
}

void
kb_extractor_free(struct kb_extractor *x)
{
	if (x == NULL)
		return;
	ext_stop(x, 1);
	free(x);
}

err_t
kb_extractor_mem(struct kb_extractor *x, const void *data, size_t n, const char *name,
    struct kb_doc *out, struct errinfo *ei)
{
	struct buf got;
	int attempt, status, fresh;
	enum ext_outcome oc = EXT_DIED;
	err_t err = ERR_OK;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return err_set(ei, ERR_INVALID, "the file is empty");
	if (n > x->lim.max_bytes)
		return err_set(ei, ERR_TOO_LARGE, "the file is %zu bytes; the limit is %zu", n, x->lim.max_bytes);
	if (kb_extract_format(data, n, name) == NULL)
		return err_set(ei, ERR_UNSUPPORTED, "unsupported file type: upload PDF, DOCX, HTML, Markdown or plain text");
	if (strlen(name) == 0 || strlen(name) > EXT_NAME_MAX)
		return err_set(ei, ERR_INVALID, "the document needs a name of 1 to %d bytes", EXT_NAME_MAX);
	buf_init(&got, OUT_MAX);
	/* A child that retires is replaced at once. A child that dies on a file
	 * after serving others gets the file again in a fresh child, so what
	 * earlier files left behind (a fragmented heap near the memory limit)
	 * never fails a later one. */
	for (attempt = 0; attempt < 3; attempt++) {
		if (x->pid < 0)
			err = ext_start(x, ei);
		if (err)
			break;
		fresh = x->served == 0;
		buf_reset(&got);
		oc = ext_roundtrip(x, data, n, name, &got);
		if (oc == EXT_DONE) {
			x->served++;
			err = ext_parse(got.p ? got.p : "", got.len, name, out, ei);
			break;
		}
		status = ext_stop(x, 1);
		if (oc == EXT_RETIRED)
			continue;
		if (oc == EXT_TIMEOUT) {
			err = err_set(ei, ERR_TIMEOUT, "extraction took longer than %d seconds and was stopped", x->lim.wall_seconds);
			break;
		}
		if (oc == EXT_HUGE) {
			err = err_set(ei, ERR_TOO_LARGE, "the document's text is too large");
			break;
		}
		if (!fresh)
			continue;
		if (WIFSIGNALED(status))
			err = err_set(ei, ERR_INVALID, "the extractor %s on this file (it may be corrupt or too complex)",
			    WTERMSIG(status) == SIGXCPU ? "ran out of CPU time" : WTERMSIG(status) == SIGKILL ? "was stopped" : "crashed");
		else
			err = err_set(ei, ERR_INVALID, "the extractor stopped early; the file may be corrupt");
		break;
	}
	if (attempt == 3)
		err = err_set(ei, ERR_INVALID, "the extractor stopped early; the file may be corrupt");
	buf_free(&got);
	return err;
}

err_t
kb_extractor_file(struct kb_extractor *x, const char *path, const char *name, struct kb_doc *out,
    struct errinfo *ei)
{
	struct stat st;
	FILE *f;
	char *data;
	err_t err;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return err_set(ei, ERR_NOT_FOUND, "cannot read %s", path);
	if ((size_t)st.st_size > x->lim.max_bytes)
		return err_set(ei, ERR_TOO_LARGE, "the file is %lld bytes; the limit is %zu", (long long)st.st_size, x->lim.max_bytes);
	if (st.st_size == 0)
		return err_set(ei, ERR_INVALID, "the file is empty");
	f = fopen(path, "rb");
	if (f == NULL)
		return err_set(ei, ERR_IO, "cannot open %s", path);
	data = xmalloc((size_t)st.st_size);
	if (fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		free(data);
		return err_set(ei, ERR_IO, "cannot read %s", path);
	}
	fclose(f);
	err = kb_extractor_mem(x, data, (size_t)st.st_size, name ? name : path, out, ei);
	free(data);
	return err;
}

/* One file, one child: the extractor's life is this call. */
err_t
kb_extract_mem(const void *data, size_t n, const char *name, const struct kb_limits *lim,
    struct kb_doc *out, struct errinfo *ei)
{
	struct kb_extractor *x = kb_extractor_new(lim);
	err_t err = kb_extractor_mem(x, data, n, name, out, ei);

	kb_extractor_free(x);
	return err;
}

err_t
kb_extract_file(const char *path, const char *name, const struct kb_limits *lim,
    struct kb_doc *out, struct errinfo *ei)
{
	struct kb_extractor *x = kb_extractor_new(lim);
	err_t err = kb_extractor_file(x, path, name, out, ei);

	kb_extractor_free(x);
	return err;
}
