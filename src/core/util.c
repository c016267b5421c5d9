/* util.c: time, identifiers, hashing and text checks. */
#include "util.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t clock_fixed;

void
util_clock_fix(int64_t ms)
{
	clock_fixed = ms;
}

int64_t
util_now_ms(void)
{
	struct timespec ts;

	if (clock_fixed != 0)
		return clock_fixed;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
util_rfc3339(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

static int
util_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

err_t
util_parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0, off = 0, oh, om;
	size_t n = strlen(s), i;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (n < 10 || util_digits(s, 4, &y) || s[4] != '-' || util_digits(s + 5, 2, &mo) ||
	    s[7] != '-' || util_digits(s + 8, 2, &d))
		return ERR_INVALID;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 20 ||
		    util_digits(s + 11, 2, &h) || s[13] != ':' || util_digits(s + 14, 2, &mi) ||
		    s[16] != ':' || util_digits(s + 17, 2, &se))
			return ERR_INVALID;
		i = 19;
		if (s[i] == '.') {
			int scale = 100;

			for (i++; i < n && isdigit((unsigned char)s[i]); i++) {
				frac += (s[i] - '0') * scale;
				scale /= 10;
			}
		}
		if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
			off = 0;
		} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') &&
		    !util_digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
		    !util_digits(s + i + 4, 2, &om)) {
			off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
		} else {
			return ERR_INVALID;
		}
	}
	{
		static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
		    h > 23 || mi > 59 || se > 60)
			return ERR_INVALID;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	*ms = ((int64_t)t - off) * 1000 + frac;
	return ERR_OK;
}

void
util_random_id(char *out, size_t nbytes)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char raw[64];
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	randombytes_buf(raw, nbytes);
	for (i = 0; i < nbytes; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

static void
util_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
util_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, n);
	util_hex(h, sizeof(h), out);
}

void
util_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t n, char out[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char h[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, data, n);
	crypto_auth_hmacsha256_final(&st, h);
	util_hex(h, sizeof(h), out);
}

int
util_streq_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}

uint32_t
util_fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int
util_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t k;
		unsigned cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			k = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		{
			size_t j;

			if (n - i <= k)
				return 0;
			for (j = 1; j <= k; j++) {
				if ((p[i + j] & 0xC0) != 0x80)
					return 0;
				cp = (cp << 6) | (p[i + j] & 0x3F);
			}
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

void
util_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

char *
util_trim(char *s)
{
	size_t n;
	char *p = s;

	while (*p && isspace((unsigned char)*p))
		p++;
	if (p != s)
		memmove(s, p, strlen(p) + 1);
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int
util_email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || n > 254)
		return 0;
	if (strchr(at, '.') == NULL || s[n - 1] == '.' || at[1] == '.')
		return 0;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || (unsigned char)*s < 0x21)
			return 0;
	return 1;
}
