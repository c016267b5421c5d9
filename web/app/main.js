// main.js: boot, hash routing, login, invitation, the app shell and
// in-app notifications. Screens live in inbox.js, knowledge.js, settings.js.
import { h, clear, toast, store, reasonText, ago } from './util.js';
import { get, post, setCsrf, events } from './api.js';
import { mountInbox } from './inbox.js';
import { mountKnowledge } from './knowledge.js';
import { mountSettings } from './settings.js';
import { mountReports } from './reports.js'; // reports (dashboard, handover, stale, usage)
import { mountReview } from './review.js'; // review: the monthly review page

const root = document.getElementById('app');
export const app = {
	me: null,
	members: [],
	listeners: new Set(),  // SSE subscribers of the current screen
	es: null,
	streamState: 'connecting',
	notifications: [],
	memberName(id) {
		const m = this.members.find((x) => x.id === id);
		return m ? (m.name || m.email) : 'a former member';
	},
	canWrite() { return this.me && this.me.role !== 'viewer'; },
	isAdmin() { return this.me && (this.me.role === 'admin' || this.me.role === 'owner'); },
};

function parseHash() {
	const raw = location.hash.replace(/^#\/?/, '');
	const [path, query] = raw.split('?');
	return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query || '') };
}

export function go(hash) {
	if (location.hash !== hash) location.hash = hash;
	else route();
}

async function loadMe() {
	try {
		app.me = await get('/me', { quiet401: true });
		setCsrf(app.me.csrf_token);
		const m = await get('/members');
		app.members = m.items || [];
		return true;
	} catch {
		app.me = null;
		return false;
	}
}

/* ---------- login and invitation ---------- */

function authCard(title, sub, form) {
	return h('main', { class: 'auth' },
		h('div', { class: 'auth-card' },
			h('div', { class: 'brand brand-lg' }, h('img', { src: '/favicon.svg', alt: '' }), 'Baton'),
			h('h1', { text: title }),
			sub ? h('p', { class: 'muted', text: sub }) : null,
			form));
}

function showLogin(msg) {
	const err = h('p', { class: 'form-error', role: 'alert', id: 'login-error', hidden: !msg, text: msg || '' });
	const email = h('input', { id: 'login-email', type: 'email', name: 'email', autocomplete: 'username', required: true });
	const pw = h('input', { id: 'login-password', type: 'password', name: 'password', autocomplete: 'current-password', required: true });
	const btn = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Log in');
	const form = h('form', { class: 'form', 'aria-describedby': 'login-error' },
		h('label', { for: 'login-email' }, 'Email'), email,
		h('label', { for: 'login-password' }, 'Password'), pw,
		err, btn);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		btn.disabled = true;
		err.hidden = true;
		try {
			await post('/auth/login', { email: email.value.trim(), password: pw.value });
			await start();
			go('#/inbox');
		} catch (ex) {
			err.textContent = ex.status === 401 || ex.status === 403
				? 'That email and password do not match. Check them and try again.'
				: ex.status === 429 ? 'Too many attempts. Wait a minute and try again.' : ex.message;
			err.hidden = false;
			pw.select();
		} finally {
			btn.disabled = false;
		}
	});
	clear(root, authCard('Log in', 'The shared inbox for your study team.', form));
	email.focus();
}

function showAccept(token) {
	const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
	const name = h('input', { id: 'acc-name', name: 'name', autocomplete: 'name', required: true });
	const pw = h('input', { id: 'acc-pw', type: 'password', autocomplete: 'new-password', minlength: 10, required: true });
	const btn = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Join the workspace');
	const form = h('form', { class: 'form' },
		h('label', { for: 'acc-name' }, 'Your name'), name,
		h('label', { for: 'acc-pw' }, 'Choose a password'), pw,
		h('p', { class: 'hint', text: 'At least 10 characters.' }),
		err, btn);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		btn.disabled = true;
		try {
			const r = await post('/invites/accept', { token, name: name.value.trim(), password: pw.value });
			toast('Welcome! Log in with your new password.', 'ok');
			showLogin();
			const em = document.getElementById('login-email');
			if (em && r.member) em.value = r.member.email;
			history.replaceState(null, '', '#/login');
		} catch (ex) {
			err.textContent = ex.status === 404 || ex.status === 410 || /expired|used|invalid|no such/i.test(ex.message)
				? 'This invitation link has expired or was already used. Ask an admin to invite you again.'
				: ex.message;
			err.hidden = false;
		} finally {
			btn.disabled = false;
		}
	});
	if (!token) {
		clear(root, authCard('Invitation', null, h('p', { class: 'form-error', text: 'This link has no invitation token. Open the full link from your invitation.' })));
		return;
	}
	clear(root, authCard('Accept your invitation', 'Set your name and password to join.', form));
	name.focus();
}

/* ---------- shell ---------- */

let shell = null;

function buildShell() {
	const nav = (hash, label, key) => h('a', { href: hash, class: 'nav-link', 'data-nav': key }, label);
	const bell = h('button', { class: 'icon-btn bell', type: 'button', 'aria-label': 'Notifications', 'aria-haspopup': 'true', 'aria-expanded': 'false', id: 'bell' },
		h('span', { class: 'bell-icon', 'aria-hidden': 'true' }), h('span', { class: 'bell-count', hidden: true }));
	const panel = h('div', { class: 'notif-panel', hidden: true, role: 'region', 'aria-label': 'Notifications' });
	bell.addEventListener('click', () => {
		panel.hidden = !panel.hidden;
		bell.setAttribute('aria-expanded', String(!panel.hidden));
		if (!panel.hidden) renderNotifications(panel);
	});
	panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { panel.hidden = true; bell.setAttribute('aria-expanded', 'false'); bell.focus(); } });
	const conn = h('span', { class: 'conn', id: 'conn', title: 'Live updates' });
	const who = h('div', { class: 'who' },
		h('span', { class: 'who-name', text: app.me.name || app.me.email }),
		h('span', { class: 'role-chip', text: app.me.role }));
	const logout = h('button', { class: 'btn btn-ghost', type: 'button', id: 'logout' }, 'Log out');
	logout.addEventListener('click', async () => {
		try { await post('/auth/logout'); } catch { /* already out */ }
		if (app.es) app.es.close();
		app.me = null;
		shell = null;
		go('#/login');
	});
	const header = h('header', { class: 'topbar' },
		h('a', { class: 'brand', href: '#/inbox' }, h('img', { src: '/favicon.svg', alt: '' }), 'Baton'),
		h('span', { class: 'ws-name', text: app.me.workspace.name }),
		h('nav', { class: 'nav', 'aria-label': 'Main' },
			nav('#/inbox', 'Inbox', 'inbox'), nav('#/knowledge', 'Knowledge', 'knowledge'),
			nav('#/reports', 'Reports', 'reports'), nav('#/review', 'Review', 'review'),
			nav('#/settings', 'Settings', 'settings')),
		h('div', { class: 'topbar-right' }, conn, bell, who, logout),
		panel);
	const main = h('div', { class: 'screen', id: 'screen' });
	clear(root, h('a', { class: 'skip', href: '#screen' }, 'Skip to content'), header, main);
	shell = { main, header, bell, panel, conn };
	setConn(app.streamState);
	updateBell();
}

function setConn(state) {
	app.streamState = state;
	if (!shell) return;
	shell.conn.className = 'conn conn-' + state;
	shell.conn.textContent = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
}

/* ---------- notifications (handoffs, @mentions, stale threads) ----------
 * The list is the server's (GET /notifications: mentions, on-call handoffs and
 * escalations), kept live by notification.created events that only reach this
 * member, plus this session's alerts for every handoff and for stale threads
 * (local: they have no read state on the server). */

const ICON = { mention: '@', handoff: '!', escalation: '!!', stale: '⏱', assigned: '→' };

function convOf(n) { return n.conversation_id || null; }

function addNotification(n, alert) {
	const key = n.id ? 's' + n.id : n.key;
	if (app.notifications.some((x) => x.key === key)) return;
	// A server handoff notice replaces this session's alert for the same thread.
	if (n.id && n.kind === 'handoff') app.notifications = app.notifications.filter((x) => !(x.local && x.kind === 'handoff' && x.conversation_id === n.conversation_id));
	app.notifications.unshift({ ...n, key });
	app.notifications.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
	app.notifications = app.notifications.slice(0, 100);
	updateBell();
	if (shell && !shell.panel.hidden) renderNotifications(shell.panel);
	if (!alert) return;
	const conv = convOf(n);
	toast(n.text, 'alert', conv ? { label: 'Open', run: () => go('#/inbox/' + conv) } : null);
	if ('Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
		try {
			const bn = new Notification('Baton', { body: n.text, tag: key });
			bn.onclick = () => { window.focus(); if (conv) go('#/inbox/' + conv); };
		} catch { /* some browsers need a service worker */ }
	}
}

function localNotification(kind, conv, text) {
	const key = kind + ':' + conv;
	// Already told: unread, or the server's own notice for this thread.
	if (app.notifications.some((x) => !x.read_at && (x.key === key || (x.id && x.kind === kind && x.conversation_id === conv)))) return;
	app.notifications = app.notifications.filter((x) => x.key !== key); // a read one makes room for the new alert
	addNotification({ local: true, key: kind + ':' + conv, kind, conversation_id: conv, text, created_at: new Date().toISOString(), read_at: null }, kind !== 'stale');
}

async function loadNotifications() {
	try {
		const r = await get('/notifications');
		for (const n of (r.items || []).reverse()) addNotification(n, false);
	} catch { /* the bell stays empty */ }
}

// Stale threads (I7) arrive as the server's own notifications: it tells the
// assignee, or the on-call coordinator when nobody owns the thread, once per limit.

async function markRead(n) {
	if (n.read_at) return;
	n.read_at = new Date().toISOString();
	updateBell();
	if (n.id) { try { await post('/notifications/' + n.id + '/read'); } catch { /* shown as read here anyway */ } }
}

function updateBell() {
	if (!shell) return;
	const unread = app.notifications.filter((n) => !n.read_at).length;
	const c = shell.bell.querySelector('.bell-count');
	c.hidden = unread === 0;
	c.textContent = unread > 99 ? '99+' : String(unread);
	shell.bell.setAttribute('aria-label', unread ? `Notifications, ${unread} unread` : 'Notifications');
}

function renderNotifications(panel) {
	const list = app.notifications.length
		? h('ul', { class: 'notif-list', id: 'notif-list' }, app.notifications.map((n) => h('li', null,
			h('a', {
				href: convOf(n) ? '#/inbox/' + convOf(n) : '#/inbox', class: 'notif notif-' + n.kind + (n.read_at ? '' : ' unread'), 'data-kind': n.kind,
				onclick: () => { markRead(n); panel.hidden = true; shell.bell.setAttribute('aria-expanded', 'false'); },
			},
			h('span', { class: 'notif-icon', 'aria-hidden': 'true', text: ICON[n.kind] || '•' }),
			h('span', { class: 'notif-text' }, h('span', { text: n.text }),
				h('small', { class: 'muted', text: (n.read_at ? '' : 'New · ') + ago(n.created_at) }))))))
		: h('p', { class: 'muted pad', text: 'No notifications yet. Handoffs, @mentions and stale threads appear here.' });
	let perm = null;
	if ('Notification' in window && Notification.permission === 'default') {
		perm = h('button', { class: 'btn btn-small', type: 'button', id: 'desktop-notify', onclick: async () => {
			try { await Notification.requestPermission(); } catch { /* old browsers take a callback */ }
			renderNotifications(panel);
		} }, 'Turn on desktop notifications');
	} else if ('Notification' in window && Notification.permission === 'denied') {
		perm = h('small', { class: 'muted', text: 'Desktop notifications are blocked in this browser.' });
	}
	const unread = app.notifications.some((n) => !n.read_at);
	const all = unread ? h('button', { class: 'link', type: 'button', id: 'notif-read-all', onclick: async () => {
		app.notifications.forEach((n) => { if (!n.read_at) n.read_at = new Date().toISOString(); });
		updateBell();
		renderNotifications(panel);
		try { await post('/notifications/read-all'); } catch (ex) { toast(ex.message, 'error'); }
	} }, 'Mark all read') : null;
	clear(panel, h('div', { class: 'notif-head' }, h('strong', null, 'Notifications'), all), perm ? h('div', { class: 'notif-perm' }, perm) : null, list);
}

function onEvent(type, data, id) {
	if (type === 'conversation.handoff' && data.conversation) {
		const c = data.conversation;
		localNotification('handoff', c.id, `#${c.number} needs a person — ${reasonText(c)}${c.site ? ' · ' + c.site : ''}`);
	}
	if (type === 'notification.created' && data.notification && data.notification.member_id === app.me.id) {
		addNotification(data.notification, true);
	}
	for (const l of app.listeners) l(type, data, id);
}

// Event types beyond api.js's list: this member's notifications and presence.
function listenMore(es) {
	for (const t of ['notification.created', 'conversation.presence']) es.addEventListener(t, (e) => {
		let d = null;
		try { d = JSON.parse(e.data); } catch { return; }
		onEvent(t, d, e.lastEventId);
	});
}

async function start() {
	if (!(await loadMe())) return false;
	if (app.es) app.es.close();
	app.es = events(onEvent, setConn);
	listenMore(app.es);
	app.notifications = [];
	loadNotifications();
	return true;
}

/* ---------- routing ---------- */

let current = null;

async function route() {
	const { parts, params } = parseHash();
	const top = parts[0] || 'inbox';
	if (top === 'accept') { showAccept(params.get('token')); return; }
	if (!app.me && !(await start())) { showLogin(); return; }
	if (top === 'login') { go('#/inbox'); return; }
	if (!shell) buildShell();
	shell.header.querySelectorAll('.nav-link').forEach((a) => {
		if (a.dataset.nav === top) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	});
	if (current && current.top === top && current.update) { current.update(parts, params); return; }
	if (current && current.destroy) current.destroy();
	app.listeners.clear();
	clear(shell.main);
	const screens = {
		knowledge: [mountKnowledge, 'Knowledge'], settings: [mountSettings, 'Settings'], reports: [mountReports, 'Reports'],
		review: [mountReview, 'Review'],
	};
	const [mount, title] = screens[top] || [mountInbox, 'Inbox'];
	current = mount(shell.main, app, parts, params) || {};
	current.top = screens[top] ? top : 'inbox';
	document.title = title + ' · Baton';
}

window.addEventListener('hashchange', route);
window.addEventListener('baton:logged-out', () => {
	if (!app.me) return;
	app.me = null;
	shell = null;
	if (app.es) app.es.close();
	showLogin('Your session ended. Log in again.');
});
store.get('baton.v', 1);
route();
