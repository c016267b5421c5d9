// e2e_suggest.mjs: suggested tags and "answered in #N" in a real browser:
// a visitor's question shows suggestion chips with their score, one click on
// ✓ applies the tag (with the member as its source), ✕ removes a chip, new
// chips arrive live, and a paraphrase of a question a member answered in
// another thread shows the notice with a link. Screenshots in SHOTS.
// Needs BATON_URL and BATON_DATA (a fresh `baton demo`); run by scripts/e2e.sh.
import fs from 'node:fs';
import { newBrowser, shot, watch, test, summary, assert, BASE, demoLogin, loginPage, apiFrom } from './lib.mjs';

const { EMAIL, PASSWORD, KEY } = demoLogin();
const T = 15000;
const TAGGED = new URL('../../demo/tagged.jsonl', import.meta.url);

const browser = await newBrowser();
const errors = [];
const stamp = Date.now().toString(36);

const memberPage = () => loginPage(browser, errors, EMAIL, PASSWORD, { timeout: T });


// A visitor thread through the widget API (as the widget itself does).
async function visitorAsks(text, site = 'Site-101') {
	let r = await fetch(BASE + '/widget/v1/conversations', { method: 'POST', headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ widget_key: KEY, context: { site, name: 'Visitor ' + stamp } }) });
	const c = await r.json();
	const say = async (body) => {
		r = await fetch(BASE + `/widget/v1/conversations/${c.id}/messages`, { method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + c.token }, body: JSON.stringify({ body }) });
		assert(r.status === 201, 'visitor message refused: ' + r.status);
	};
	if (text) await say(text);
	return { id: c.id, say };
}

// Open a thread only once the agent has answered its visitor, so no event for
// it races the view's first load.
async function settled(id) {
	await poll(async () => ((await apiFrom(member, 'GET', `/conversations/${id}/messages`)).json.items || []).some((m) => m.author_kind === 'agent'), 'the agent answer');
}

async function poll(fn, what, ms = T) {
	const t0 = Date.now();
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() - t0 > ms) throw new Error('timed out waiting for ' + what);
		await new Promise((r) => setTimeout(r, 100));
	}
}

let member, tags = {}, answered, previousThreshold;

await test('suggest: the workspace has Topic tags with descriptions', async () => {
	member = await memberPage();
	const lines = fs.readFileSync(TAGGED, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
	let r = await apiFrom(member, 'GET', '/tags');
	let topic = (r.json.groups || []).find((g) => g.name === 'Topic');
	if (!topic) topic = (await apiFrom(member, 'POST', '/tag-groups', { name: 'Topic', cardinality: 'any' })).json;
	assert(topic && topic.id, 'no Topic group');
	const have = Object.fromEntries((r.json.items || []).map((t) => [t.name, t]));
	for (const t of lines.filter((l) => l.tag)) {
		if (!have[t.tag]) {
			const c = await apiFrom(member, 'POST', '/tags', { name: t.tag, group_id: topic.id, description: t.description, colour: '#0f5f5c' });
			assert(c.status === 201 || c.status === 200, 'tag not created: ' + JSON.stringify(c.json));
			have[t.tag] = c.json;
		}
		tags[t.tag] = have[t.tag].id;
	}
	const set = await apiFrom(member, 'GET', '/settings');
	previousThreshold = set.json.suggest_auto_threshold;
	r = await apiFrom(member, 'PATCH', '/settings', { suggest_auto_threshold: 1 });
	assert(r.status === 200, 'settings: ' + JSON.stringify(r.json));
	// A little tagged history, as members would have made it.
	for (const q of lines.filter((l) => l.question && Number(l.group.slice(1)) % 4 !== 0).slice(0, 24)) {
		const v = await visitorAsks(q.question);
		for (const name of q.tags) await apiFrom(member, 'POST', `/conversations/${v.id}/tags`, { tag_id: tags[name] });
	}
});

await test('suggest: a member answer in one thread', async () => {
	answered = await visitorAsks('Which days of the week can frozen samples be shipped to the central lab? ' + stamp);
	const r = await apiFrom(member, 'POST', `/conversations/${answered.id}/messages`, { body: 'Frozen samples ship Monday to Wednesday only, never before a weekend.', internal: false });
	assert(r.status === 201, 'reply: ' + JSON.stringify(r.json));
	answered.number = (await apiFrom(member, 'GET', `/conversations/${answered.id}`)).json.number;
});

await test('suggest: chips with scores and "answered in #N" on a new question', async () => {
	const v = await visitorAsks('what days of the week can we ship frozen samples to the lab?');
	await poll(async () => (await apiFrom(member, 'GET', `/conversations/${v.id}/suggestions`)).json.items.length > 0, 'suggestions');
	await settled(v.id);
	await member.goto(BASE + '/#/inbox/' + v.id);
	await member.reload(); // a fresh page: no toasts left from the seeding above
	const chip = member.locator('#suggestions .sugg-chip', { hasText: 'Lab/Samples' });
	await chip.waitFor({ timeout: T });
	const score = await chip.locator('.sugg-score').textContent();
	assert(/^suggested · \d+%$/.test(score.trim()), 'score text: ' + score);
	const notice = member.locator('#duplicates .dup-notice', { hasText: '#' + answered.number });
	await notice.waitFor({ timeout: T });
	assert((await notice.textContent()).includes('Monday'), 'the notice shows the team answer');
	assert(await notice.locator('a.dup-link').getAttribute('href') === '#/inbox/' + answered.id, 'the notice links to the thread');
	await shot(member, 'suggest-chips-and-duplicate');

	await chip.locator('.sugg-ok').click();
	await member.locator('.conv-tags .tag', { hasText: 'Lab/Samples' }).waitFor({ timeout: T });
	await member.locator('#suggestions .sugg-chip', { hasText: 'Lab/Samples' }).waitFor({ state: 'detached', timeout: T });
	const conv = (await apiFrom(member, 'GET', `/conversations/${v.id}`)).json;
	const t = conv.tags.find((x) => x.name === 'Lab/Samples');
	assert(t && t.source === 'member', 'the accepted tag has the member as source: ' + JSON.stringify(conv.tags));
	await shot(member, 'suggest-accepted');

	await member.locator('#duplicates a.dup-link').first().click();
	await poll(async () => member.url().endsWith('#/inbox/' + answered.id), 'the link opens the answered thread');
});

await test('suggest: new chips arrive live and ✕ rejects one', async () => {
	const v = await visitorAsks('hello, quick question');
	await settled(v.id);
	await member.goto(BASE + '/#/inbox/' + v.id);
	await member.locator('#conv-title').waitFor({ timeout: T });
	// (not a Consent question: the demo has a rule that tags those at once)
	await v.say('how soon are participants paid back for their travel expenses and taxi receipts?');
	const chip = member.locator('#suggestions .sugg-chip', { hasText: 'Reimbursement' });
	await chip.waitFor({ timeout: T }); // no reload: the suggestions.updated event
	await shot(member, 'suggest-live');
	await chip.locator('.sugg-no').click();
	await chip.waitFor({ state: 'detached', timeout: T });
	const r = await apiFrom(member, 'GET', `/conversations/${v.id}/suggestions`);
	assert(!r.json.items.some((s) => s.name === 'Reimbursement'), 'the rejected suggestion is gone');
	const conv = (await apiFrom(member, 'GET', `/conversations/${v.id}`)).json;
	assert(!conv.tags.some((x) => x.name === 'Reimbursement'), 'a rejected suggestion is not applied');
});

await test('suggest: no page errors or CSP violations', async () => {
	if (member && previousThreshold !== undefined) await apiFrom(member, 'PATCH', '/settings', { suggest_auto_threshold: previousThreshold });
	assert(errors.length === 0, errors.join('\n'));
});

await browser.close();
process.exit(summary() ? 1 : 0);
