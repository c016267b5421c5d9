/* kb_txt.c: plain text. Paragraphs are separated by blank lines. A line is a
 * heading when it is underlined (=== or ---), starts with #, is numbered like
 * "3.2 Visit windows", or is a short line in capitals. Lines starting with a
 * bullet or "1." are list items. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "kb_int.h"

static int
txt_all(const char *l, size_t n, char c)
{
	size_t i;

	if (n < 3)
		return 0;
	for (i = 0; i < n; i++)
		if (l[i] != c && l[i] != ' ')
			return 0;
	return 1;
}

static size_t
txt_words(const char *l, size_t n)
{
	size_t w = 0, i;
	int in = 0;

	for (i = 0; i < n; i++) {
		int isw = !isspace((unsigned char)l[i]);

		w += isw && !in;
		in = isw;
	}
	return w;
}

/* 0 when not a heading, else its level. */
static int
txt_heading(const char *l, size_t n)
{
	size_t i, letters = 0, upper = 0, dots = 0;

	while (n > 0 && isspace((unsigned char)l[n - 1]))
		n--;
	if (n == 0 || n > 100 || txt_words(l, n) > 10 || l[n - 1] == '.' || l[n - 1] == ',' || l[n - 1] == ':')
		return 0;
	if (l[0] == '#') {
		for (i = 0; i < n && l[i] == '#'; i++)
			;
		return (int)(i > 6 ? 6 : i);
	}
	if (isdigit((unsigned char)l[0])) {
		for (i = 0; i < n && (isdigit((unsigned char)l[i]) || l[i] == '.'); i++)
			dots += l[i] == '.';
		if (i < n && l[i] == ' ' && i + 1 < n && isupper((unsigned char)l[i + 1]) && !(dots == 1 && l[i - 1] == '.' && txt_words(l, n) > 6))
			return (int)(dots > 0 && l[i - 1] == '.' ? dots : dots + 1);
	}
	for (i = 0; i < n; i++)
		if (isalpha((unsigned char)l[i])) {
			letters++;
			upper += isupper((unsigned char)l[i]) != 0;
		}
	return letters >= 4 && upper == letters ? 1 : 0;
}

static int
txt_item(const char *l, size_t n, size_t *skip)
{
	size_t i = 0;

	while (i < n && l[i] == ' ')
		i++;
	if (i + 1 < n && (l[i] == '-' || l[i] == '*' || l[i] == '+') && l[i + 1] == ' ') {
		*skip = i + 2;
		return 1;
	}
	if (i + 3 < n && (unsigned char)l[i] == 0xE2 && (unsigned char)l[i + 1] == 0x80 && (unsigned char)l[i + 2] == 0xA2) {
		*skip = i + 3;
		return 1;
	}
	if (i < n && (isdigit((unsigned char)l[i]) || islower((unsigned char)l[i]))) {
		size_t j = i;

		while (j < n && isdigit((unsigned char)l[j]))
			j++;
		if (j == i)
			j++;
		if (j + 1 < n && (l[j] == '.' || l[j] == ')') && l[j + 1] == ' ' && j - i <= 3) {
			*skip = j + 2;
			return 1;
		}
	}
	return 0;
}

err_t
kb_txt_parse(const char *data, size_t n, struct kb_builder *bd, struct errinfo *ei)
{
	struct buf para;
	size_t i = 0;
	int kind = KB_PARA;

	(void)ei;
	buf_init(&para, 4 * 1024 * 1024);
	while (i < n) {
		const char *l = data + i, *e = memchr(l, '\n', n - i);
		size_t len = e ? (size_t)(e - l) : n - i, nlen = 0, skip = 0;
		const char *next = e ? e + 1 : NULL;
		int h;

		if (next != NULL) {
			const char *ne = memchr(next, '\n', (size_t)(data + n - next));

			nlen = ne ? (size_t)(ne - next) : (size_t)(data + n - next);
		}
		if (len > 0 && l[len - 1] == '\r')
			len--;
		if (txt_words(l, len) == 0) {
			kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
			buf_reset(&para);
			kind = KB_PARA;
		} else if (next != NULL && (txt_all(next, nlen, '=') || txt_all(next, nlen, '-')) && txt_words(l, len) <= 12) {
			kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
			buf_reset(&para);
			{
				struct buf h2;

				buf_init(&h2, 512);
				buf_append(&h2, l, len < 400 ? len : 400);
				kb_builder_heading(bd, next[0] == '=' ? 1 : 2, h2.p);
				buf_free(&h2);
			}
			i = (size_t)(next - data) + nlen + 1;
			continue;
		} else if (para.len == 0 && (h = txt_heading(l, len)) > 0) {
			struct buf h2;
			size_t s = 0;

			while (s < len && (l[s] == '#' || l[s] == ' '))
				s++;
			buf_init(&h2, 512);
			buf_append(&h2, l + s, len - s < 400 ? len - s : 400);
			kb_builder_heading(bd, h, h2.p ? h2.p : "");
			buf_free(&h2);
		} else if (txt_item(l, len, &skip)) {
			kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
			buf_reset(&para);
			kind = KB_LIST_ITEM;
			buf_append(&para, l + skip, len - skip);
		} else {
			if (para.len)
				buf_puts(&para, " ");
			if (buf_append(&para, l, len)) {
				kb_builder_block(bd, kind, para.p, para.len);
				buf_reset(&para);
			}
		}
		i += len + (e ? (size_t)(e - l) - len + 1 : 0);
		if (e == NULL)
			break;
	}
	kb_builder_block(bd, kind, para.p ? para.p : "", para.len);
	buf_free(&para);
	return ERR_OK;
}
