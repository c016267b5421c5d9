/* kb.h: the knowledge base: extraction of documents into passages, the
 * in-memory retrieval index, answer composition, confidence and the safety
 * interlock. kb/ depends on core/ only: it never touches the store. The caller
 * (inbox/) persists documents and passages and feeds them to an index.
 *
 * Ownership: every char * in these structs is owned by the struct and freed by
 * its _free function. Indexes are safe to query from many threads while one
 * thread adds or removes documents (an internal rwlock). */
#ifndef BATON_KB_H
#define BATON_KB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* ---- documents and passages (extraction side) ---- */

enum kb_kind {
	KB_PARA = 0,      /* a paragraph or a few sentences */
	KB_LIST_ITEM = 1, /* one whole list item */
	KB_TABLE_ROW = 2, /* one whole table row, "header: value; ..." */
	KB_QA = 3         /* a Q&A entry made in Baton: question + answer */
};

struct kb_passage {
	char *section; /* heading path joined with " > "; "" when none */
	int page;      /* 1-based page; 0 when the format has no pages */
	int kind;      /* enum kb_kind */
	char *text;
};

struct kb_doc {
	char *name;   /* the ingested file's base name, e.g. "protocol.pdf" */
	char *title;  /* document title (first heading, metadata, or the name) */
	char *format; /* "pdf", "docx", "html", "md", "txt", "qa" */
	struct kb_passage *passages;
	size_t n;
};

struct kb_limits {
	size_t max_bytes;    /* input file size cap */
	int cpu_seconds;     /* RLIMIT_CPU for the extractor child */
	size_t mem_bytes;    /* RLIMIT_AS for the extractor child */
	int wall_seconds;    /* the parent kills the child after this */
	size_t max_passages; /* refuse documents that would exceed this */
};

void kb_limits_default(struct kb_limits *l);
void kb_doc_free(struct kb_doc *d);

/* Extract a file in a separate, resource-limited child process. The format is
 * chosen from the content (magic bytes) and the name's extension. Corrupt,
 * encrypted, empty, unsupported or oversized input gets ERR_INVALID,
 * ERR_UNSUPPORTED or ERR_TOO_LARGE with a clear message in ei, and out is left
 * empty. name is the display base name stored in citations. */
err_t kb_extract_file(const char *path, const char *name, const struct kb_limits *lim,
    struct kb_doc *out, struct errinfo *ei);
/* Same, from bytes in memory (uploads). */
err_t kb_extract_mem(const void *data, size_t n, const char *name, const struct kb_limits *lim,
    struct kb_doc *out, struct errinfo *ei);

/* Many files through one sandboxed child (bulk ingest): the same limits per
 * file (CPU, wall clock, memory, size), the same errors, without a fork per
 * file. A child that crashes, hits a limit or times out is replaced by a fresh
 * one for the next file, and a file that kills a child which had served other
 * files is tried once more in a fresh child, so no file fails for another's
 * sake. Not for use from several threads at once. lim may be NULL (defaults). */
struct kb_extractor;

struct kb_extractor *kb_extractor_new(const struct kb_limits *lim);
err_t kb_extractor_file(struct kb_extractor *x, const char *path, const char *name,
    struct kb_doc *out, struct errinfo *ei);
err_t kb_extractor_mem(struct kb_extractor *x, const void *data, size_t n, const char *name,
    struct kb_doc *out, struct errinfo *ei);
void kb_extractor_free(struct kb_extractor *x);

/* ---- retrieval and answers (index side) ---- */

struct kb_index;

struct kb_index *kb_index_new(void);
void kb_index_free(struct kb_index *ix);
/* Add one document version's passages. doc_id is the store's document id and
 * passage_ids[i] the store's id of passages[i] (both echoed in citations). */
err_t kb_index_add(struct kb_index *ix, int64_t doc_id, const struct kb_doc *doc,
    const int64_t *passage_ids);
void kb_index_remove(struct kb_index *ix, int64_t doc_id);
size_t kb_index_passages(const struct kb_index *ix);
/* Workspace synonyms, one group per line: "MTX = methotrexate, metotrexate". Replaces the previous set. */
err_t kb_index_set_synonyms(struct kb_index *ix, const char *lines, struct errinfo *ei);

struct kb_settings {
	double threshold;         /* answer at or above this confidence */
	const char *key_phrases;  /* one phrase per line; NULL for the default list */
};

struct kb_citation {
	char *document; /* doc base name */
	char *section;
	int page;
	int64_t doc_id;
	int64_t passage_id;
	char *text;     /* the passage text */
	double score;   /* retrieval score (for A8's passages list) */
};

struct kb_result {
	char *answer;           /* never NULL; "" when handed off without an answer */
	double confidence;      /* 0..1, calibrated */
	int handoff;            /* 1 when a person must answer */
	const char *reason;     /* NULL, "low_confidence", "key_phrase", "human_requested" */
	char *phrase;           /* the key phrase or request that matched, or NULL */
	struct kb_citation *citations; /* what the answer cites */
	size_t n_citations;
	struct kb_citation *passages;  /* top passages considered, best first */
	size_t n_passages;
};

/* The interlock first (key phrases, request for a person), then retrieval and
 * composition. Fills out; the caller frees it with kb_result_free. */
err_t kb_answer(struct kb_index *ix, const char *question, const struct kb_settings *st,
    struct kb_result *out);
void kb_result_free(struct kb_result *r);

/* The interlock alone. Returns 1 and sets *reason ("key_phrase" or
 * "human_requested") and *phrase (malloc'd) on a match, else 0. */
int kb_interlock(const char *text, const char *key_phrases, const char **reason, char **phrase);
/* 1 when the visitor says the previous answer did not help. */
int kb_not_helpful(const char *text);
/* The default key phrase list, one per line. */
extern const char kb_default_key_phrases[];

/* ---- question similarity (kb_similar.c; the monthly review groups with it) ---- */

#define KB_TV_MAX 64
#define KB_TV_TERM 48

/* A bag of stemmed content terms: stop words dropped, chat shorthand expanded. */
struct kb_tv {
	int n;
	char term[KB_TV_MAX][KB_TV_TERM];
	double w[KB_TV_MAX]; /* term counts; a caller may reweight them (idf) */
};

void kb_tv_make(const char *text, struct kb_tv *tv);
/* Cosine of two term vectors, 0..1 (0 when either is empty). */
double kb_tv_cosine(const struct kb_tv *a, const struct kb_tv *b);

/* ---- terms for other modules' text matching (kb_similar.c: suggested tags, duplicates) ---- */

#define KB_TERM_MAX 48
/* The content terms of text, in order: lowercased, chat shorthand expanded
 * ("wk" -> week), stemmed, stop words dropped. Returns the count (<= max). */
size_t kb_terms(const char *text, char (*out)[KB_TERM_MAX], size_t max);

#endif
