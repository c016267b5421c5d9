/* mhd_const.c: the reference for the list benchmark: libmicrohttpd with the
 * same daemon flags as src/http/http_server.c, answering every request with a
 * constant JSON body. usage: mhd_const PORT */
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "{\"items\":[],\"next_cursor\":null}";

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
    const char *data, size_t *size, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)data, (void)size;
	if (*state == NULL) {
		*state = (void *)1; /* answer on the second call, as Baton does */
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;

	if (argc != 2)
		return 2;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, (uint16_t)strtol(argv[1], NULL, 10), NULL, NULL,
	    handle, NULL, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	pause();
	MHD_stop_daemon(d);
	return 0;
}
