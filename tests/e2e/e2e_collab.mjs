// e2e_collab.mjs: collaboration in a real browser (issue 4): two members in
// two browser contexts see each other viewing and typing, an @mention lands
// in the other member's bell without a reload and opens the thread, the
// widget shows "typing" while a member types and the member's first name on
// the reply, unread dots come from the server, saved replies are shared.
// Run through scripts/e2e.sh (BATON_URL, BATON_DATA).
import { newBrowser, shot, watch, test, summary, assert, BASE, demoLogin, loginPage, apiFrom } from './lib.mjs';

const { EMAIL, PASSWORD, KEY } = demoLogin();
const T = 10000;
const W = 'baton-chat >> ';

const browser = await newBrowser();
const errors = [];
const stamp = Date.now().toString(36);
const B_EMAIL = `bea-${stamp}@baton.example`, B_PW = 'bea-password-123';

const memberPage = (email, password) => loginPage(browser, errors, email, password, { timeout: T });


let a, b, visitor, convId, aMe;

await test('collab setup: two members, one visitor thread', async () => {
	a = await memberPage(EMAIL, PASSWORD);
	aMe = (await apiFrom(a, 'GET', '/me')).json;
	// A display name, so presence and the widget have a first name to show.
	const pr = await apiFrom(a, 'PATCH', '/members/' + aMe.id, { name: 'Dana Demo' });
	assert(pr.status === 200, 'rename failed: ' + JSON.stringify(pr.json));
	const inv = await apiFrom(a, 'POST', '/members/invite', { email: B_EMAIL, role: 'agent', organisation: 'Site-101' });
	assert(inv.status === 201, 'invite failed: ' + JSON.stringify(inv.json));
	const acc = await apiFrom(a, 'POST', '/invites/accept', { token: inv.json.token, name: 'Bea Tester', password: B_PW });
	assert(acc.status === 201 || acc.status === 200, 'accept failed: ' + JSON.stringify(acc.json));
	b = await memberPage(B_EMAIL, B_PW);
	const vctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	visitor = await vctx.newPage();
	watch(visitor, errors);
	await visitor.goto(BASE + '/demo.html?key=' + encodeURIComponent(KEY) + '&name=' + encodeURIComponent('Collab Visitor ' + stamp));
	await visitor.click(W + '.launch', { timeout: T });
	await visitor.fill(W + 'textarea', `How do I ship PK samples? (${stamp})`);
	await visitor.press(W + 'textarea', 'Enter');
	await visitor.locator(W + '.m-agent').last().waitFor({ timeout: T });
	// (the greeting is an agent message too: wait for the thread itself)
	let row = null;
	for (let i = 0; i < 100 && !row; i++) {
		const l = await apiFrom(a, 'GET', '/conversations?sort=created&limit=50');
		row = l.json.items.find((x) => x.contact_name === 'Collab Visitor ' + stamp);
		if (!row) await a.waitForTimeout(100);
	}
	assert(row, 'the thread is not in the list');
	convId = row.id;
});

await test('B sees "A is viewing" and "A is typing" live', async () => {
	await a.goto(BASE + '/#/inbox/' + convId);
	await a.locator('#composer').waitFor({ timeout: T });
	await b.goto(BASE + '/#/inbox/' + convId);
	await b.locator('#composer').waitFor({ timeout: T });
	await b.locator('#presence-viewing', { hasText: 'Dana is viewing' }).waitFor({ timeout: T });
	await a.locator('#presence-viewing', { hasText: 'Bea is viewing' }).waitFor({ timeout: T });
	await shot(b, '30-presence-viewing');
	await a.click('#composer');
	await a.keyboard.type('Checking the courier schedule for you', { delay: 15 });
	await b.locator('#presence-typing', { hasText: 'Dana is typing' }).waitFor({ timeout: T });
	await shot(b, '31-presence-typing');
	// The list shows where someone else is, too.
	const row = b.locator(`.conv[data-id="${convId}"]`);
	if (await row.count()) await row.locator('.chip-here', { hasText: 'Dana' }).waitFor({ timeout: T });
});

await test('the widget shows "typing" while a member types, then the member\'s first name', async () => {
	const dots = visitor.locator(W + '.typing[data-who="member"]');
	await dots.waitFor({ state: 'visible', timeout: T });
	await shot(visitor, '32-widget-member-typing');
	await a.click('#send');
	const reply = visitor.locator(W + '.m-member', { hasText: 'courier schedule' });
	await reply.waitFor({ timeout: T });
	const who = await reply.locator('.who').textContent();
	assert(who === 'Dana', 'the widget shows the wrong author: ' + who);
	assert(!/Demo/.test(await visitor.locator(W + '.log').textContent()), 'the widget shows the surname');
	await dots.waitFor({ state: 'hidden', timeout: T });
	await shot(visitor, '33-widget-member-name');
	// After sending, A is back to viewing.
	await b.locator('#presence-viewing', { hasText: 'Dana is viewing' }).waitFor({ timeout: T });
});

await test('an @mention shows up in B\'s bell without a reload and opens the thread', async () => {
	// B looks at the list elsewhere, so the bell has to do the work.
	await b.goto(BASE + '/#/inbox');
	await b.locator('#conv-list').waitFor({ timeout: T });
	const before = Number((await b.locator('.bell-count').textContent()) || 0);
	await a.click('#mode-note');
	await a.click('#composer');
	await a.keyboard.type('Can you double-check the dry ice? @bea', { delay: 10 });
	await a.locator('.mention-picker li', { hasText: 'Bea Tester' }).waitFor({ timeout: T });
	await a.keyboard.press('Enter');
	assert(/@bea-/.test(await a.inputValue('#composer')), 'the picker did not insert the handle');
	await a.click('#send');
	await a.locator('.msg-note', { hasText: 'double-check the dry ice' }).waitFor({ timeout: T });
	await b.locator('.bell-count', { hasText: String(before + 1) }).waitFor({ timeout: T });
	await b.click('#bell');
	const item = b.locator('#notif-list a.notif-mention', { hasText: 'Dana Demo mentioned you' }).first();
	await item.waitFor({ timeout: T });
	await shot(b, '34-bell-mention');
	await item.click();
	await b.locator('.msg-note', { hasText: 'double-check the dry ice' }).waitFor({ timeout: T });
	// Opening it marks it read: the count drops back.
	const bellCount = async () => (await b.locator('.bell-count').isVisible()) ? Number(await b.locator('.bell-count').textContent()) : 0;
	for (let i = 0; i < 50 && (await bellCount()) !== before; i++) await b.waitForTimeout(200);
	assert((await bellCount()) === before, 'the mention is still counted unread: ' + await bellCount());
	const r = await apiFrom(b, 'GET', '/notifications');
	const mine = r.json.items.filter((n) => n.kind === 'mention' && n.conversation_id === convId);
	assert(mine.length === 1 && mine[0].read_at, 'the server did not mark the mention read: ' + JSON.stringify(mine));
	const ra = await apiFrom(a, 'GET', '/notifications');
	assert(!ra.json.items.some((n) => n.kind === 'mention' && n.conversation_id === convId), 'the author got the mention too');
});

await test('unread dots come from the server, per member', async () => {
	// B leaves the thread; the visitor writes; B's row gets a dot, A's open thread does not.
	await b.goto(BASE + '/#/inbox');
	await b.click('.view:has-text("Everything")');
	await b.locator(`.conv[data-id="${convId}"]`).waitFor({ timeout: T });
	await visitor.fill(W + 'textarea', `One more thing (${stamp})`);
	await visitor.press(W + 'textarea', 'Enter');
	await b.locator(`.conv[data-id="${convId}"] .dot`).waitFor({ timeout: T });
	await shot(b, '35-unread-dot');
	await b.reload();
	await b.locator(`.conv[data-id="${convId}"] .dot`).waitFor({ timeout: T });
	const lb = await apiFrom(b, 'GET', '/conversations?limit=100');
	const rowB = lb.json.items.find((x) => x.id === convId);
	assert(rowB && rowB.unread >= 1, 'the server does not say unread for B: ' + JSON.stringify(rowB));
	await a.locator('.msg-visitor', { hasText: 'One more thing' }).waitFor({ timeout: T });
	await a.waitForTimeout(800); // the open view marks read after a short debounce
	const la = await apiFrom(a, 'GET', '/conversations?limit=100');
	const rowA = la.json.items.find((x) => x.id === convId);
	assert(rowA && rowA.unread === 0, 'A has the thread open but it is unread: ' + JSON.stringify(rowA));
	await b.click(`.conv[data-id="${convId}"]`);
	await b.locator(`.conv[data-id="${convId}"].conv-open`).waitFor({ timeout: T });
	await b.locator(`.conv[data-id="${convId}"] .dot`).waitFor({ state: 'detached', timeout: T });
});

await test('saved replies and views live on the server and are shared', async () => {
	await a.click('#mode-reply');
	await a.fill('#composer', `Ship PK samples frozen on dry ice, Monday to Wednesday only. (${stamp})`);
	await a.click('#save-reply');
	await a.locator('.toast', { hasText: 'for the team' }).waitFor({ timeout: T });
	await a.fill('#composer', '');
	const r = await apiFrom(b, 'GET', '/saved-replies');
	const rep = r.json.items.find((x) => x.body.includes(stamp));
	assert(rep, 'the saved reply is not on the server');
	await b.reload();
	await b.locator('#saved-replies').waitFor({ timeout: T });
	await b.locator(`#saved-replies option[value="${rep.id}"]`).waitFor({ state: 'attached', timeout: T });
	await b.selectOption('#saved-replies', String(rep.id));
	assert((await b.inputValue('#composer')).includes('Monday to Wednesday'), 'inserting the saved reply failed');
	await b.fill('#composer', '');
	// Any agent can delete a shared reply.
	await b.click('#manage-replies');
	await b.locator('dialog[open] .reply-row', { hasText: 'Monday to Wednesday' }).waitFor({ timeout: T });
	await shot(b, '36a-manage-saved-replies');
	await b.click(`dialog[open] button[aria-label="Delete saved reply ${rep.title}"]`);
	await b.locator('dialog[open] .reply-row', { hasText: 'Monday to Wednesday' }).waitFor({ state: 'detached', timeout: T });
	const gone = await apiFrom(a, 'GET', '/saved-replies');
	assert(!gone.json.items.some((x) => x.id === rep.id), 'the saved reply was not deleted on the server');
	if (await b.locator('dialog[open]').count()) await b.keyboard.press('Escape');
	// A view saved by B is B's alone.
	await b.click('#save-view');
	await b.fill('#view-name', 'Bea ' + stamp);
	await b.press('#view-name', 'Enter');
	await b.locator('.view', { hasText: 'Bea ' + stamp }).waitFor({ timeout: T });
	const vb = await apiFrom(b, 'GET', '/views');
	const va = await apiFrom(a, 'GET', '/views');
	assert(vb.json.items.some((v) => v.name === 'Bea ' + stamp), 'the view is not on the server');
	assert(!va.json.items.some((v) => v.name === 'Bea ' + stamp), 'another member sees the view');
	await b.reload();
	await b.locator('.view', { hasText: 'Bea ' + stamp }).waitFor({ timeout: T });
	await shot(b, '36-saved-reply-and-view');
});

await test('leaving the thread clears the presence bar for the other member', async () => {
	await b.locator('#presence-viewing', { hasText: 'Dana is viewing' }).waitFor({ timeout: T });
	await a.goto(BASE + '/#/knowledge');
	await b.locator('#presence').waitFor({ state: 'hidden', timeout: T });
});

await test('desktop notifications are offered on a click, and the bell lists kinds', async () => {
	await b.click('#bell');
	const panel = b.locator('.notif-panel');
	await panel.waitFor({ state: 'visible', timeout: T });
	// Headless chromium reports "denied" or "default"; either way the panel says what it can do.
	const offer = await b.locator('#desktop-notify').count();
	const blocked = await panel.locator('text=blocked').count();
	const granted = await b.evaluate(() => Notification.permission === 'granted');
	assert(offer + blocked > 0 || granted, 'no desktop notification control');
	await shot(b, '37-notifications-panel');
	await b.keyboard.press('Escape');
});

await test('collab: no script errors or CSP violations', async () => {
	assert(errors.length === 0, errors.slice(0, 5).join('\n'));
});

await browser.close();
process.exit(summary() ? 1 : 0);
