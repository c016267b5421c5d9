/* cli_demo.c: `baton demo`: a demo workspace with the BTN-301 documents, five
 * members, the Site / Phase / Topic tags and their rules, a month of simulated
 * history and five live conversations.
 *
 * The history is a discrete-event simulation: every conversation's actions
 * (the visitor's question, the agent's answer, a coordinator's claim, reply,
 * tagging and resolution) are put on one time line, sorted, and replayed
 * through the domain functions with the clock fixed at each action's time
 * (util_clock_fix), so timestamps, the timeline and the audit chain agree.
 * The agent really answers each question from the demo documents; whether a
 * thread is handed off is its decision, not the script's. A fixed seed makes
 * the demo the same on every machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/alloc.h"
#include "core/embedded.h"
#include "core/jsonx.h"
#include "core/util.h"
#include "inbox/inbox.h"
#include "store/store.h"

extern const struct embedded demo_files[];

#define DAY_MS (24LL * 3600 * 1000)
#define MIN_MS (60LL * 1000)
#define HISTORY_DAYS 30

/* ---- the question bank: what sites ask, by topic; reply is what a
 * coordinator answers when the agent hands the question off ---- */

struct demo_q {
	const char *topic, *phase;
	const char *text[3];
	const char *reply;
	int weight;
};

static const struct demo_q bank[] = {
	{"Visits/Scheduling", "Treatment", {"What is the window for the week 4 visit?", "wk4 visit window?", "How many days either side for the Week 4 visit?"}, NULL, 6},
	{"Visits/Scheduling", "Treatment", {"how many days either side can we do the week 12 visit", "Week 12 visit window please", NULL}, NULL, 4},
	{"Visits/Scheduling", "Treatment", {"what happens if a visit is out of window", "Patient can only come 9 days late for week 24, what do we do?", NULL}, NULL, 4},
	{"Visits/Scheduling", "Treatment", {"do patients need to fast for blood draws", "Is fasting required before the visit?", NULL}, NULL, 3},
	{"Visits/Scheduling", "Follow-up", {"do women need a pregnancy test at every visit", "Pregnancy test at follow-up visits?", NULL}, NULL, 2},
	{"Lab/Samples", "Treatment", {"Which days can frozen samples ship?", "can we send frozen PK samples on a friday?", "Can frozen samples be shipped on a Friday?"}, NULL, 6},
	{"Lab/Samples", "Treatment", {"by when do I need to book the courier for a pickup", "courier booking deadline?", NULL}, NULL, 3},
	{"Lab/Samples", "Treatment", {"Where do frozen samples go? whats the central lab address", "central lab shipping address?", NULL}, NULL, 3},
	{"Lab/Samples", "Screening", {"how do we order more lab kits", "We are running out of sample kits, how do we reorder?", NULL}, NULL, 3},
	{"Dosing", "Treatment", {"what temperature should the IP be stored at", "IP storage temperature?", NULL}, NULL, 4},
	{"Dosing", "Treatment", {"can the syringes be kept at room temperature and for how long", "How long can the syringe stay out of the fridge?", NULL}, NULL, 3},
	{"Dosing", "Treatment", {"pt missed their injection by 5 days, what now", "What if a participant misses a dose?", NULL}, NULL, 4},
	{"Dosing", "Treatment", {"fridge went to 10 degrees overnight, can we still use the IP?", "Temperature excursion in the IP fridge, what is the process?", NULL}, NULL, 3},
	{"Dosing", "Treatment", {"max prednisone dose allowed", "Can a patient increase prednisone above 10 mg?", NULL}, NULL, 2},
	{"Eligibility", "Screening", {"what dose of methotrexate do patients need to be on", "Is a patient on MTX 10 mg eligible?", NULL}, NULL, 4},
	{"Eligibility", "Screening", {"Enbrel washout period?", "How long is the etanercept washout before baseline?", NULL}, NULL, 3},
	{"Eligibility", "Screening", {"is a patient previously on rituximab eligible?", "Prior rituximab, can they enrol?", NULL}, NULL, 3},
	{"Eligibility", "Screening", {"positive quantiferon, what do we do?", "Quantiferon came back positive at screening", NULL}, NULL, 3},
	{"Eligibility", "Screening", {"Can a patient who failed screening be rescreened?", "rescreening allowed?", NULL}, NULL, 3},
	{"Eligibility", "Screening", {"how many swollen joints does a patient need", "Swollen joint count needed for inclusion?", NULL}, NULL, 2},
	{"Consent", "Screening", {"latest informed consent form version", "Which ICF version should we be using?", NULL}, NULL, 3},
	{"Regulatory Docs", "Follow-up", {"archiving period for site documents?", "How long do we keep the ISF after close-out?", NULL}, NULL, 2},
	{"Regulatory Docs", "Screening", {"do we need a 1572 for a UK site", "Is an FDA 1572 needed for non-US sites?", NULL}, NULL, 2},
	{"Protocol Deviation", "Treatment", {"important deviation, who do we tell and how fast", "How fast do we report an important protocol deviation?", NULL}, NULL, 3},
	{"Reimbursement", "Treatment", {"how quickly are patients reimbursed for travel", "Travel reimbursement turnaround for participants?", NULL}, NULL, 3},
	/* Outside the documents: the agent should hand these off. */
	{"Site Logistics", "Treatment", {"Is there parking for monitors at the hospital?", "Where can the CRA park at Site-202?", "parking for the monitoring visit?"},
	    "Monitors can use car park P3 with a visitor permit from the main reception; we reimburse it on the monitoring visit report.", 4},
	{"Reimbursement", "Treatment", {"Is there a participant stipend for completing the study?", "Do participants get paid for completing all visits?", "completion payment for participants?"},
	    "There is no completion stipend in BTN-301. Participants are reimbursed for travel and meals per visit only (see the site operations manual).", 4},
	{"Regulatory Docs", "Treatment", {"when is the next investigator meeting", "Date of the next investigator meeting?", "is there an investigator meeting this year"},
	    "The next investigator meeting is a webinar on the first Thursday of next month at 15:00 CET; invitations go to PIs and lead coordinators.", 3},
	{"Dosing", "Treatment", {"Can participants drive after the injection?", "Is it OK for patients to drive home after dosing?", NULL},
	    "Yes, unless they felt unwell during the post-dose observation. The IB lists no effects on driving; advise them not to drive if dizzy.", 3},
	{"Lab/Samples", "Treatment", {"Can PK samples be drawn from the same line as the infusion?", "Same cannula for PK sampling?", NULL},
	    "No: draw PK samples from the opposite arm, never through the line used for dosing, and note the arm in the eCRF.", 3},
	{"Regulatory Docs", "Treatment", {"is there an interim analysis planned", "Interim analysis timing?", NULL},
	    "There is one planned interim analysis for futility after 50% of participants complete Week 12; sites are not unblinded.", 2},
	{"Visits/Scheduling", "Follow-up", {"Can the follow-up visit be done by phone?", "Is a telephone follow-up visit acceptable?", NULL},
	    "The Week 28 safety follow-up may be done by telephone if no labs are due; document the call in the source notes.", 3},
	/* Safety and escalation: the interlock stops these before any answer. */
	{"SAE", "Treatment", {"Our patient was hospitalised after the second dose, what do we do?", "We have a serious adverse event, patient admitted last night", "Is this a SAE? patient had a fall and broke a wrist"},
	    "Thank you. Please complete the SAE form in the eCRF within 24 hours of awareness; the medical monitor will call you today. I have opened the safety case.", 5},
	{"Dosing", "Treatment", {"URGENT: IP fridge failed over the weekend", "urgent - temperature alarm on the IP fridge", NULL},
	    "Quarantine the kits, keep them at 2-8 C and send the logger file; do not dose until the sponsor releases them. I have raised the excursion.", 2},
	{"Protocol Deviation", "Treatment", {"please escalate this to the medical monitor", "Can you escalate: wrong kit dispensed at visit 5", NULL},
	    "Escalated to the medical monitor. Please record the deviation in the deviation log today and keep the kit for reconciliation.", 2},
	{"Site Logistics", "Treatment", {"Can I talk to someone at Meridian about our contract?", "I need to talk to the CRA about the monitoring visit", "human please"},
	    "Happy to help: I have asked the CRA to call you tomorrow morning and copied the contracts team for the budget question.", 3},
};
#define NBANK (sizeof(bank) / sizeof(bank[0]))

static const struct {
	const char *name, *email, *role, *org, *site; /* site: their own site, or NULL for all */
} people[] = {
	{"Ana Ruiz", "ana.ruiz@site101.example", "agent", "Site-101", "Site-101"},
	{"Ben Okafor", "ben.okafor@site202.example", "agent", "Site-202", "Site-202"},
	{"Chloe Martin", "chloe.martin@site303.example", "agent", "Site-303", "Site-303"},
	{"David Chen", "david.chen@meridian-cro.example", "agent", "Meridian CRO", NULL},
	{"Emma Walsh", "emma.walsh@sponsor.example", "viewer", "Sponsor", NULL},
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static const char *const sites[] = {"Site-101", "Site-202", "Site-303"};
static const char *const visitors[] = {"Hannah Clarke", "Luc Moreau", "Maria Lopez", "Tom Reed", "Claire Dubois",
	"Priya Nair", "Jonas Weber", "Sofia Rossi", "Kwame Mensah", "Ines Silva", "Olga Novak", "Sam Taylor"};

/* ---- a small deterministic generator (xorshift64*) ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static int64_t
rnd_range(int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* ---- the simulation ---- */

enum act_kind { ACT_START, ACT_CLAIM, ACT_REPLY, ACT_THANKS, ACT_RESOLVE, ACT_SWEEP };

struct act {
	int64_t at;
	int kind;
	int conv; /* index into the conversations */
};

struct sim_conv {
	int q, variant, site, person; /* person: the coordinator who handles it */
	char id[40], token[80];
	int handed_off;
	int keep_open; /* the last days: left waiting for the team or the visitor */
};

struct demo {
	struct store *s;
	const char *ws;
	struct principal owner;
	struct principal members[NPEOPLE];
	json_t *tag_ids; /* name -> id */
	struct sim_conv *convs;
	int nconv;
	struct act *acts;
	int nact, capact;
	int handoffs;
};

static void
act_add(struct demo *d, int64_t at, int kind, int conv)
{
	if (d->nact == d->capact) {
		d->capact = d->capact ? d->capact * 2 : 1024;
		d->acts = xrealloc(d->acts, (size_t)d->capact * sizeof(*d->acts));
	}
	d->acts[d->nact++] = (struct act){at, kind, conv};
}

static int
act_cmp(const void *a, const void *b)
{
	const struct act *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->kind - y->kind;
}

static int64_t
tag_id(struct demo *d, const char *name)
{
	return jsonx_int(d->tag_ids, name, 0);
}

static void
demo_fail(const char *what, const struct errinfo *ei)
{
	fprintf(stderr, "baton: demo: %s: %s\n", what, ei->msg);
}

static int
demo_people(struct demo *d, FILE *login)
{
	size_t i;

	for (i = 0; i < NPEOPLE; i++) {
		struct errinfo ei = {0};
		json_t *req, *inv = NULL, *m = NULL;
		char pw[40];

		util_random_id(pw, 10);
		req = json_pack("{s:s,s:s,s:s}", "email", people[i].email, "role", people[i].role, "organisation", people[i].org);
		if (people[i].site != NULL)
			json_object_set_new(req, "sites", json_pack("[s]", people[i].site));
		if (inbox_invite(d->s, &d->owner, req, &inv, &ei) ||
		    inbox_invite_accept(d->s, jsonx_str(inv, "token"), people[i].name, pw, &m, &ei)) {
			demo_fail(people[i].email, &ei);
			json_decref(req);
			json_decref(inv);
			return -1;
		}
		memset(&d->members[i], 0, sizeof(d->members[i]));
		d->members[i].kind = P_MEMBER;
		d->members[i].role = role_parse(people[i].role);
		snprintf(d->members[i].workspace_id, sizeof(d->members[i].workspace_id), "%s", d->ws);
		snprintf(d->members[i].id, sizeof(d->members[i].id), "%s", jsonx_str(m, "id"));
		snprintf(d->members[i].name, sizeof(d->members[i].name), "%s", people[i].name);
		snprintf(d->members[i].email, sizeof(d->members[i].email), "%s", people[i].email);
		if (login != NULL)
			fprintf(login, "                %-34s %-8s password %s\n", people[i].email, people[i].role, pw);
		json_decref(req);
		json_decref(inv);
		json_decref(m);
	}
	return 0;
}

static json_t *
json_obj_kv(const char *k, json_t *v)
{
	json_t *o = json_object();

	json_object_set_new(o, k, v);
	return o;
}

/* Tag groups, tags with colours and descriptions, and the rules that apply them. */
static int
demo_tags(struct demo *d)
{
	static const struct {
		const char *group, *card;
	} groups[] = {{"Site", "one"}, {"Phase", "at_most_one"}, {"Topic", "any"}};
	static const struct {
		const char *group, *name, *colour, *desc;
	} tags[] = {
		{"Site", "Site-101", "#2563eb", "St Mary's Hospital, London (PI Dr Osei)"},
		{"Site", "Site-202", "#7c3aed", "Hopital Saint-Louis, Lyon (PI Dr Girard)"},
		{"Site", "Site-303", "#0891b2", "Hospital del Mar, Barcelona (PI Dr Vidal)"},
		{"Phase", "Screening", "#65a30d", "Consent, eligibility and the screening visit"},
		{"Phase", "Treatment", "#ca8a04", "Baseline to Week 24: dosing and study visits"},
		{"Phase", "Follow-up", "#9333ea", "Safety follow-up after the last dose and close-out"},
		/* The Topic tags and descriptions of demo/tagged.jsonl, the labelled set the suggestions are measured on. */
		{"Topic", "Eligibility", "#0d9488", "Inclusion and exclusion criteria, screening, washout of prior biologics, TB and hepatitis screening, rescreening"},
		{"Topic", "Visits/Scheduling", "#2563eb", "Visit schedule and visit windows, missed or rescheduled visits, fasting before visits, monitoring visits"},
		{"Topic", "Lab/Samples", "#4f46e5", "Blood and PK sample collection and processing, lab kits, shipping samples to the central lab, couriers"},
		{"Topic", "SAE", "#dc2626", "Serious adverse events: hospitalisation, death, pregnancy reports, SUSARs, safety reporting timelines"},
		{"Topic", "Dosing", "#c2410c", "Investigational product (IP): administration, missed doses, storage and temperature excursions, concomitant medication, vaccines"},
		{"Topic", "Protocol Deviation", "#db2777", "Deviations from the protocol: logging and reporting deviations, important deviations, wrong kit dispensed, missed assessments"},
		{"Topic", "Regulatory Docs", "#475569", "Investigator site file (ISF), essential documents, GCP certificates, CVs, delegation log, ethics approvals, archiving"},
		{"Topic", "Consent", "#059669", "Informed consent forms (ICF): versions, reconsent, who may take consent, translations, optional consents"},
		{"Topic", "Reimbursement", "#a16207", "Participant travel expenses, stipends and payments; site payments and invoices"},
		{"Topic", "eCRF/Data", "#0891b2", "Electronic case report form (eCRF, EDC): access, data entry deadlines, queries, corrections, source documents"},
		{"Topic", "Site Logistics", "#64748b", "Parking, contracts, contacts at the CRO, investigator meetings"},
	};
	json_t *gids = json_object();
	size_t i;
	int rc = -1;

	d->tag_ids = json_object();
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct errinfo ei = {0};
		json_t *req = json_pack("{s:s,s:s}", "name", groups[i].group, "cardinality", groups[i].card), *g = NULL;

		if (inbox_tag_group_create(d->s, &d->owner, req, &g, &ei)) {
			demo_fail(groups[i].group, &ei);
			json_decref(req);
			goto out;
		}
		json_object_set_new(gids, groups[i].group, json_integer(jsonx_int(g, "id", 0)));
		json_decref(req);
		json_decref(g);
	}
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct errinfo ei = {0};
		json_t *req = json_pack("{s:s,s:I,s:s,s:s}", "name", tags[i].name, "group_id",
		    (json_int_t)jsonx_int(gids, tags[i].group, 0), "colour", tags[i].colour, "description", tags[i].desc), *t = NULL;

		if (inbox_tag_create(d->s, &d->owner, req, &t, &ei)) {
			demo_fail(tags[i].name, &ei);
			json_decref(req);
			goto out;
		}
		json_object_set_new(d->tag_ids, tags[i].name, json_integer(jsonx_int(t, "id", 0)));
		json_decref(req);
		json_decref(t);
	}
	{
		static const struct {
			const char *name, *site, *tag, *words, *priority;
		} rules[] = {
			{"Site-101 conversations", "Site-101", "Site-101", NULL, NULL},
			{"Site-202 conversations", "Site-202", "Site-202", NULL, NULL},
			{"Site-303 conversations", "Site-303", "Site-303", NULL, NULL},
			{"Safety words are SAE, urgent", NULL, "SAE", "serious adverse event|SAE|hospitalised|hospitalized|admitted|death", "urgent"},
			{"Deviations", NULL, "Protocol Deviation", "deviation|wrong kit|out of window", "high"},
			{"Consent questions", NULL, "Consent", "consent|ICF", NULL},
		};

		for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
			struct errinfo ei = {0};
			json_t *cond = json_object(), *act, *req, *r = NULL;

			if (rules[i].site != NULL)
				json_object_set_new(cond, "site", json_string(rules[i].site));
			if (rules[i].words != NULL) {
				json_t *any = json_array();
				char buf[256], *tok, *save = NULL;

				snprintf(buf, sizeof(buf), "%s", rules[i].words);
				for (tok = strtok_r(buf, "|", &save); tok != NULL; tok = strtok_r(NULL, "|", &save))
					json_array_append_new(any, json_string(tok));
				json_object_set_new(cond, "text_any", any);
			}
			act = json_obj_kv("add_tags", json_pack("[I]", (json_int_t)tag_id(d, rules[i].tag)));
			if (rules[i].priority != NULL)
				json_object_set_new(act, "priority", json_string(rules[i].priority));
			req = json_pack("{s:s,s:I,s:o,s:o}", "name", rules[i].name, "position", (json_int_t)(i + 1), "conditions", cond,
			    "actions", act);
			if (inbox_rule_save(d->s, &d->owner, 0, req, &r, &ei)) {
				demo_fail(rules[i].name, &ei);
				json_decref(req);
				goto out;
			}
			json_decref(req);
			json_decref(r);
		}
	}
	rc = 0;
out:
	json_decref(gids);
	return rc;
}

static int
pick_question(void)
{
	int total = 0, r;
	size_t i;

	for (i = 0; i < NBANK; i++)
		total += bank[i].weight;
	r = (int)rnd_range(0, total - 1);
	for (i = 0; i < NBANK; i++) {
		r -= bank[i].weight;
		if (r < 0)
			return (int)i;
	}
	return 0;
}

static int
person_for(int site)
{
	/* The site's own coordinator most of the time; the CRO monitor otherwise. */
	return rnd_range(0, 99) < 75 ? site : 3;
}

/* Minutes until a coordinator picks a handoff up: quick at 101, slower at
 * 303, and the next morning when it arrives after hours. */
static int64_t
pickup_delay(int64_t at, int site)
{
	int64_t hour = (at % DAY_MS) / (3600 * 1000), mins;
	static const int base[] = {8, 20, 55};

	mins = base[site] / 2 + rnd_range(0, base[site] * 2);
	if (hour >= 18)
		mins += (24 - hour + 8) * 60;
	return mins * MIN_MS;
}

/* Plan the month: when each conversation starts (working hours, fewer at
 * weekends) and its follow-up actions. */
static void
demo_plan(struct demo *d, int64_t start)
{
	int day, cap = 512;

	d->convs = xcalloc((size_t)cap, sizeof(*d->convs));
	for (day = 0; day < HISTORY_DAYS; day++) {
		int64_t day0 = start + day * DAY_MS;
		int wd = (int)(((day0 / DAY_MS) + 4) % 7); /* 0 = Sunday */
		int n = (wd == 0 || wd == 6) ? (int)rnd_range(0, 2) : (int)rnd_range(7, 13), k;

		for (k = 0; k < n; k++) {
			struct sim_conv *c;
			int64_t at = day0 + rnd_range(7 * 60, 19 * 60) * MIN_MS + rnd_range(0, 59999);
			int r = (int)rnd_range(0, 99);

			if (d->nconv == cap) {
				cap *= 2;
				d->convs = xrealloc(d->convs, (size_t)cap * sizeof(*d->convs));
			}
			c = &d->convs[d->nconv];
			memset(c, 0, sizeof(*c));
			c->q = pick_question();
			do
				c->variant = (int)rnd_range(0, 2);
			while (bank[c->q].text[c->variant] == NULL);
			c->site = r < 45 ? 0 : r < 80 ? 1 : 2;
			c->person = person_for(c->site);
			c->keep_open = day >= HISTORY_DAYS - 2 && rnd_range(0, 99) < 60;
			act_add(d, at, ACT_START, d->nconv);
			d->nconv++;
		}
	}
}

static void
conv_tag(struct demo *d, struct sim_conv *c, const struct principal *who, const char *name)
{
	struct errinfo ei = {0};
	json_t *out = NULL;

	if (name != NULL && tag_id(d, name) > 0)
		inbox_conv_tag(d->s, who, c->id, tag_id(d, name), 0, &out, &ei);
	json_decref(out);
}

/* A visitor writes: in a new widget conversation at site when id is empty
 * (id and token are filled in), else in conversation id; with answer, the
 * agent answers at once as the live loop would. 0 when the message is in. */
static int
demo_visitor(struct demo *d, const char *site, const char *name, const char *text, char id[40], char token[80],
    int answer)
{
	struct errinfo ei = {0};
	struct principal v;
	json_t *msg = NULL;
	int rc = -1;

	if (id[0] == '\0') {
		json_t *ctx = json_pack("{s:s,s:s,s:s}", "site", site, "name", name, "protocol", "BTN-301"), *conv = NULL;

		if (inbox_conv_start(d->s, d->ws, "widget", ctx, token, &conv, &ei) == ERR_OK)
			snprintf(id, 40, "%s", jsonx_str(conv, "id"));
		json_decref(ctx);
		json_decref(conv);
		if (id[0] == '\0')
			return -1;
	}
	memset(&v, 0, sizeof(v));
	if (inbox_visitor_lookup(d->s, id, token, &v) == ERR_OK &&
	    inbox_msg_post(d->s, &v, id, "visitor", text, 0, NULL, &msg, &ei) == ERR_OK) {
		if (answer)
			inbox_agent_answer(d->s, d->ws, id, jsonx_int(msg, "id", 0));
		rc = 0;
	}
	principal_clear(&v);
	json_decref(msg);
	return rc;
}

static void
demo_act(struct demo *d, const struct act *a)
{
	struct sim_conv *c = &d->convs[a->conv];
	const struct demo_q *q = &bank[c->q];
	struct principal *m = &d->members[c->person];
	struct errinfo ei = {0};
	json_t *out = NULL;

	switch (a->kind) {
	case ACT_START: {
		json_t *conv;

		demo_visitor(d, sites[c->site], visitors[rnd() % (sizeof(visitors) / sizeof(visitors[0]))], q->text[c->variant],
		    c->id, c->token, 1);
		if (c->id[0] == '\0')
			return;
		conv = inbox_conv_get(d->s, &d->owner, c->id, &ei);
		c->handed_off = conv != NULL && strcmp(jsonx_str(conv, "status"), "needs_human") == 0;
		json_decref(conv);
		if (c->handed_off) {
			int64_t claim = a->at + pickup_delay(a->at, c->site);

			d->handoffs++;
			if (c->keep_open && rnd_range(0, 1) == 0)
				return; /* still waiting for the team */
			act_add(d, claim, ACT_CLAIM, a->conv);
			act_add(d, claim + rnd_range(3, 25) * MIN_MS, ACT_REPLY, a->conv);
			if (c->keep_open)
				return; /* the coordinator replied; waiting on the visitor */
			act_add(d, claim + rnd_range(30, 90) * MIN_MS, ACT_THANKS, a->conv);
			act_add(d, claim + rnd_range(2, 30) * 60 * MIN_MS, ACT_RESOLVE, a->conv);
		} else if (!c->keep_open && rnd_range(0, 99) < 85) {
			act_add(d, a->at + rnd_range(2, 8) * 60 * MIN_MS, ACT_SWEEP, a->conv);
		}
		return;
	}
	case ACT_CLAIM:
		inbox_conv_claim(d->s, m, c->id, &out, &ei);
		json_decref(out);
		out = inbox_conv_tags(d->s, d->ws, c->id);
		{
			/* The coordinator files the thread: its topic (unless a rule
			 * did) and the trial phase. */
			int has_topic = 0;
			size_t i;
			json_t *t;

			json_array_foreach (out, i, t)
				if (strcmp(jsonx_str(t, "name"), q->topic) == 0)
					has_topic = 1;
			if (!has_topic)
				conv_tag(d, c, m, q->topic);
		}
		conv_tag(d, c, m, q->phase);
		json_decref(out);
		return;
	case ACT_REPLY:
		if (rnd_range(0, 99) < 30) {
			char note[300];

			snprintf(note, sizeof(note), "@%s FYI, this comes up a lot at %s; worth adding to the FAQ.",
			    d->members[3].name, sites[c->site]);
			inbox_msg_post(d->s, m, c->id, "member", note, 1, NULL, &out, &ei);
			json_decref(out);
			out = NULL;
		}
		if (inbox_msg_post(d->s, m, c->id, "member", q->reply != NULL ? q->reply :
		    "Thanks for checking. The answer is in the protocol documents; I have confirmed it with the study team.", 0, NULL, &out, &ei))
			demo_fail("a coordinator's reply", &ei);
		json_decref(out);
		return;
	case ACT_THANKS:
		if (rnd_range(0, 99) < 50)
			demo_visitor(d, NULL, NULL, "Thank you, that is clear.", c->id, c->token, 0);
		return;
	case ACT_RESOLVE:
	case ACT_SWEEP:
		/* The site's coordinator closes threads the agent settled, too. */
		inbox_conv_status(d->s, a->kind == ACT_SWEEP ? &d->members[c->site] : m, c->id, "resolved", &out, &ei);
		json_decref(out);
		if (a->kind == ACT_SWEEP && rnd_range(0, 99) < 60) {
			/* ...and files most of them by topic and phase. */
			conv_tag(d, c, &d->members[c->site], q->topic);
			conv_tag(d, c, &d->members[c->site], q->phase);
		}
		return;
	}
}

/* A few conversations happening now, so the inbox has live work on first look. */
static void
demo_live(struct demo *d)
{
	static const struct {
		const char *site, *name, *text;
	} seeds[] = {
		{"Site-101", "Hannah Clarke", "What is the visit window for the Week 4 visit?"},
		{"Site-202", "Luc Moreau", "Can frozen samples be shipped on a Friday?"},
		{"Site-303", "Maria Lopez", "Our patient was hospitalised after the second dose, what do we do?"},
		{"Site-101", "Tom Reed", "Is there parking for monitors at the hospital?"},
		{"Site-202", "Claire Dubois", "Can I talk to someone at Meridian about our contract?"},
	};
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char id[40] = "", tok[80];

		demo_visitor(d, seeds[i].site, seeds[i].name, seeds[i].text, id, tok, 1);
	}
}

int
cli_demo(struct cli *c)
{
	const struct embedded *f;
	struct errinfo ei = {0};
	struct demo d;
	json_t *out = NULL;
	char path[4096];
	FILE *lf = NULL;
	int n = 0, rc = 1, i;
	int64_t now = util_now_ms(), start;

	memset(&d, 0, sizeof(d));
	d.s = cli_store(c);
	if (d.s == NULL)
		return 1;
	inbox_set_agent_hook(NULL);
	/* The history starts HISTORY_DAYS days ago at midnight UTC; the
	 * workspace and its documents exist the day before. */
	start = (now / DAY_MS - HISTORY_DAYS) * DAY_MS;
	util_clock_fix(start - DAY_MS + 9 * 3600 * 1000);
	if (inbox_workspace_create(d.s, "BTN-301 demo", "demo@baton.example", &out, &ei)) {
		fprintf(stderr, "baton: %s (the demo is already loaded? use another --data directory)\n", ei.msg);
		goto out;
	}
	d.ws = jsonx_str(out, "workspace_id");
	d.owner.kind = P_ANON;
	d.owner.role = ROLE_OWNER;
	snprintf(d.owner.workspace_id, sizeof(d.owner.workspace_id), "%s", d.ws);
	for (f = demo_files; f->path != NULL; f++) {
		const char *name = strrchr(f->path, '/') + 1;
		json_t *doc = NULL;

		if (strncmp(f->path, "/kb/", 4) != 0 && strncmp(f->path, "/copies/", 8) != 0)
			continue;
		if (inbox_kb_add(d.s, &d.owner, NULL, f->data, f->len, name, "2026-09-01", &doc, &ei)) {
			fprintf(stderr, "baton: demo document %s: %s\n", name, ei.msg);
			continue;
		}
		n++;
		json_decref(doc);
	}
	snprintf(path, sizeof(path), "%s/demo-login.txt", c->data);
	lf = fopen(path, "w");
	if (lf != NULL) {
		chmod(path, 0600);
		fprintf(lf, "Demo workspace: BTN-301 demo (%d documents)\nLog in as:      %s\nPassword:       %s\nWidget key:     %s\n"
		    "Other members:\n", n, jsonx_str(out, "admin_email"), jsonx_str(out, "password"), jsonx_str(out, "widget_key"));
	}
	if (demo_people(&d, lf) || demo_tags(&d))
		goto out;
	demo_plan(&d, start);
	/* Replay in time order; actions scheduled while replaying join the queue. */
	for (i = 0; i < d.nact; i++) {
		qsort(d.acts + i, (size_t)(d.nact - i), sizeof(*d.acts), act_cmp);
		if (d.acts[i].at >= now)
			continue;
		util_clock_fix(d.acts[i].at);
		demo_act(&d, &d.acts[i]);
	}
	util_clock_fix(0);
	demo_live(&d);
	printf("Demo workspace \"BTN-301 demo\" loaded with %d documents, %zu members and %d conversations\n"
	    "over the last %d days (%d handed off to a coordinator), plus 5 live ones.\n",
	    n, NPEOPLE + 1, d.nconv, HISTORY_DAYS, d.handoffs);
	printf("Log in as %s with password %s\n", jsonx_str(out, "admin_email"), jsonx_str(out, "password"));
	printf("Try: baton --data %s ask \"what is the week 4 visit window?\"\n", c->data);
	rc = 0;
out:
	util_clock_fix(0);
	if (lf != NULL)
		fclose(lf);
	for (i = 0; i < (int)NPEOPLE; i++)
		principal_clear(&d.members[i]);
	free(d.convs);
	free(d.acts);
	json_decref(d.tag_ids);
	json_decref(out);
	ST(d.s, close);
	return rc;
}
