// e2e_review.mjs: the monthly review in a real browser. A visitor asks a
// question the demo knowledge base cannot answer; a member answers it; on the
// Review page the group offers "Answer and add to knowledge base", the
// dialog comes pre-filled with the member's answer, the admin approves the
// entry, and the Knowledge page's ask box then answers the same question in
// other words, citing the new entry. Builds its own data through the API.
// Needs BATON_URL and BATON_DATA; run through scripts/e2e.sh.
import { newBrowser, shot, watch, test, summary, assert, BASE, demoLogin, loginPage, apiFrom } from './lib.mjs';

const { EMAIL, PASSWORD, KEY } = demoLogin();
const T = 10000;

const QUESTION = 'Where do monitors get the wifi password for the guest network?';
const REWORDED = 'How can a visiting monitor log in to the guest wifi?';
const ANSWER = 'The guest wifi password is printed on the visitor badge you collect at reception. It changes every Monday.';

const browser = await newBrowser();
const errors = [];

const memberPage = () => loginPage(browser, errors, EMAIL, PASSWORD, { timeout: T });


async function visitorAsks(text) {
	let r = await fetch(BASE + '/widget/v1/conversations', { method: 'POST', headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ widget_key: KEY, context: { site: 'Site-404', name: 'Wifi Visitor' } }) });
	const conv = await r.json();
	r = await fetch(BASE + `/widget/v1/conversations/${conv.id}/messages`, { method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + conv.token }, body: JSON.stringify({ body: text }) });
	assert(r.status === 201, 'visitor message refused: ' + r.status);
	return conv.id;
}

async function waitStatus(page, id, want) {
	for (let i = 0; i < 200; i++) {
		const r = await apiFrom(page, 'GET', '/conversations/' + id);
		if (r.json && r.json.status === want) return r.json;
		await page.waitForTimeout(50);
	}
	throw new Error(`conversation ${id} never became ${want}`);
}

let page, convId, conv;
const month = new Date().toISOString().slice(0, 7);

await test('review 1: a handed-off question that a member answered is listed, with a link to its thread', async () => {
	page = await memberPage();
	convId = await visitorAsks(QUESTION);
	conv = await waitStatus(page, convId, 'needs_human');
	assert(conv.handoff_reason === 'low_confidence', 'expected a low-confidence handoff, got ' + conv.handoff_reason);
	const r = await apiFrom(page, 'POST', `/conversations/${convId}/messages`, { body: ANSWER, internal: false });
	assert(r.status === 201, 'member reply refused: ' + r.status);
	await page.click('a[data-nav=review]');
	await page.waitForSelector('#review-list', { timeout: T });
	assert((await page.inputValue('#review-month')) === month, 'the month picker does not default to this month');
	const group = page.locator('li.review-group', { hasText: QUESTION });
	await group.waitFor({ timeout: T });
	assert(/member time/.test(await group.locator('.review-time').textContent()), 'no member time on the group');
	await group.locator('summary').click();
	const link = group.locator(`a[href="#/inbox/${convId}"]`);
	await link.waitFor({ timeout: T });
	assert((await link.textContent()) === '#' + conv.number, 'the thread link shows the wrong number');
	assert(await group.locator('td', { hasText: ANSWER }).count() === 1, "the member's answer is not shown in the thread row");
	assert(await page.locator('#gap-list li', { hasText: QUESTION }).count() >= 1, 'the question is not among the knowledge gaps');
	await shot(page, 'review-01-groups');
});

await test('review 2: "Answer and add to knowledge base" opens a dialog pre-filled with the member\'s answer', async () => {
	const group = page.locator('li.review-group', { hasText: QUESTION });
	await group.locator('.review-propose').click();
	await page.waitForSelector('#propose-dialog[open]', { timeout: T });
	assert((await page.inputValue('#propose-question')).includes('wifi password'), 'question not pre-filled');
	const ans = await page.inputValue('#propose-answer');
	assert(ans.includes('visitor badge'), 'answer not pre-filled from the thread: ' + ans);
	await page.fill('#propose-answer', ans + ' Ask reception if it does not work.');
	await shot(page, 'review-02-dialog');
	await page.click('#propose-send');
	await page.waitForSelector('#propose-dialog[open]', { state: 'detached', timeout: T }).catch(() => {});
	const pending = page.locator('#pending-entries li', { hasText: QUESTION });
	await pending.waitFor({ timeout: T });
	assert(/Pending approval/.test(await pending.textContent()), 'the entry is not pending');
	await page.locator('li.review-group', { hasText: QUESTION }).locator('.chip', { hasText: 'Pending approval' }).waitFor({ timeout: T });
});

await test('review 3: the admin approves the entry and it becomes a knowledge-base document', async () => {
	const pending = page.locator('#pending-entries li', { hasText: QUESTION });
	await pending.locator('.review-approve').click();
	const decided = page.locator('#decided-entries li', { hasText: QUESTION });
	await decided.waitFor({ timeout: T });
	const text = await decided.textContent();
	assert(/In the knowledge base/.test(text) && /qa-where-do-monitors-get-the-wifi-password/.test(text), 'approved entry not shown with its document: ' + text);
	await page.locator('li.review-group', { hasText: QUESTION }).locator('.chip', { hasText: 'In the knowledge base' }).waitFor({ timeout: T });
	await shot(page, 'review-03-approved');
});

await test('review 3b: an admin edits an entry while approving it', async () => {
	const q = 'Is there a staff canteen monitors can use during visits?';
	const r = await apiFrom(page, 'POST', '/review/entries', { question: q, answer: 'draft' });
	assert(r.status === 201, 'proposal refused: ' + r.status);
	await page.reload();
	const pending = page.locator('#pending-entries li', { hasText: q });
	await pending.waitFor({ timeout: T });
	await pending.locator('.review-edit').click();
	await page.waitForSelector('#propose-dialog[open] #approve-answer', { timeout: T });
	assert((await page.inputValue('#approve-answer')) === 'draft', 'the edit dialog is not pre-filled');
	await page.fill('#approve-answer', 'Yes: the hospital canteen on level 1 is open to monitors from 8 am to 3 pm.');
	await page.click('#approve-send');
	const decided = page.locator('#decided-entries li', { hasText: q });
	await decided.waitFor({ timeout: T });
	assert(/canteen on level 1/.test(await decided.textContent()) && /In the knowledge base/.test(await decided.textContent()), 'the edited answer was not approved');
});

await test('review 4: asked in other words, the agent answers from the new entry (ask box and widget)', async () => {
	await page.click('a[data-nav=knowledge]');
	await page.waitForSelector('#ask-q', { timeout: T });
	assert(await page.locator('#doc-table tr[data-doc^="qa-where-do-monitors"]').count() === 1, 'the entry is not in the document list');
	await page.fill('#ask-q', REWORDED);
	await page.click('#ask-btn');
	const verdict = page.locator('#ask-verdict');
	await verdict.waitFor({ timeout: T });
	assert(/Would answer/.test(await verdict.textContent()), 'the agent would still hand off: ' + await verdict.textContent());
	assert((await page.textContent('#ask-answer')).includes('visitor badge'), 'the answer does not come from the entry');
	assert((await page.locator('.cites li').first().textContent()).startsWith('qa-where-do-monitors'), 'the answer does not cite the entry');
	await shot(page, 'review-04-ask');
	const id2 = await visitorAsks(REWORDED);
	const c2 = await waitStatus(page, id2, 'open').catch(() => null);
	let agent = null;
	for (let i = 0; i < 200 && !agent; i++) {
		const r = await apiFrom(page, 'GET', `/conversations/${id2}/messages`);
		agent = (r.json.items || []).find((m) => m.author_kind === 'agent');
		if (!agent) await page.waitForTimeout(50);
	}
	assert(agent && !agent.handoff_reason && agent.body.includes('visitor badge'), 'the widget question was not answered by the agent');
	assert(c2 && c2.status === 'open', 'the reworded widget question was handed off');
});

await test('review 5: another month shows a clear empty state', async () => {
	await page.goto(BASE + '/#/review?month=2001-01');
	await page.waitForSelector('#review-empty', { timeout: T });
	assert(/No handoffs this month/.test(await page.textContent('#review-empty')), 'no empty state');
	assert(await page.locator('#gaps-empty').count() === 1, 'no empty state for gaps');
	await shot(page, 'review-05-empty');
});

await test('review: no page errors or CSP violations', async () => {
	assert(errors.length === 0, errors.join('\n'));
});

await browser.close();
process.exit(summary() ? 1 : 0);
