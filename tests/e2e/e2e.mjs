// e2e.mjs: the core loop and the edge cases of issue 4, in a real browser.
// Needs BATON_URL (a fresh `baton demo` being served) and BATON_DATA (its data
// directory, for demo-login.txt). Run through scripts/e2e.sh.
import fs from 'node:fs';
import path from 'node:path';
import { newBrowser, shot, watch, test, summary, assert, BASE, demoLogin, loginPage, apiFrom } from './lib.mjs';

const { EMAIL, PASSWORD, KEY } = demoLogin();
const T = 10000; // generous per-step timeout for a loaded CI machine

const browser = await newBrowser();
const errors = [];
const W = 'baton-chat >> '; // playwright CSS pierces the widget's open shadow root

const memberPage = (email = EMAIL, password = PASSWORD) => loginPage(browser, errors, email, password, { timeout: T });

async function visitorPage(width = 1280, height = 800, name = '') {
	const ctx = await browser.newContext({ viewport: { width, height } });
	const page = await ctx.newPage();
	watch(page, errors);
	await page.goto(BASE + '/demo.html?key=' + encodeURIComponent(KEY) + (name ? '&name=' + encodeURIComponent(name) : ''));
	await page.click(W + '.launch', { timeout: T });
	return page;
}

async function say(page, text) {
	await page.fill(W + 'textarea', text);
	await page.press(W + 'textarea', 'Enter');
	// (locators, not waitForFunction: the page's CSP forbids eval)
	await page.locator(W + '.m-visitor', { hasText: text }).last().waitFor({ timeout: T });
}


const stamp = Date.now().toString(36);
const VISITOR = 'Sam Visitor ' + stamp;  // the contact name that finds our thread in the inbox
let member, visitor, convNumber;

await test('failed login shows a clear message', async () => {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await ctx.newPage();
	watch(page, errors);
	await page.goto(BASE + '/');
	await shot(page, '01-login');
	await page.fill('#login-email', EMAIL);
	await page.fill('#login-password', 'not-the-password');
	await page.click('form button[type=submit]');
	const err = page.locator('#login-error');
	await err.waitFor({ state: 'visible', timeout: T });
	assert(/do not match/.test(await err.textContent()), 'unexpected error text: ' + await err.textContent());
	assert(await page.locator('#conv-list').count() === 0, 'inbox shown after a failed login');
	await shot(page, '02-login-failed');
	await ctx.close();
});

await test('core 1: visitor asks a routine question and gets the agent\'s answer with a source', async () => {
	member = await memberPage();  // logged in before anything happens, to see live updates
	visitor = await visitorPage(1280, 800, VISITOR);
	await say(visitor, 'What is the visit window for the Week 4 visit?');
	const ans = visitor.locator(W + '.m-agent:has(.src)').last();
	await ans.waitFor({ timeout: T });
	const text = await ans.textContent();
	assert(/Week 4|Day 29|days/i.test(text), 'answer does not look like the visit window: ' + text);
	assert(/schedule-of-assessments/.test(await ans.locator('summary').first().textContent()), 'no source link');
	await ans.locator('summary').first().click();
	await visitor.locator(W + '.src blockquote').first().waitFor({ timeout: T });
	await shot(visitor, '10-widget-answer');
});

await test('core 2: a serious adverse event hands off and is flagged live in the inbox', async () => {
	await say(visitor, `Patient 0412 was hospitalised with a serious adverse event after dosing (${stamp})`);
	await visitor.locator(W + '.m-hold').waitFor({ timeout: T });
	// The member's inbox shows "Needs a person" by default; the row appears without reload.
	const row = member.locator('.conv.conv-flagged', { hasText: VISITOR }).first();
	await row.waitFor({ timeout: T });
	convNumber = await row.getAttribute('data-number');
	const bell = await member.locator('.bell-count').textContent();
	assert(Number(bell) >= 1, 'no handoff notification');
	await shot(member, '11-inbox-handoff-live');
	await shot(visitor, '12-widget-holding');
});

await test('core 3: the member claims and replies; the widget shows the reply live', async () => {
	await member.click(`.conv[data-number="${convNumber}"]`);
	await member.locator('#handoff-banner').waitFor({ timeout: T });
	const banner = await member.locator('#handoff-banner').textContent();
	assert(/serious adverse event|hospitalised/i.test(banner), 'banner lacks the phrase: ' + banner);
	await member.locator('.msg-agent .source').first().click();
	await member.locator('dialog[open] .passage').waitFor({ timeout: T });
	await shot(member, '13-source-passage');
	await member.keyboard.press('Escape');
	await member.click('#claim');
	await member.locator('#handoff-banner', { hasText: 'You are handling it' }).waitFor({ timeout: T });
	await member.fill('#composer', `Thanks — I am on it. Please complete the SAE form in the eCRF now. (${stamp})`);
	await member.click('#send');
	await member.locator('.msg-member', { hasText: 'I am on it' }).waitFor({ timeout: T });
	await visitor.locator(W + '.m-member', { hasText: 'I am on it' }).waitFor({ timeout: T });
	await shot(member, '14-conversation-claimed');
	await shot(visitor, '15-widget-human-reply');
});

await test('core 4: the visitor writes again and the agent stays silent', async () => {
	const before = await visitor.locator(W + '.m-agent, .m-hold').count();
	await say(visitor, `Done, the form is submitted. What is the visit window for Week 8? (${stamp})`);
	await member.locator('.msg-visitor', { hasText: 'form is submitted' }).waitFor({ timeout: T });
	await visitor.waitForTimeout(1500);
	const after = await visitor.locator(W + '.m-agent, .m-hold').count();
	assert(after === before, `the agent spoke in a manual conversation (${before} → ${after})`);
	const r = await apiFrom(member, 'GET', '/conversations?status=needs_human,pending,open&limit=100');
	const c = r.json.items.find((x) => String(x.number) === convNumber);
	assert(c && c.mode === 'manual', 'conversation is not in manual mode');
});

await test('core 5: the member resolves; search and filters find the thread', async () => {
	await member.click('#resolve');
	await member.locator('#conv-status', { hasText: 'Resolved' }).waitFor({ timeout: T });
	await member.click('.view:has-text("Everything")');
	await member.fill('#search', 'hospitalised ' + stamp);
	// The search result row carries a snippet with the matches highlighted.
	await member.locator(`.conv[data-number="${convNumber}"] .snippet mark`).first().waitFor({ timeout: T });
	await shot(member, '16-search');
	await member.fill('#search', '');
	await member.press('#search', 'Escape');
	await member.selectOption('#f-status', 'resolved');
	await member.locator(`.conv[data-number="${convNumber}"]`).waitFor({ timeout: T });
	await member.selectOption('#f-status', 'needs_human');
	await member.locator(`.conv[data-number="${convNumber}"]`).waitFor({ state: 'detached', timeout: T });
	await member.selectOption('#f-status', 'resolved');
	await member.fill('#f-site', 'Site-101');
	await member.press('#f-site', 'Tab');
	await member.locator(`.conv[data-number="${convNumber}"]`).waitFor({ timeout: T });
	await member.click('#save-view');
	await member.fill('#view-name', 'Resolved at Site-101');
	await member.press('#view-name', 'Enter');
	await member.locator('.view', { hasText: 'Resolved at Site-101' }).waitFor({ timeout: T });
	await member.click('#tab-timeline');
	await member.locator('.timeline .tl').first().waitFor({ timeout: T });
	await shot(member, '17-filters-timeline');
});

await test('reconnecting after a dropped stream misses no message', async () => {
	const v = await visitorPage();
	await say(v, `Where do I find the lab manual? (${stamp}-r)`);
	await v.locator(W + '.m-agent, .m-hold').last().waitFor({ timeout: T });
	// Find the conversation and take it over so the reply is a person's.
	const list = await apiFrom(member, 'GET', '/search?q=' + encodeURIComponent(stamp + '-r'));
	const id = list.json.items[0].id;
	await apiFrom(member, 'POST', `/conversations/${id}/claim`);
	// Drop the live stream for 3 s; send two replies while it is down.
	await v.evaluate(() => window.BatonWidget.disconnect(3000));
	await apiFrom(member, 'POST', `/conversations/${id}/messages`, { body: 'First reply while you were offline.', internal: false });
	await apiFrom(member, 'POST', `/conversations/${id}/messages`, { body: 'Second reply while you were offline.', internal: false });
	try { await v.locator(W + '.m-member', { hasText: 'Second reply' }).waitFor({ timeout: T }); } catch (e) { await shot(v, 'fail-reconnect'); throw e; }
	assert(await v.locator(W + '.m-member', { hasText: 'First reply' }).count() === 1, 'first reply missing or duplicated');
	assert(await v.locator(W + '.m-member', { hasText: 'Second reply' }).count() === 1, 'second reply duplicated');
	// A reload restores the same conversation from localStorage.
	await v.reload();
	await v.locator(W + '.launch').waitFor({ timeout: T });
	await v.evaluate(() => window.BatonWidget.open());
	await v.locator(W + '.m-member', { hasText: 'Second reply' }).waitFor({ timeout: T });
	await v.context().close();
});

await test('widget works at phone width', async () => {
	const v = await visitorPage(390, 780);
	await say(v, 'How do I ship PK samples?');
	await v.locator(W + '.m-agent').last().waitFor({ timeout: T });
	const box = await v.locator(W + '.panel').boundingBox();
	assert(box && box.width <= 390 && box.width >= 380, 'panel is not full width on a phone: ' + JSON.stringify(box));
	await shot(v, '18-widget-phone');
	await v.context().close();
});

await test('a viewer cannot reply and sees why', async () => {
	const email = `viewer-${stamp}@baton.example`;
	const inv = await apiFrom(member, 'POST', '/members/invite', { email, role: 'viewer', organisation: 'Meridian CRO' });
	assert(inv.status === 201, 'invite failed: ' + JSON.stringify(inv.json));
	const token = inv.json.token || new URL(BASE + inv.json.link.replace('/#', '/')).searchParams.get('token');
	// Accept through the UI (#/accept?token=...).
	const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
	const page = await ctx.newPage();
	watch(page, errors);
	await page.goto(BASE + '/#/accept?token=' + encodeURIComponent(token));
	await page.fill('#acc-name', 'Vera Viewer');
	await page.fill('#acc-pw', 'viewer-password-1');
	await shot(page, '03-accept-invite');
	await page.click('form button[type=submit]');
	await page.waitForSelector('#login-email');
	await page.fill('#login-password', 'viewer-password-1');
	if (!(await page.inputValue('#login-email'))) await page.fill('#login-email', email);
	await page.click('form button[type=submit]');
	await page.waitForSelector('.conv', { timeout: T });
	await page.click('.conv');
	await page.locator('#composer-disabled').waitFor({ timeout: T });
	assert(await page.locator('#composer-disabled textarea').isDisabled(), 'viewer composer is enabled');
	assert(/viewer role/.test(await page.locator('#composer-disabled .why').textContent()), 'no reason shown');
	assert(await page.locator('#claim').count() === 0, 'viewer sees Claim');
	await shot(page, '19-viewer-cannot-reply');
	// The server refuses too.
	const r = await apiFrom(page, 'POST', '/conversations', { body: 'x' });
	assert(r.status === 403, 'server let a viewer write: ' + r.status);
	await ctx.close();
});

await test('upload shows progress and the document becomes answerable', async () => {
	await member.goto(BASE + '/#/knowledge');
	await member.locator('#doc-table').waitFor({ timeout: T });
	// ~1.5 MB so the upload reports progress before it completes.
	const filler = Array.from({ length: 6000 }, (_, i) => `Line ${i}: general logistics note for archive purposes, not relevant to couriers.`).join('\n');
	const doc = `# Dry ice shipping\n\n## Courier\n\nThe courier for dry ice shipments from Site-909 is Zephyr Logistics. Book the Zephyr pickup before 11:00.\n\n## Archive\n\n${filler}\n`;
	const file = path.join(process.env.TMPDIR || '/tmp', `dry-ice-${stamp}.md`);
	fs.writeFileSync(file, doc);
	await member.evaluate(() => {
		window.__progress = [];
		const orig = XMLHttpRequest.prototype.send;
		XMLHttpRequest.prototype.send = function (b) { this.upload.addEventListener('progress', (e) => window.__progress.push(e.loaded / e.total)); return orig.call(this, b); };
	});
	await member.setInputFiles('#kb-file', file);
	await member.locator('.upload progress').first().waitFor({ timeout: T });
	await member.locator('.upload.up-ok', { hasText: 'Indexed' }).waitFor({ timeout: 20000 });
	const prog = await member.evaluate(() => window.__progress);
	assert(prog.length >= 1 && prog[prog.length - 1] === 1, 'no upload progress events: ' + JSON.stringify(prog));
	assert(await member.locator('.upload progress').first().evaluate((p) => p.value) === 1, 'progress bar did not reach 100%');
	await member.locator(`tr[data-doc="dry-ice-${stamp}.md"]`).waitFor({ timeout: T });
	await member.fill('#ask-q', 'Which courier handles dry ice shipments from Site-909?');
	await member.click('#ask-btn');
	await member.locator('#ask-verdict').waitFor({ timeout: T });
	const ans = await member.locator('#ask-answer').textContent();
	assert(/Zephyr/.test(ans), 'the new document did not answer: ' + ans);
	await shot(member, '20-knowledge-upload-ask');
});

await test('settings screens render (agent, members, widget, tokens)', async () => {
	await member.goto(BASE + '/#/settings/agent');
	await member.locator('#set-threshold').waitFor({ timeout: T });
	await shot(member, '21-settings-agent');
	await member.goto(BASE + '/#/settings/members');
	await member.locator('text=Invite a member').waitFor({ timeout: T });
	await shot(member, '22-settings-members');
	await member.goto(BASE + '/#/settings/widget');
	await member.locator('#embed-snippet').waitFor({ timeout: T });
	assert((await member.inputValue('#embed-snippet')).includes(KEY), 'snippet lacks the key');
	await shot(member, '23-settings-widget');
	await member.goto(BASE + '/#/settings/tokens');
	await member.fill('#tok-name', 'CRO help desk');
	await member.click('text=Create token');
	await member.locator('#new-token').waitFor({ timeout: T });
	await shot(member, '24-settings-tokens');
});

await test('no script errors or CSP violations on any screen', async () => {
	assert(errors.length === 0, errors.slice(0, 5).join('\n'));
});

await browser.close();
process.exit(summary() ? 1 : 0);
