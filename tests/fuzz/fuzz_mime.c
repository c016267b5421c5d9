/* fuzz_mime.c: libFuzzer driver for the MIME entry point (channels_mime_parse,
 * then quote stripping and mbox splitting on the same bytes). Any crash or
 * sanitizer report is a bug; every output string must be valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channels.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_msg(void *ctx, const char *msg, size_t n)
{
	(void)ctx;
	(void)msg;
	(void)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail m;
	struct errinfo ei = {0};

	if (channels_mime_parse((const char *)data, size, &m, &ei) == ERR_OK) {
		if (!util_utf8_valid(m.text, strlen(m.text)) || !util_utf8_valid(m.subject, strlen(m.subject)) ||
		    !util_utf8_valid(m.stripped, strlen(m.stripped)) || !util_utf8_valid(m.from_name, strlen(m.from_name)))
			abort();
		channels_mime_free(&m);
	}
	channels_mime_mbox_split((const char *)data, size, fz_msg, NULL);
	return 0;
}
