/* assets.h: the web app and widget (web/), compiled in by scripts/embed.c. */
#ifndef BATON_ASSETS_H
#define BATON_ASSETS_H

#include "core/embedded.h"

extern const struct embedded assets[];

#endif
