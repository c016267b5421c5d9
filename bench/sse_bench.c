/* sse_bench.c: live-event benchmarks against a running `baton serve`.
 *
 *   sse_bench fanout PORT TOKEN N       open N member streams (API token),
 *                                       post events, measure delivery to all
 *   sse_bench roundtrip PORT WKEY N     N widget conversations with open
 *                                       streams; post a visitor message and
 *                                       time the agent's reply on that stream
 *
 * Streams are plain sockets under epoll; the clock is CLOCK_MONOTONIC in one
 * process, so post time and receive time are comparable. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
dial(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One blocking request on a fresh connection; returns the body (caller frees). */
static char *
request(const char *method, const char *path, const char *auth, const char *body)
{
	char head[2048], *resp = malloc(1 << 20), *b;
	int fd = dial();
	size_t got = 0;
	ssize_t r;

	snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n%s%s%sContent-Length: %zu\r\n\r\n",
	    method, path, auth ? "Authorization: Bearer " : "", auth ? auth : "", auth ? "\r\n" : "", body ? strlen(body) : 0);
	if (write(fd, head, strlen(head)) < 0 || (body && write(fd, body, strlen(body)) < 0))
		exit(1);
	while (got < (1 << 20) - 1 && (r = read(fd, resp + got, (1 << 20) - 1 - got)) > 0)
		got += (size_t)r;
	resp[got] = '\0';
	close(fd);
	b = strstr(resp, "\r\n\r\n");
	if (b == NULL)
		return resp;
	memmove(resp, b + 4, strlen(b + 4) + 1);
	return resp;
}

static int
open_stream(const char *path, const char *auth)
{
	char head[1024];
	int fd = dial();

	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n", path, auth);
	if (write(fd, head, strlen(head)) < 0)
		exit(1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long
rss_kb(int pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

struct stream {
	int fd;
	char tail[64]; /* the last bytes seen, so a marker split across reads is found */
	int seen;
};

/* Read what is available; return 1 when marker appeared. */
static int
stream_read(struct stream *s, const char *marker)
{
	char buf[65536 + 64];
	ssize_t r;
	int hit = 0;

	for (;;) {
		size_t tl = strlen(s->tail);

		memcpy(buf, s->tail, tl);
		r = read(s->fd, buf + tl, 65536);
		if (r <= 0)
			break;
		buf[tl + (size_t)r] = '\0';
		if (memmem(buf, tl + (size_t)r, marker, strlen(marker)) != NULL)
			hit = 1;
		{
			size_t n = tl + (size_t)r, k = n > 48 ? 48 : n;

			memcpy(s->tail, buf + n - k, k);
			s->tail[k] = '\0';
		}
	}
	return hit;
}

static void
fanout(const char *token, int n, int server_pid)
{
	struct stream *st = calloc((size_t)n, sizeof(*st));
	struct epoll_event ev, *evs = calloc((size_t)n, sizeof(*evs));
	int ep = epoll_create1(0), i, round, rounds = 10;
	double *lat = calloc((size_t)n * rounds, sizeof(double));
	size_t nl = 0;
	long rss0 = server_pid > 0 ? rss_kb(server_pid) : -1, rss1;
	char *conv = request("POST", "/api/v1/conversations", token, "{\"external_id\":\"fanout-bench\"}");
	json_t *cj = json_loads(conv, 0, NULL);
	const char *cid = json_string_value(json_object_get(json_object_get(cj, "conversation"), "id"));

	for (i = 0; i < n; i++) {
		st[i].fd = open_stream("/api/v1/events", token);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, st[i].fd, &ev);
	}
	usleep(500000 + (useconds_t)n * 100);
	for (i = 0; i < n; i++)
		stream_read(&st[i], "\x01"); /* drain the opening lines */
	rss1 = server_pid > 0 ? rss_kb(server_pid) : -1;
	for (round = 0; round < rounds; round++) {
		char marker[64], body[256], path[128];
		double t0;
		int left = n, k;
		char *r;

		for (i = 0; i < n; i++)
			st[i].seen = 0;
		snprintf(marker, sizeof(marker), "fanout-%d-%ld", round, (long)now_ms());
		snprintf(body, sizeof(body), "{\"body\":\"%s\",\"internal\":true}", marker);
		snprintf(path, sizeof(path), "/api/v1/conversations/%s/messages", cid);
		t0 = now_ms();
		r = request("POST", path, token, body);
		free(r);
		while (left > 0 && now_ms() - t0 < 10000) {
			int m = epoll_wait(ep, evs, n, 1000);

			for (k = 0; k < m; k++) {
				struct stream *s = &st[evs[k].data.u32];

				if (!s->seen && stream_read(s, marker)) {
					s->seen = 1;
					lat[nl++] = now_ms() - t0;
					left--;
				} else if (s->seen) {
					stream_read(s, "\x01");
				}
			}
		}
		if (left > 0)
			printf("    round %d: %d of %d streams missed the event\n", round, left, n);
	}
	qsort(lat, nl, sizeof(double), cmp);
	printf("  fan-out to %d streams: %zu deliveries, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
	    n, nl, nl ? lat[nl / 2] : -1, nl ? lat[nl * 99 / 100] : -1, nl ? lat[nl - 1] : -1);
	if (rss0 > 0 && rss1 > 0)
		printf("; server memory %.1f KB per stream (RSS %ld -> %ld KB)", (double)(rss1 - rss0) / n, rss0, rss1);
	printf("\n");
	for (i = 0; i < n; i++)
		close(st[i].fd);
	json_decref(cj);
	free(conv);
	free(st);
	free(evs);
	free(lat);
}

static void
roundtrip(const char *wkey, int n)
{
	struct stream *st = calloc((size_t)n, sizeof(*st));
	char **ids = calloc((size_t)n, sizeof(char *)), **toks = calloc((size_t)n, sizeof(char *));
	struct epoll_event ev, *evs = calloc((size_t)n, sizeof(*evs));
	int ep = epoll_create1(0), i, k, msgs = 400;
	double *lat = calloc((size_t)msgs, sizeof(double));
	size_t nl = 0;

	for (i = 0; i < n; i++) {
		char body[256], path[128], *r;
		json_t *j;

		snprintf(body, sizeof(body), "{\"widget_key\":\"%s\",\"context\":{\"site\":\"Site-101\"}}", wkey);
		r = request("POST", "/widget/v1/conversations", NULL, body);
		j = json_loads(r, 0, NULL);
		ids[i] = strdup(json_string_value(json_object_get(j, "id")));
		toks[i] = strdup(json_string_value(json_object_get(j, "token")));
		json_decref(j);
		free(r);
		snprintf(path, sizeof(path), "/widget/v1/conversations/%s/events", ids[i]);
		st[i].fd = open_stream(path, toks[i]);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, st[i].fd, &ev);
	}
	usleep(300000);
	for (i = 0; i < n; i++)
		stream_read(&st[i], "\x01");
	for (k = 0; k < msgs; k++) {
		struct stream *s = &st[k % n];
		char body[256], path[128], *r;
		double t0;
		int got = 0;

		snprintf(body, sizeof(body), "{\"body\":\"What is the window for the week 4 visit? (%d)\"}", k);
		snprintf(path, sizeof(path), "/widget/v1/conversations/%s/messages", ids[k % n]);
		t0 = now_ms();
		r = request("POST", path, toks[k % n], body);
		free(r);
		while (!got && now_ms() - t0 < 5000) {
			int m = epoll_wait(ep, evs, n, 1000), e;

			for (e = 0; e < m; e++) {
				struct stream *x = &st[evs[e].data.u32];

				if (x == s && stream_read(x, "\"author_kind\":\"agent\""))
					got = 1;
				else if (x != s)
					stream_read(x, "\x01");
			}
		}
		if (got)
			lat[nl++] = now_ms() - t0;
		usleep(2000);
	}
	qsort(lat, nl, sizeof(double), cmp);
	printf("  widget round trip (message posted -> agent reply on the visitor's stream), %d live conversations: %zu of %d replies, p50 %.2f ms, p99 %.2f ms\n",
	    n, nl, msgs, nl ? lat[nl / 2] : -1, nl ? lat[nl * 99 / 100] : -1);
	for (i = 0; i < n; i++) {
		close(st[i].fd);
		free(ids[i]);
		free(toks[i]);
	}
	free(st);
	free(ids);
	free(toks);
	free(evs);
	free(lat);
}

int
main(int argc, char **argv)
{
	struct rlimit rl;

	if (argc < 5) {
		fprintf(stderr, "usage: sse_bench fanout PORT TOKEN N [SERVER_PID] | roundtrip PORT WIDGET_KEY N\n");
		return 2;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	port = (int)strtol(argv[2], NULL, 10);
	if (strcmp(argv[1], "fanout") == 0)
		fanout(argv[3], (int)strtol(argv[4], NULL, 10), argc > 5 ? (int)strtol(argv[5], NULL, 10) : 0);
	else
		roundtrip(argv[3], (int)strtol(argv[4], NULL, 10));
	return 0;
}
