/* kb_interlock.c: the safety interlock, checked before any answer. A key
 * phrase matches when its stems appear contiguously among the message's
 * stems (so case and inflection do not matter: "SAEs", "Hospitalized",
 * "escalating"). A request for a person is a verb of speaking followed by a
 * word for a person, or one of a few fixed phrases.
 *
 * Precision, recall first (docs/internals/kb-interlock.md): a matched phrase
 * hands off unless the message reads as informational, that is it has an
 * informational frame (a statistical or definitional word: "mortality rate",
 * "does X reduce hospitalisation", "what counts as an SAE") AND no event cue
 * (a time expression, a subject id, my/our patient, he/she, "we have", "this
 * is"/"does this count", pt, urgent). Doubt hands off: an event cue anywhere
 * outweighs any frame, and a message with neither hands off. Phrases about
 * urgency, escalation and unblinding always hand off. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "kb_int.h"

/* "died" and "passed away": a death is reported in those words more often
 * than with "death". */
const char kb_default_key_phrases[] =
    "serious adverse event\nSAE\nSUSAR\nurgent\nescalate\nhospitalised\nhospitalized\ndeath\ndied\npassed away\nunblinding";

#define IL_MAX 256

static int
il_in(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(w, *set) == 0)
			return 1;
	return 0;
}

static const char *
il_human(const struct kb_tok *m, size_t n)
{
	static const char *const verbs[] = {"talk", "speak", "chat", "connect", "transfer", "put", "contact", "reach", "call", NULL};
	static const char *const people[] = {"someone", "somebody", "anyone", "person", "human", "people", "coordinator",
		"representative", "staff", "agent", "team", "monitor", "manager", "colleague", "nurse", "investigator", "cra", NULL};
	static const char *const fixed[][3] = {
		{"human", "please", NULL}, {"real", "person", NULL}, {"a", "human", NULL}, {"live", "agent", NULL},
		{"call", "me", NULL}, {"person", "please", NULL}, {"not", "a", "bot"}, {"speak", "to", "you"},
	};
	size_t i, k, f;

	for (i = 0; i < n; i++) {
		if (!il_in(m[i].low, verbs))
			continue;
		for (k = i + 1; k < n && k <= i + 4; k++)
			if (il_in(m[k].low, people))
				return "request for a person";
	}
	for (f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++) {
		size_t len = fixed[f][2] ? 3 : 2;

		for (i = 0; i + len <= n; i++) {
			for (k = 0; k < len; k++)
				if (strcmp(m[i + k].low, fixed[f][k]) != 0)
					break;
			if (k == len)
				return "request for a person";
		}
	}
	return NULL;
}

/* ---- precision: informational frames and event cues ---- */

/* A word that begins with one of these prefixes (lowercased surface forms,
 * so "rates", "predicted", "defined" are covered without a stemmer). */
static int
il_prefixed(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strncmp(w, *set, strlen(*set)) == 0)
			return 1;
	return 0;
}

/* Words of the message in a window [from, to). */
static int
il_any(const struct kb_tok *m, size_t from, size_t to, const char *const *set)
{
	for (; from < to; from++)
		if (il_in(m[from].low, set))
			return 1;
	return 0;
}

/* Statistics, research and definitions: the listed word is a topic, not news. */
static int
il_frame(const struct kb_tok *m, size_t n, size_t at, int plural)
{
	static const char *const prefixes[] = {
		/* rates and comparisons */
		"rate", "risk", "incidence", "mortalit", "morbidit", "proportion", "percent", "prevalen",
		"frequen", "likel", "probabil", "ratio", "hazard", "predict", "associat", "correlat", "link",
		"compar", "versus", "reduc", "lower", "higher", "increas", "decreas", "declin", "prevent",
		"trend", "surviv", "outcome", "factor", "common", "cause", "average", "median", "fraction",
		"share", "expected", "background", "cohort", "endpoint", "calculat", "summar", "among",
		/* definitions and classification */
		"defin", "mean", "consider", "qualif", "criteri", "class", "differen", "example", "type",
		"coded", "grade", "assess", "adjudicat", "eligib", "inclusion", "exclu", "enrol", "count",
		/* durations and comparisons of groups */
		"duration", "length", "shorter", "longer", "worse", "better", "usual", "typical", "general",
		/* what the literature and the trial documents say */
		"phase", "brochure", "protocol", "consent", "icf", "describ", "list", "literature", "publish",
		"contribut", "chang", "same",
		/* what the case report form holds ("is the date of death recorded?") */
		"record", "collect",
		NULL,
	};
	/* Aggregates and populations ("most patients", "older adults"), and the
	 * other senses of death ("cell death", "death receptor"). */
	static const char *const exact[] = {"odds", "vs", "often", "most", "adults", "people", "men", "women",
		"children", "elderly", "population", "populations", "trials", "studies", "ligand", "receptor", "cell", NULL};
	static const char *const generic[] = {"is", "are", "does", "do", "would", "can", NULL};
	static const char *const units[] = {"hours", "hour", "days", "day", "minutes", "weeks", NULL};
	static const char *const group[] = {"patients", "participants", "subjects", "volunteers", NULL};
	static const char *const quantity[] = {"two", "three", "four", "five", "several", "multiple", "both", "x", NULL};
	size_t i;

	/* The phrase in the plural is the class, not an instance: "are SAEs
	 * followed up?", "deaths in the placebo group"; but "two SAEs", "3
	 * hospitalisations" count instances. */
	if (plural && !(at > 0 && (isdigit((unsigned char)m[at - 1].low[0]) || il_in(m[at - 1].low, quantity))))
		return 1;
	for (i = 0; i < n; i++) {
		/* A yes/no question about a kind of case: "is a congenital anomaly an
		 * SAE?", "is hospitalisation for a transfusion an SAE?" ("is this an
		 * SAE?" and "is it" are event cues, looked at before this). */
		if (il_in(m[0].low, generic) && (strcmp(m[i].low, "a") == 0 || strcmp(m[i].low, "an") == 0))
			return 1;
		/* People in the plural are a group ("participants hospitalised during
		 * the washout"); "two patients", "our patients", "the subjects" are
		 * event cues or counts, not a group. */
		if (il_in(m[i].low, group) && !(i > 0 && (isdigit((unsigned char)m[i - 1].low[0]) || il_in(m[i - 1].low, quantity))))
			return 1;
		if (il_prefixed(m[i].low, prefixes) || il_in(m[i].low, exact))
			return 1;
		/* "how many participants died", not "within how many hours". */
		if (strcmp(m[i].low, "many") == 0 && i > 0 && strcmp(m[i - 1].low, "how") == 0 &&
		    (i + 1 >= n || !il_in(m[i + 1].low, units)))
			return 1;
		/* "the number of SAEs", not "the fax number for SAE reports" */
		if (strcmp(m[i].low, "number") == 0 && i + 1 < n && strcmp(m[i + 1].low, "of") == 0)
			return 1;
		/* "stand for", "what is a SUSAR" */
		if (strcmp(m[i].low, "stand") == 0 && i + 1 < n && strcmp(m[i + 1].low, "for") == 0)
			return 1;
		if ((strcmp(m[i].low, "whats") == 0 || (i > 0 && strcmp(m[i].low, "is") == 0 && strcmp(m[i - 1].low, "what") == 0)) &&
		    i + 1 < n && (strcmp(m[i + 1].low, "a") == 0 || strcmp(m[i + 1].low, "an") == 0))
			return 1;
	}
	return 0;
}

/* A subject id as sites write them: 104-003 (not a range of years, 2000-2015). */
static int
il_subject_id(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *a = p, *b;
		size_t la, lb;

		while (*a && !(*a >= '0' && *a <= '9'))
			a++;
		b = a;
		while (*b >= '0' && *b <= '9')
			b++;
		la = (size_t)(b - a);
		if (la == 0)
			break;
		p = b;
		if (*b != '-')
			continue;
		b++;
		lb = strspn(b, "0123456789");
		if (la >= 2 && lb >= 2 && !(la == 4 && lb == 4 && (a[0] == '1' || a[0] == '2')))
			return 1;
	}
	return 0;
}

/* Something happened to someone: any of these and the message is a report. */
static int
il_event(const struct kb_tok *m, size_t n, const char *text)
{
	static const char *const alarm[] = {"urgent", "urgently", "asap", "emergency", "immediately", NULL};
	static const char *const when[] = {"yesterday", "today", "tonight", "overnight", "ago", "earlier", "just",
		"now", "currently", "morning", "afternoon", "evening", "night", "nite", "weekend", "monday",
		"tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "sat", "sun", NULL};
	static const char *const someone[] = {"he", "she", "him", "her", "his", "hes", "shes", "pt", "pts", NULL};
	static const char *const person[] = {"patient", "patients", "participant", "participants", "subject",
		"subjects", "volunteer", "volunteers", "pt", "pts", "child", "baby", "mother", "mum", "mom", "father",
		"dad", "husband", "wife", "son", "daughter", "family", "caregiver", NULL};
	static const char *const single[] = {"patient", "participant", "subject", "volunteer", NULL};
	static const char *const generic[] = {"a", "an", "each", "every", "any", "per", "no", "which", "what", NULL};
	static const char *const have[] = {"have", "had", "got", "ve", "need", "must", "should", "want", "will", "am",
		"are", "just", "think", NULL};
	static const char *const act[] = {"do", "should", "can", "must", "could", "shall", NULL};
	/* A time word that qualifies a noun dates nothing: "an overnight stay", "the weekend effect". */
	static const char *const timed[] = {"stay", "stays", "effect", "admission", "admissions", "shift", "shifts", NULL};
	static const char *const span[] = {"week", "month", "weekend", "night", "morning", "afternoon", "evening",
		"visit", "time", NULL};
	static const char *const deixis[] = {"count", "counts", "qualify", "qualifies", "be", "a", "an", "one",
		"reportable", "need", "needs", "sound", "sounds", "look", "looks", NULL};
	size_t i;

	if (il_subject_id(text))
		return 1;
	for (i = 0; i < n; i++) {
		const char *w = m[i].low;

		if (il_prefixed(w, (const char *const[]){"escalat", "unblind", NULL}) || il_in(w, someone))
			return 1;
		/* ...but the emergency room is a place */
		if (il_in(w, alarm) && !(i + 1 < n && il_in(m[i + 1].low, (const char *const[]){"room", "department", NULL})))
			return 1;
		if (il_in(w, when) && (i + 1 >= n || !il_in(m[i + 1].low, timed)))
			return 1;
		/* "this week", "last night" */
		if ((strcmp(w, "this") == 0 || strcmp(w, "last") == 0) && i + 1 < n && il_in(m[i + 1].low, span))
			return 1;
		/* "the participant('s)", "the subjects": particular people */
		if (strcmp(w, "the") == 0 && i + 1 < n && il_in(m[i + 1].low, person))
			return 1;
		/* my participant, one of our subjects, our patient's daughter */
		if ((strcmp(w, "my") == 0 || strcmp(w, "our") == 0) && il_any(m, i + 1, i + 4 < n ? i + 4 : n, person))
			return 1;
		/* "we have an SAE", "I've had", "we need to report", and someone
		 * about to act: "how do I send the SAE form?", "should we report it?" */
		if (strcmp(w, "weve") == 0 || strcmp(w, "ive") == 0 ||
		    ((strcmp(w, "we") == 0 || strcmp(w, "i") == 0) && i + 1 < n && il_in(m[i + 1].low, have)) ||
		    (il_in(w, act) && i + 1 < n && (strcmp(m[i + 1].low, "we") == 0 || strcmp(m[i + 1].low, "i") == 0)))
			return 1;
		/* "subject 104", "pt 17" */
		if (il_in(w, person) && i + 1 < n && m[i + 1].low[0] >= '0' && m[i + 1].low[0] <= '9')
			return 1;
		/* A particular patient ("the participant died", "Subject was
		 * hospitalised"), not a generic one ("a subject", "per patient-year"). */
		if (il_in(w, single) && (i == 0 || !il_in(m[i - 1].low, generic)) &&
		    (i + 1 >= n || (strcmp(m[i + 1].low, "year") != 0 && strcmp(m[i + 1].low, "years") != 0)))
			return 1;
		/* "is this an SAE?", "does that count as one?", "is it an SAE?" */
		if ((strcmp(w, "this") == 0 || strcmp(w, "that") == 0 || strcmp(w, "it") == 0) && i + 1 < n &&
		    il_in(m[i + 1].low, deixis))
			return 1;
	}
	return 0;
}

/* A phrase about urgency, escalation or unblinding hands off whatever the frame. */
static int
il_always(const struct kb_tok *ph, size_t np)
{
	static const char *const prefixes[] = {"urgent", "escalat", "unblind", "emergenc", "asap", NULL};
	size_t k;

	for (k = 0; k < np; k++)
		if (il_prefixed(ph[k].low, prefixes))
			return 1;
	return 0;
}

int
kb_interlock(const char *text, const char *key_phrases, const char **reason, char **phrase)
{
	struct kb_tok *m = xmalloc(IL_MAX * sizeof(*m)), ph[16];
	const char *p = key_phrases ? key_phrases : kb_default_key_phrases, *h;
	size_t nm = kb_text_tokens(text, m, IL_MAX);
	int hit = 0, event = -1;

	/* Key phrases are about safety: they win over a request for a person. */
	while (*p && !hit) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p), np, i, k;
		char line[256];

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), p);
		np = kb_text_tokens(line, ph, 16);
		/* Stop words inside a phrase still count ("death of a patient"). */
		for (i = 0; i + np <= nm && np > 0 && !hit; i++) {
			/* Same stem, and not a much shorter word ("hospital" is not
			 * "hospitalized", though Snowball stems both to "hospit"). */
			for (k = 0; k < np; k++)
				if (strcmp(m[i + k].stem, ph[k].stem) != 0 ||
				    strlen(m[i + k].low) + 3 < strlen(ph[k].low))
					break;
			if (k < np)
				continue;
			/* Only a matched phrase pays for the cues (most messages
			 * match none); the event cues are looked for once. */
			if (il_always(ph, np)) {
				hit = 1;
			} else {
				if (event < 0)
					event = il_event(m, nm, text);
				const char *last = m[i + np - 1].low, *want = ph[np - 1].low;
				int plural = last[strlen(last) - 1] == 's' && want[strlen(want) - 1] != 's';

				hit = event || !il_frame(m, nm, i, plural);
			}
		}
		if (hit) {
			*reason = "key_phrase";
			*phrase = xstrdup(line);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (!hit) {
		h = il_human(m, nm);
		if (h != NULL) {
			hit = 1;
			*reason = "human_requested";
			*phrase = xstrdup(h);
		}
	}
	free(m);
	return hit;
}

int
kb_not_helpful(const char *text)
{
	static const char *const pats[][4] = {
		{"didnt", "help", NULL}, {"did", "not", "help", NULL}, {"doesnt", "help", NULL}, {"does", "not", "help", NULL},
		{"not", "helpful", NULL}, {"unhelpful", NULL}, {"not", "what", "i", "asked"}, {"thats", "wrong", NULL},
		{"that", "is", "wrong", NULL}, {"this", "is", "wrong", NULL}, {"wrong", "answer", NULL}, {"doesnt", "answer", NULL},
		{"didnt", "answer", NULL}, {"not", "answer", "my", NULL}, {"useless", NULL}, {"not", "useful", NULL},
		{"makes", "no", "sense", NULL}, {"not", "my", "question", NULL}, {"incorrect", NULL},
	};
	struct kb_tok m[64];
	size_t n = kb_text_tokens(text, m, 64), i, k, f;

	for (f = 0; f < sizeof(pats) / sizeof(pats[0]); f++) {
		size_t len = 0;

		while (len < 4 && pats[f][len])
			len++;
		for (i = 0; i + len <= n; i++) {
			for (k = 0; k < len; k++)
				if (strcmp(m[i + k].low, pats[f][k]) != 0)
					break;
			if (k == len)
				return 1;
		}
	}
	return 0;
}
