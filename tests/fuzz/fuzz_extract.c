/* fuzz_extract.c: libFuzzer driver for the document parsers (Markdown, text,
 * HTML, DOCX, PDF), run in process (the product runs them in a child). The
 * first byte picks the format; the rest is the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kb/kb.h"
#include "kb/kb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"f.md", "f.txt", "f.html", "f.docx", "f.pdf"};
	struct kb_doc d;
	struct errinfo ei = {0};

	if (size < 1 || size > 1024 * 1024)
		return 0;
	if (kb_extract_inproc((const char *)data + 1, size - 1, names[data[0] % 5], 10000, &d, &ei) == ERR_OK)
		kb_doc_free(&d);
	return 0;
}
