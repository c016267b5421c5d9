/* kb_int.h: shared inside src/kb. Text normalisation (tokens, stems, stop
 * words) and the extractors' common block model. */
#ifndef BATON_KB_INT_H
#define BATON_KB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "kb.h"

#define KB_TOK_MAX 48

struct kb_tok {
	char stem[KB_TOK_MAX]; /* lowercased and stemmed */
	char low[KB_TOK_MAX];  /* lowercased surface form */
	int stop;              /* a stop word */
	int pos;               /* token position in the text */
};

/* Tokenise text into at most max tokens; returns the count. Stemming uses a
 * per-thread Snowball stemmer, so this is safe from any thread. */
size_t kb_text_tokens(const char *text, struct kb_tok *out, size_t max);
/* Stem one lowercased word into out. */
void kb_text_stem(const char *word, char out[KB_TOK_MAX]);
int kb_text_is_stop(const char *low);
/* The long form of chat shorthand ("wk" -> "week"), or NULL. */
const char *kb_text_shorthand(const char *low);

/* WordNet synonyms of a lowercased word (its common senses); returns the count. */
#define KB_WN_MAX 12
int kb_wn_synonyms(const char *word, char out[][KB_TOK_MAX]);

/* ---- retrieval (kb_index.c), used by kb_answer.c ---- */

#define KB_TOPK 8
#define KB_QMAX 64

struct kb_pass {
	int64_t doc_id;
	int64_t passage_id;
	uint32_t doc;      /* index into the index's documents */
	uint32_t ntok;     /* body tokens (stop words included) */
	uint32_t *tok;     /* body token term ids, in order (stop words: UINT32_MAX) */
	char *section;
	char *text;
	int page;
	int kind;
	int removed;
};

struct kb_hit {
	uint32_t p;
	double score;
};

/* What a query meant to the index, for the confidence model. */
struct kb_qinfo {
	int nterms;              /* content terms in the question */
	int nknown;              /* of which the index knows (directly, by typo or expansion) */
	double idf_total;        /* idf mass of the known terms */
	double idf_max;          /* log(N): the idf of a term seen once */
	uint32_t term[KB_QMAX];  /* term id per query term (UINT32_MAX: unknown) */
	uint32_t alt[KB_QMAX][4];/* equivalents (abbreviation, synonym) */
	double idf[KB_QMAX];
	double weight[KB_QMAX];
	int nhits;
	struct kb_hit hits[KB_TOPK];
};

/* Search under the caller's read lock; fills qi. */
void kb_index_query(struct kb_index *ix, const char *q, struct kb_qinfo *qi);
const struct kb_pass *kb_index_pass(const struct kb_index *ix, uint32_t p);
const char *kb_index_doc_name(const struct kb_index *ix, uint32_t doc);
void kb_index_rdlock(struct kb_index *ix);
void kb_index_unlock(struct kb_index *ix);
/* 1 when passage p contains term t or one of its equivalents. */
int kb_index_has(const struct kb_index *ix, uint32_t p, const struct kb_qinfo *qi, int qterm);
uint32_t kb_index_term_id(const struct kb_index *ix, const char *stem);

/* The confidence features for a question (bench/kb_train.c fits on them),
 * and the document id of the top passage (-1 when none). */
err_t kb_answer_features(struct kb_index *ix, const char *question, double *f, int64_t *top_doc);

/* ---- extraction: formats produce blocks; kb_chunk turns them into passages ---- */

struct kb_builder {
	struct kb_doc *doc;
	size_t cap;
	char *heads[6];  /* current heading path by level */
	int page;
	size_t max_passages;
	int overflow;
};

void kb_builder_init(struct kb_builder *b, struct kb_doc *doc, size_t max_passages);
void kb_builder_heading(struct kb_builder *b, int level, const char *text);
/* A paragraph (split into passages of about 100 words at sentence ends), a
 * list item or a table row (kept whole). text need not be NUL-free-trimmed. */
void kb_builder_block(struct kb_builder *b, int kind, const char *text, size_t n);
void kb_builder_done(struct kb_builder *b);

/* Per-format parsers over bytes in memory, in this process (the fuzz drivers
 * call them directly; kb_extract_* run them in a child). */
err_t kb_md_parse(const char *data, size_t n, struct kb_builder *b, struct errinfo *ei);
err_t kb_txt_parse(const char *data, size_t n, struct kb_builder *b, struct errinfo *ei);
err_t kb_html_parse(const char *data, size_t n, struct kb_builder *b, struct errinfo *ei);
err_t kb_docx_parse(const char *data, size_t n, struct kb_builder *b, struct errinfo *ei);
err_t kb_pdf_parse(const char *data, size_t n, struct kb_builder *b, struct errinfo *ei);
/* Pick the parser from magic bytes and the name. */
const char *kb_extract_format(const char *data, size_t n, const char *name);
err_t kb_extract_inproc(const char *data, size_t n, const char *name, size_t max_passages,
    struct kb_doc *out, struct errinfo *ei);

#endif
