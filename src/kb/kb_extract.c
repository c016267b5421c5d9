/* kb_extract.c: choose the format, and run the extractor in a child process
 * with CPU, memory, file-size and wall-clock limits (S5): an untrusted file
 * that crashes a parser, loops or balloons kills only the child. The child
 * sends the document back over a pipe as length-prefixed records, which the
 * parent reads defensively (every length capped). Nothing is half-indexed:
 * on any failure the caller gets an empty document and a clear error. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* ---- the child and its pipe protocol: [type:1][len:4 LE][bytes] ---- */

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
ext_rec(int fd, char type, const char *s, size_t n)
{
	unsigned char h[5] = {(unsigned char)type, (unsigned char)(n & 0xff), (unsigned char)((n >> 8) & 0xff),
		(unsigned char)((n >> 16) & 0xff), (unsigned char)((n >> 24) & 0xff)};

	return ext_write_all(fd, h, 5) || ext_write_all(fd, s, n);
}

static void __attribute__((noreturn))
ext_child(int fd, const char *data, size_t n, const char *name, const struct kb_limits *lim)
{
	struct rlimit rl;
	struct errinfo ei = {0};
	struct kb_doc d;
	size_t i;
	char num[32];

	/* Die with the parent, and hold none of its sockets or other pipes. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	rl.rlim_cur = rl.rlim_max = (rlim_t)lim->cpu_seconds;
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
	if (kb_extract_inproc(data, n, name, lim->max_passages, &d, &ei)) {
		snprintf(num, sizeof(num), "%d", (int)ei.code);
		ext_rec(fd, 'C', num, strlen(num));
		ext_rec(fd, 'E', ei.msg, strlen(ei.msg));
		_exit(0);
	}
	ext_rec(fd, 'T', d.title, strlen(d.title));
	ext_rec(fd, 'F', d.format, strlen(d.format));
	for (i = 0; i < d.n; i++) {
		snprintf(num, sizeof(num), "%d %d", d.passages[i].page, d.passages[i].kind);
		if (ext_rec(fd, 'P', num, strlen(num)) ||
		    ext_rec(fd, 'S', d.passages[i].section, strlen(d.passages[i].section)) ||
		    ext_rec(fd, 'X', d.passages[i].text, strlen(d.passages[i].text)))
			_exit(3);
	}
	ext_rec(fd, 'Z', "", 0);
	_exit(0);
}

/* Parse the child's records into out. */
static err_t
ext_parse(const char *b, size_t n, const char *name, struct kb_doc *out, struct errinfo *ei)
{
	size_t i = 0, cap = 0;
	int done = 0, code = ERR_INVALID, page = 0, kind = 0;
	char *section = NULL;

	memset(out, 0, sizeof(*out));
	while (i + 5 <= n) {
		char t = b[i];
		size_t len = (size_t)(unsigned char)b[i + 1] | (size_t)(unsigned char)b[i + 2] << 8 |
		    (size_t)(unsigned char)b[i + 3] << 16 | (size_t)(unsigned char)b[i + 4] << 24;
		const char *v = b + i + 5;

		if (len > REC_MAX || i + 5 + len > n)
			break;
		switch (t) {
		case 'C':
			code = (int)strtol(v, NULL, 10);
			break;
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

err_t
kb_extract_mem(const void *data, size_t n, const char *name, const struct kb_limits *lim_in,
    struct kb_doc *out, struct errinfo *ei)
{
	struct kb_limits lim;
	struct buf got;
	int fds[2] = {-1, -1}, status = 0, timed_out = 0;
	pid_t pid;
	int64_t deadline;
	err_t err;

	memset(out, 0, sizeof(*out));
	if (lim_in != NULL)
		lim = *lim_in;
	else
		kb_limits_default(&lim);
	if (n == 0)
		return err_set(ei, ERR_INVALID, "the file is empty");
	if (n > lim.max_bytes)
		return err_set(ei, ERR_TOO_LARGE, "the file is %zu bytes; the limit is %zu", n, lim.max_bytes);
	if (kb_extract_format(data, n, name) == NULL)
		return err_set(ei, ERR_UNSUPPORTED, "unsupported file type: upload PDF, DOCX, HTML, Markdown or plain text");
	if (pipe(fds) != 0)
		return err_set(ei, ERR_IO, "cannot start the extractor (pipe)");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(ei, ERR_IO, "cannot start the extractor (fork)");
	}
	if (pid == 0) {
		close(fds[0]);
		ext_child(fds[1], data, n, name, &lim);
	}
	close(fds[1]);
	buf_init(&got, OUT_MAX);
	deadline = ext_now_ms() + (int64_t)lim.wall_seconds * 1000;
	for (;;) {
		struct pollfd pf = {fds[0], POLLIN, 0};
		int64_t left = deadline - ext_now_ms();
		char chunk[65536];
		ssize_t r;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		r = read(fds[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_append(&got, chunk, (size_t)r)) {
			timed_out = 2;
			break;
		}
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out == 1)
		err = err_set(ei, ERR_TIMEOUT, "extraction took longer than %d seconds and was stopped", lim.wall_seconds);
	else if (timed_out == 2)
		err = err_set(ei, ERR_TOO_LARGE, "the document's text is too large");
	else if (WIFSIGNALED(status))
		err = err_set(ei, ERR_INVALID, "the extractor %s on this file (it may be corrupt or too complex)",
		    WTERMSIG(status) == SIGXCPU ? "ran out of CPU time" : WTERMSIG(status) == SIGKILL ? "was stopped" : "crashed");
	else
		err = ext_parse(got.p ? got.p : "", got.len, name, out, ei);
	buf_free(&got);
	return err;
}

err_t
kb_extract_file(const char *path, const char *name, const struct kb_limits *lim_in,
    struct kb_doc *out, struct errinfo *ei)
{
	struct kb_limits lim;
	struct stat st;
	FILE *f;
	char *data;
	err_t err;

	memset(out, 0, sizeof(*out));
	if (lim_in != NULL)
		lim = *lim_in;
	else
		kb_limits_default(&lim);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return err_set(ei, ERR_NOT_FOUND, "cannot read %s", path);
	if ((size_t)st.st_size > lim.max_bytes)
		return err_set(ei, ERR_TOO_LARGE, "the file is %lld bytes; the limit is %zu", (long long)st.st_size, lim.max_bytes);
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
	err = kb_extract_mem(data, (size_t)st.st_size, name ? name : path, &lim, out, ei);
	free(data);
	return err;
}
