// main.js: boot, hash routing, login, invitation, the app shell and
// in-app notifications. Screens live in inbox.js, knowledge.js, settings.js.
import { h, clear, toast, store, reasonText, handleOf } from './util.js';
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
		if (!panel.hidden) renderNotifications(panel, bell);
	});
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
}

function setConn(state) {
	app.streamState = state;
	if (!shell) return;
	shell.conn.className = 'conn conn-' + state;
	shell.conn.textContent = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
}

/* ---------- notifications (handoffs and @mentions) ---------- */

function notify(n) {
	app.notifications.unshift({ ...n, at: Date.now(), read: false });
	app.notifications = app.notifications.slice(0, 50);
	updateBell();
	toast(n.text, 'alert', n.conv ? { label: 'Open', run: () => go('#/inbox/' + n.conv) } : null);
	if ('Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
		try {
			const bn = new Notification('Baton', { body: n.text, tag: n.conv || undefined });
			bn.onclick = () => { window.focus(); if (n.conv) go('#/inbox/' + n.conv); };
		} catch { /* some browsers need a service worker */ }
	}
}

function updateBell() {
	if (!shell) return;
	const unread = app.notifications.filter((n) => !n.read).length;
	const c = shell.bell.querySelector('.bell-count');
	c.hidden = unread === 0;
	c.textContent = String(unread);
	shell.bell.setAttribute('aria-label', unread ? `Notifications, ${unread} unread` : 'Notifications');
}

function renderNotifications(panel) {
	const list = app.notifications.length
		? h('ul', { class: 'notif-list' }, app.notifications.map((n) => h('li', null,
			h('a', { href: n.conv ? '#/inbox/' + n.conv : '#/inbox', class: n.read ? '' : 'unread' },
				h('span', { text: n.text }), h('small', { class: 'muted', text: new Date(n.at).toLocaleTimeString() })))))
		: h('p', { class: 'muted pad', text: 'No notifications yet. Handoffs and @mentions appear here.' });
	const perm = 'Notification' in window && Notification.permission === 'default'
		? h('button', { class: 'btn btn-small', type: 'button', onclick: async () => { await Notification.requestPermission(); renderNotifications(panel); } }, 'Enable desktop notifications')
		: null;
	clear(panel, h('div', { class: 'notif-head' }, h('strong', null, 'Notifications'), perm), list);
	app.notifications.forEach((n) => { n.read = true; });
	updateBell();
}

// A note mentions me when it contains @<my email's local part> (what the
// composer's @ picker inserts) or @<my first name>.
function mentionsMe(body) {
	const text = (body || '').toLowerCase();
	const hs = [handleOf(app.me), (app.me.name || '').split(' ')[0].toLowerCase()].filter(Boolean);
	return hs.some((hd) => new RegExp('(^|\\s)@' + hd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?![\\w.-])').test(text));
}

function onEvent(type, data, id) {
	if (type === 'conversation.handoff' && data.conversation) {
		const c = data.conversation;
		notify({ conv: c.id, text: `#${c.number} needs a person — ${reasonText(c)}${c.site ? ' · ' + c.site : ''}` });
	}
	if (type === 'message.created' && data.message && data.message.internal && data.message.author_id !== app.me.id && mentionsMe(data.message.body)) {
		notify({ conv: data.conversation_id, text: `${app.memberName(data.message.author_id)} mentioned you in a note` });
	}
	for (const l of app.listeners) l(type, data, id);
}

async function start() {
	if (!(await loadMe())) return false;
	if (app.es) app.es.close();
	app.es = events(onEvent, setConn);
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
