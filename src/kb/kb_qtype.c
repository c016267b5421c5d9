/* kb_qtype.c: what a question asks for, and whether a span of text holds it.
 *
 * "How many hours ...", "what is the minimum ...", "which number do I call",
 * "who ..." and "when ..." each need an answer that contains a value of that
 * type: a duration, a number, a phone number, a person or role, a day or
 * date. The re-ranker prefers candidates that hold the type, and the
 * confidence falls when none does: a topical sentence without the asked-for
 * value is how a question the documents cannot answer gets a confident
 * wrong answer.
 *
 * Conditions: a question that carries a number with a unit and a comparison
 * ("the dose is 5 hours late") is matched against the branches of a rule
 * ("within 4 hours ..." / "more than 4 hours ..."), so the branch that
 * applies wins over its neighbour. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kb_int.h"

static int
qt_in(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(w, *set) == 0)
			return 1;
	return 0;
}

/* Hours per unit for a time word, or 0 when the word is no time unit. */
static double
qt_unit_hours(const char *w)
{
	static const struct {
		const char *w;
		double h;
	} u[] = {
		{"second", 1.0 / 3600}, {"seconds", 1.0 / 3600}, {"sec", 1.0 / 3600}, {"secs", 1.0 / 3600},
		{"minute", 1.0 / 60}, {"minutes", 1.0 / 60}, {"min", 1.0 / 60}, {"mins", 1.0 / 60},
		{"hour", 1}, {"hours", 1}, {"h", 1}, {"hr", 1}, {"hrs", 1}, {"day", 24}, {"days", 24},
		{"d", 24}, {"week", 168}, {"weeks", 168}, {"wk", 168}, {"wks", 168}, {"month", 730},
		{"months", 730}, {"year", 8766}, {"years", 8766}, {"yr", 8766}, {"yrs", 8766},
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (strcmp(w, u[i].w) == 0)
			return u[i].h;
	return 0;
}

static int
qt_number_word(const char *w, double *v)
{
	static const char *const n[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
		"nine", "ten", "eleven", "twelve", NULL};
	int i;

	if (w[0] >= '0' && w[0] <= '9') {
		*v = strtod(w, NULL);
		return 1;
	}
	for (i = 0; n[i]; i++)
		if (strcmp(w, n[i]) == 0) {
			*v = i;
			return 1;
		}
	if (strcmp(w, "a") == 0 || strcmp(w, "an") == 0 || strcmp(w, "single") == 0) {
		*v = 1;
		return 1;
	}
	return 0;
}

/* +1 for "more than / over / after / late", -1 for "within / less than /
 * up to / before", 0 otherwise; looks at tokens ending at i (inclusive). */
static int
qt_cmp_at(const struct kb_tok *t, size_t i)
{
	static const char *const gt1[] = {"over", "after", "beyond", "exceeding", "exceeds", "exceed", "exceeded",
		"late", "later", "overdue", "past", "above", NULL};
	static const char *const lt1[] = {"within", "under", "before", "below", "early", "earlier", NULL};
	const char *w = t[i].low, *p = i > 0 ? t[i - 1].low : "";

	if (strcmp(w, "than") == 0)
		return qt_in(p, (const char *const[]){"more", "longer", "greater", "later", NULL}) ? 1 :
		       qt_in(p, (const char *const[]){"less", "fewer", "shorter", "sooner", "earlier", NULL}) ? -1 : 0;
	if (strcmp(w, "to") == 0 && strcmp(p, "up") == 0)
		return -1;
	if (strcmp(w, "least") == 0 && strcmp(p, "at") == 0)
		return 1;
	if (strcmp(w, "most") == 0 && strcmp(p, "at") == 0)
		return -1;
	if (qt_in(w, gt1))
		return 1;
	if (qt_in(w, lt1))
		return -1;
	return 0;
}

void
kb_qtype_classify(const char *q, struct kb_qtype *qt)
{
	struct kb_tok t[KB_QMAX];
	size_t n = kb_text_tokens(q, t, KB_QMAX), i;
	static const char *const yesno[] = {"is", "are", "can", "could", "do", "does", "did", "should", "may", "must",
		"will", "would", "has", "have", "was", "were", "am", "shall", "isnt", "arent", "cant", "doesnt", NULL};
	static const char *const phone[] = {"phone", "telephone", "fax", "hotline", "helpline", "tel", "ring", NULL};
	static const char *const temp[] = {"temperature", "temp", "degrees", "celsius", "fahrenheit", NULL};
	static const char *const dur[] = {"deadline", "deadlines", "timeline", "timelines", "timeframe", "duration",
		"window", "windows", "often", "frequently", "frequency", "soon", "long", NULL};
	static const char *const num[] = {"minimum", "maximum", "min", "max", "limit", "limits", "cutoff", "cut",
		"threshold", "range", "dose", "doses", "dosage", "volume", "amount", "percentage", "percent",
		"proportion", "level", "score", "count", "ratio", "size", "weight", "much", "many", "number",
		"total", "mg", "ml", NULL};
	static const char *const when[] = {"when", "date", "dates", "day", "days", "time", "weekday", NULL};
	static const char *const who[] = {"who", "whom", "whose", NULL};
	int how = 0;

	memset(qt, 0, sizeof(*qt));
	qt->num = -1;
	if (n > 0 && qt_in(t[0].low, yesno))
		qt->yesno = 1;
	for (i = 0; i < n; i++) {
		const char *w = t[i].low, *nx = i + 1 < n ? t[i + 1].low : "";
		double v;

		if (strcmp(w, "how") == 0)
			how = 1;
		if (qt->type == KB_AT_NONE || qt->type == KB_AT_NUMBER || qt->type == KB_AT_TIME) {
			if (qt_in(w, phone) || (strcmp(w, "call") == 0 && (strcmp(nx, "number") == 0 || i + 1 == n)) ||
			    (strcmp(w, "number") == 0 && i + 2 < n && strcmp(nx, "to") == 0 && strcmp(t[i + 2].low, "call") == 0))
				qt->type = KB_AT_PHONE;
			else if (strcmp(w, "email") == 0 || (strcmp(w, "e") == 0 && strcmp(nx, "mail") == 0))
				qt->type = KB_AT_EMAIL;
			else if (qt_in(w, temp) || (how && qt_in(w, (const char *const[]){"cold", "warm", "hot", NULL})))
				qt->type = KB_AT_TEMP;
			else if (qt->type != KB_AT_TIME && how && (qt_in(w, dur) || ((strcmp(w, "many") == 0 || strcmp(w, "much") == 0) &&
			    (qt_unit_hours(nx) > 0 || strcmp(nx, "time") == 0))))
				qt->type = KB_AT_DURATION;
			else if (qt->type == KB_AT_NONE && (qt_in(w, dur) && strcmp(w, "long") != 0 && strcmp(w, "soon") != 0))
				qt->type = KB_AT_DURATION;
			else if (qt->type == KB_AT_NONE && strcmp(w, "when") == 0)
				qt->type = KB_AT_TIME;
			else if (qt->type == KB_AT_NONE && (strcmp(w, "what") == 0 || strcmp(w, "which") == 0) && qt_in(nx, when))
				qt->type = KB_AT_TIME;
			else if (qt->type == KB_AT_NONE && qt_in(w, who))
				qt->type = KB_AT_PERSON;
			else if (qt->type == KB_AT_NONE && qt_in(w, num) && !(strcmp(w, "number") == 0 && i > 0 && strcmp(t[i - 1].low, "the") != 0 &&
			    !how))
				qt->type = KB_AT_NUMBER;
		}
		/* An amount of time in the question ("5 hours late", "after 30 hours"). */
		if (qt->num < 0 && w[0] >= '0' && w[0] <= '9' && qt_number_word(w, &v) && qt_unit_hours(nx) > 0)
			qt->num = v * qt_unit_hours(nx);
	}
	/* "How many" without a unit asks for a number. */
	if (qt->type == KB_AT_NONE && how) {
		for (i = 0; i + 1 < n; i++)
			if (strcmp(t[i].low, "how") == 0 &&
			    qt_in(t[i + 1].low, (const char *const[]){"many", "much", "high", "low", "large", "big", "old", "far", NULL}))
				qt->type = KB_AT_NUMBER;
	}
}

static int
qt_is_weekday_or_month(const char *w)
{
	static const char *const s[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
		"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "weekday", "weekdays", "weekend",
		"weekends", "january", "february", "march", "april", "june", "july", "august", "september", "october",
		"november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
		"dec", "daily", "weekly", "monthly", "annually", "yearly", "noon", "midnight", "morning", "afternoon",
		"evening", "night", "am", "pm", "today", "tomorrow", "yesterday", NULL};

	return qt_in(w, s);
}

static int
qt_span_phone(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t digits = 0, j = i;

		if (!(isdigit((unsigned char)s[i]) || s[i] == '+' || s[i] == '(')) {
			i++;
			continue;
		}
		while (j < n && (isdigit((unsigned char)s[j]) || s[j] == ' ' || s[j] == '-' || s[j] == '.' || s[j] == '(' ||
			   s[j] == ')' || s[j] == '+')) {
			digits += isdigit((unsigned char)s[j]) != 0;
			if (s[j] == ' ' && j + 1 < n && !(isdigit((unsigned char)s[j + 1]) || s[j + 1] == '('))
				break;
			j++;
		}
		if (digits >= 7)
			return 1;
		i = j > i ? j : i + 1;
	}
	return 0;
}

static int
qt_span_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	return at != NULL && at > s && isalnum((unsigned char)at[-1]) && memchr(at, '.', n - (size_t)(at - s)) != NULL;
}

/* Capitalised words after the first one, a title, or a role noun. */
static int
qt_span_person(const char *s, size_t n, const struct kb_tok *t, size_t nt)
{
	static const char *const roles[] = {"investigator", "coordinator", "monitor", "pharmacist", "pharmacy", "manager",
		"nurse", "physician", "doctor", "dr", "prof", "team", "desk", "office", "department", "sponsor", "cra",
		"pi", "lead", "officer", "director", "specialist", "staff", "committee", "board", "gp", "clinician",
		"helpline", "service", "centre", "center", "unit", "mr", "ms", "mrs", "midwife", "surgeon", "consultant", NULL};
	size_t i, caps = 0;
	int word_start = 1, first = 1;

	for (i = 0; i < nt; i++)
		if (qt_in(t[i].low, roles))
			return 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalpha(c)) {
			if (word_start && !first && isupper(c) && i + 1 < n && islower((unsigned char)s[i + 1]))
				caps++;
			word_start = 0;
			first = 0;
		} else {
			word_start = c == ' ' || c == '(' || c == '"';
		}
	}
	return caps >= 2;
}

int
kb_qtype_match(const struct kb_qtype *qt, const char *s, size_t n)
{
	struct kb_tok t[160];
	char buf[1024];
	size_t nt, i;
	double v;

	if (qt->type == KB_AT_NONE)
		return 1;
	if (qt->type == KB_AT_PHONE)
		return qt_span_phone(s, n);
	if (qt->type == KB_AT_EMAIL)
		return qt_span_email(s, n);
	memcpy(buf, s, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1);
	buf[n < sizeof(buf) - 1 ? n : sizeof(buf) - 1] = '\0';
	nt = kb_text_tokens(buf, t, 160);
	if (qt->type == KB_AT_PERSON)
		return qt_span_person(s, n, t, nt);
	if (qt->type == KB_AT_TEMP) {
		if (strstr(buf, "\xC2\xB0") != NULL || strstr(buf, "\xE2\x84\x83") != NULL)
			return 1;
		for (i = 0; i < nt; i++)
			if (qt_in(t[i].low, (const char *const[]){"degrees", "celsius", "fahrenheit", "refrigerated", "frozen",
				    "freezer", "room", "ambient", "refrigerator", "fridge", NULL}) ||
			    (i > 0 && t[i - 1].low[0] >= '0' && t[i - 1].low[0] <= '9' && (strcmp(t[i].low, "c") == 0 || strcmp(t[i].low, "f") == 0)))
				return 1;
		return 0;
	}
	for (i = 0; i < nt; i++) {
		const char *w = t[i].low, *nx = i + 1 < nt ? t[i + 1].low : "";
		int isnum = qt_number_word(w, &v);

		if (qt->type == KB_AT_NUMBER && w[0] >= '0' && w[0] <= '9')
			return 1;
		if (qt->type == KB_AT_NUMBER && isnum && strcmp(w, "a") != 0 && strcmp(w, "an") != 0 && strcmp(w, "single") != 0)
			return 1;
		if (qt->type == KB_AT_DURATION || qt->type == KB_AT_TIME) {
			if (isnum && (qt_unit_hours(nx) > 0 || (i + 2 < nt && qt_unit_hours(t[i + 2].low) > 0)))
				return 1;
			if (qt_in(w, (const char *const[]){"daily", "weekly", "monthly", "annually", "yearly", "hourly", "immediately",
				    "overnight", "every", "once", "twice", "fortnightly", "promptly", NULL}))
				return 1;
			if (strcmp(w, "same") == 0 && qt_unit_hours(nx) > 0)
				return 1;
		}
		if (qt->type == KB_AT_TIME) {
			if (qt_is_weekday_or_month(w))
				return 1;
			if (qt_in(w, (const char *const[]){"before", "after", "prior", "until", "by", "during", "screening",
				    "baseline", "within", "end", NULL}))
				return 1;
			if (qt_in(w, (const char *const[]){"day", "week", "month", "visit", "cycle", NULL}) && nx[0] >= '0' && nx[0] <= '9')
				return 1;
			if (w[0] >= '0' && w[0] <= '9')
				return 1;
		}
	}
	return 0;
}

int
kb_qtype_cond(const struct kb_qtype *qt, const char *s, size_t n)
{
	struct kb_tok t[160];
	char buf[1024];
	size_t nt, i;
	int verdict = 0;

	if (qt->num < 0)
		return 0;
	memcpy(buf, s, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1);
	buf[n < sizeof(buf) - 1 ? n : sizeof(buf) - 1] = '\0';
	nt = kb_text_tokens(buf, t, 160);
	for (i = 0; i < nt; i++) {
		double v, h;
		size_t k;
		int cmp = 0;

		if (!(t[i].low[0] >= '0' && t[i].low[0] <= '9') || !qt_number_word(t[i].low, &v))
			continue;
		h = i + 1 < nt ? qt_unit_hours(t[i + 1].low) : 0;
		if (h == 0)
			continue;
		for (k = i > 3 ? i - 3 : 0; k < i && cmp == 0; k++)
			cmp = qt_cmp_at(t, k);
		if (cmp == 0 && i + 3 < nt && strcmp(t[i + 2].low, "or") == 0)
			cmp = strcmp(t[i + 3].low, "more") == 0 || strcmp(t[i + 3].low, "longer") == 0 ? 1 :
			      strcmp(t[i + 3].low, "less") == 0 || strcmp(t[i + 3].low, "fewer") == 0 ? -1 : 0;
		if (cmp == 0)
			continue;
		/* The question's amount falls in this branch, or in the other. */
		if ((cmp > 0 && qt->num > v * h) || (cmp < 0 && qt->num <= v * h))
			return 1;
		verdict = -1;
	}
	return verdict;
}
