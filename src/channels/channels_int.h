/* channels_int.h: shared inside src/channels. */
#ifndef BATON_CHANNELS_INT_H
#define BATON_CHANNELS_INT_H

#include <curl/curl.h>

#include "channels.h"

/* A libcurl error as a clear, user-facing message ("what: ..."). */
err_t channels_imap_curl_err(CURLcode rc, const char *what, struct errinfo *ei);

#endif
