// e2e_reports.mjs: issue 5's screens in a real browser: the dashboard over
// the demo's month of history, the shift handover, the tag and rule settings,
// and the tag controls on a conversation (cardinality, provenance).
// Run through scripts/e2e.sh (a fresh `baton demo` being served).
import { newBrowser, shot, watch, test, summary, assert, BASE, demoLogin, apiFrom } from './lib.mjs';

const { EMAIL, PASSWORD, KEY } = demoLogin();
const T = 10000;

const browser = await newBrowser();
const errors = [];
const ctx = await browser.newContext({ viewport: { width: 1440, height: 1400 } });
const page = await ctx.newPage();
watch(page, errors);

const api = (method, p, body) => apiFrom(page, method, p, body);

await test('log in for the reports screens', async () => {
	await page.goto(BASE + '/');
	await page.fill('#login-email', EMAIL);
	await page.fill('#login-password', PASSWORD);
	await page.click('form button[type=submit]');
	await page.waitForSelector('#conv-list', { timeout: T });
});

await test('the dashboard charts the demo month: volume, rates, topics, sites, reasons, times, heat map', async () => {
	await page.click('nav >> text=Reports');
	await page.locator('#kpi-conversations .kpi-value').waitFor({ timeout: T });
	const total = Number(await page.textContent('#kpi-conversations .kpi-value'));
	const api0 = await api('GET', '/dashboard?from=' + await page.inputValue('#dash-from'));
	assert(total > 150, `the demo month should have more than 150 conversations, the dashboard shows ${total}`);
	assert(total === api0.json.totals.conversations, `the screen (${total}) and the API (${api0.json.totals.conversations}) disagree`);
	assert(/\d+%/.test(await page.textContent('#kpi-handoff .kpi-value')), 'handoff rate is not a percentage');
	assert(/min|h|s|days/.test(await page.textContent('#kpi-first-reply .kpi-value')), 'no median first human reply');
	assert(await page.locator('#chart-volume rect.bar-handoff').count() >= 4, 'fewer than 4 weekly bars');
	assert(await page.locator('#chart-rates polyline').count() === 2, 'the rates chart needs two lines');
	assert(await page.locator('#chart-topic .hbar').count() >= 5, 'handoffs by topic has fewer than 5 topics');
	assert(await page.locator('#chart-site .hbar').count() === 3, 'handoffs by site should list the 3 demo sites');
	assert(await page.locator('#chart-reason .hbar').count() >= 2, 'handoffs by reason has fewer than 2 reasons');
	assert(await page.locator('#chart-heat td').count() >= 15, 'the heat map is too small');
	await shot(page, '30-dashboard');
});

await test('dashboard filters: one site shows only that site', async () => {
	const all = Number(await page.textContent('#kpi-conversations .kpi-value'));
	await page.selectOption('#dash-site', 'Site-303');
	await page.locator('#chart-site .hbar').first().waitFor({ timeout: T });
	for (let i = 0; i < 50 && (await page.locator('#chart-site .hbar').count()) !== 1; i++) await page.waitForTimeout(100);
	const one = Number(await page.textContent('#kpi-conversations .kpi-value'));
	assert(await page.locator('#chart-site .hbar').count() === 1, 'filtering by site still shows several sites');
	assert(one > 0 && one < all, `Site-303 has ${one} of ${all} conversations`);
	await shot(page, '31-dashboard-site-303');
	await page.selectOption('#dash-site', '');
});

await test('shift handover lists open threads with owner and waiting time, needs-a-person first', async () => {
	await page.click('text=Shift handover');
	await page.locator('#handover-table tbody tr').first().waitFor({ timeout: T });
	const first = await page.textContent('#handover-table tbody tr:first-child');
	assert(/Needs a person/.test(first), 'the first handover row is not a thread that needs a person: ' + first);
	await shot(page, '32-handover');
	await page.click('text=Usage and exports');
	await page.locator('#usage-answers .kpi-value').waitFor({ timeout: T });
	assert(Number(await page.textContent('#usage-answers .kpi-value')) > 0, 'usage shows no agent answers');
	await shot(page, '33-usage');
});

await test('tag settings: groups with their cardinality; adding a tag', async () => {
	await page.goto(BASE + '/#/settings/tags');
	await page.locator('section[aria-label="Tag group Site"] h2', { hasText: 'exactly one per thread' }).waitFor({ timeout: T });
	assert(await page.locator('section[aria-label="Tag group Phase"] h2', { hasText: 'at most one per thread' }).count() === 1, 'Phase is not shown as at most one');
	const topic = page.locator('section[aria-label="Tag group Topic"]');
	await topic.locator('input[aria-label="New tag name"]').fill('Shipping');
	await topic.locator('input[aria-label="New tag description"]').fill('Couriers, dry ice, shipping days');
	await topic.locator('button', { hasText: 'Add tag' }).click();
	await page.locator('input[aria-label="Name of Shipping"]').waitFor({ timeout: T });
	await shot(page, '34-settings-tags');
});

await test('rule settings: a bad pattern is refused with the reason; a good rule is saved and described', async () => {
	await page.goto(BASE + '/#/settings/rules');
	await page.locator('#rule-form').waitFor({ timeout: T });
	await page.fill('#rule-name', 'Courier questions');
	await page.fill('#rule-pattern', 'courier(');
	await page.selectOption('#rule-add-tag', { label: 'Topic: Shipping' });
	await page.click('#rule-form button[type=submit]');
	await page.locator('#rule-error:not([hidden])').waitFor({ timeout: T });
	assert(/regular expression/.test(await page.textContent('#rule-error')), 'the bad pattern error does not say why');
	await page.fill('#rule-pattern', 'courier|dry ice');
	await page.click('#rule-form button[type=submit]');
	await page.locator('#rules-table', { hasText: 'Courier questions' }).waitFor({ timeout: T });
	assert(await page.locator('#rules-table', { hasText: 'matches /courier|dry ice/' }).count() === 1, 'the rule is not described');
	await shot(page, '35-settings-rules');
});

await test('the rule tags a new visitor message; a second Site tag replaces the first and says so; provenance shows', async () => {
	const key = KEY;
	const start = await page.evaluate(async (k) => {
		const r = await fetch('/widget/v1/conversations', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ widget_key: k, context: { site: 'Site-101', name: 'Rule Tester' } }) });
		const c = await r.json();
		await fetch(`/widget/v1/conversations/${c.id}/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + c.token }, body: JSON.stringify({ body: 'When does the courier collect the dry ice box?' }) });
		return c;
	}, key);
	await page.goto(BASE + '/#/inbox/' + start.id);
	const chips = page.locator('.conv-tags .tag');
	await page.locator('.conv-tags .tag', { hasText: 'Shipping' }).waitFor({ timeout: T });
	const ship = await page.locator('.conv-tags .tag', { hasText: 'Shipping' }).getAttribute('title');
	assert(/a rule/.test(ship), 'the rule-applied tag does not say a rule added it: ' + ship);
	assert((await chips.allTextContents()).some((t) => t.includes('Site-101')), 'the site rule did not tag Site-101');
	await page.selectOption('.conv-tags select.tag-add', { label: 'Site: Site-202' });
	await page.locator('.toast', { hasText: 'replaced Site-101' }).waitFor({ timeout: T });
	await page.locator('.conv-tags .tag', { hasText: 'Site-202' }).waitFor({ timeout: T });
	const texts = await chips.allTextContents();
	assert(!texts.some((t) => t.includes('Site-101')), 'Site-101 is still on the thread: ' + texts.join(' | '));
	const site = await page.locator('.conv-tags .tag', { hasText: 'Site-202' }).getAttribute('title');
	assert(/Added by (?!a rule)/.test(site), 'the member-applied tag does not name who added it: ' + site);
	await shot(page, '36-conversation-tags');
	const c = await api('GET', '/conversations/' + start.id);
	assert(c.json.tags.some((t) => t.name === 'Site-202' && t.source === 'member'), 'the API does not record the member as the source');
});

await test('inbox tag filters: all of two tags finds only threads with both; any of them finds more', async () => {
	await page.goto(BASE + '/#/inbox');
	await page.locator('#f-tags option', { hasText: 'Topic: Shipping' }).waitFor({ state: 'attached', timeout: T });
	await page.click('text=Everything');
	await page.selectOption('#f-tags', [{ label: 'Topic: Shipping' }, { label: 'Site: Site-202' }]);
	await page.check('#f-tag-all');
	await page.locator('#conv-list .conv', { hasText: 'Rule Tester' }).waitFor({ timeout: T });
	for (let i = 0; i < 50 && (await page.locator('#conv-list .conv').count()) !== 1; i++) await page.waitForTimeout(100);
	assert(await page.locator('#conv-list .conv').count() === 1, 'all-of should find just the one thread with both tags');
	await shot(page, '37-inbox-tag-filter-all');
	await page.check('#f-tag-any');
	for (let i = 0; i < 50 && (await page.locator('#conv-list .conv').count()) < 2; i++) await page.waitForTimeout(100);
	assert(await page.locator('#conv-list .conv').count() > 1, 'any-of should find every Site-202 thread too');
	const t = await api('GET', '/conversations?tags_all=' + (await page.locator('#f-tags').evaluate((el) => [...el.selectedOptions].map((o) => o.value).join(','))));
	assert(t.json.items.length === 1, 'the API disagrees with the screen on all-of');
});

await test('a conversation offers its printable transcript', async () => {
	await page.locator('#conv-list .conv', { hasText: 'Rule Tester' }).click();
	const href = await page.locator('#transcript').getAttribute('href');
	const r = await page.request.get(BASE + href);
	assert(r.status() === 200 && /text\/html/.test(r.headers()['content-type']) && (await r.text()).includes('dry ice'), 'the transcript is not the thread as HTML');
});

await test('no script errors or CSP violations on the reports screens', async () => {
	assert(errors.length === 0, errors.slice(0, 5).join('\n'));
});

await browser.close();
process.exit(summary() ? 1 : 0);
