/* bus.c: a subscriber list under a mutex. Fan-out to 10,000 SSE streams is a
 * loop of cheap callbacks, each of which copies the event into its own queue. */
#include "bus.h"

#include <pthread.h>
#include <stdlib.h>

#include "alloc.h"

struct bus_sub {
	bus_fn fn;
	void *ctx;
	struct bus_sub *prev, *next;
};

static pthread_mutex_t bus_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bus_sub *bus_head;
static int bus_n;

struct bus_sub *
bus_subscribe(bus_fn fn, void *ctx)
{
	struct bus_sub *s = xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->ctx = ctx;
	pthread_mutex_lock(&bus_mu);
	s->next = bus_head;
	if (bus_head != NULL)
		bus_head->prev = s;
	bus_head = s;
	bus_n++;
	pthread_mutex_unlock(&bus_mu);
	return s;
}

void
bus_unsubscribe(struct bus_sub *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&bus_mu);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		bus_head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	bus_n--;
	pthread_mutex_unlock(&bus_mu);
	free(s);
}

void
bus_publish(const struct bus_event *ev)
{
	struct bus_sub *s;

	pthread_mutex_lock(&bus_mu);
	for (s = bus_head; s != NULL; s = s->next)
		s->fn(s->ctx, ev);
	pthread_mutex_unlock(&bus_mu);
}

int
bus_count(void)
{
	int n;

	pthread_mutex_lock(&bus_mu);
	n = bus_n;
	pthread_mutex_unlock(&bus_mu);
	return n;
}
