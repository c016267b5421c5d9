// inbox.js: the three-pane inbox. Left: views and filters. Middle: the live
// conversation list (or search results). Right: the open conversation.
import { h, clear, ago, toast, store, snippet, STATUS_LABEL, reasonText, initials } from './util.js';
import { get, post, del, qs } from './api.js';
import { mountConversation } from './conversation.js';

const BUILTIN_VIEWS = [
	{ id: 'needs', name: 'Needs a person', f: { status: 'needs_human' } },
	{ id: 'mine', name: 'Assigned to me', f: { assignee: 'me', status: 'open,needs_human,pending' } },
	{ id: 'unassigned', name: 'Unassigned', f: { assignee: 'none', status: 'open,needs_human,pending' } },
	{ id: 'open', name: 'All open', f: { status: 'open,needs_human,pending' } },
	{ id: 'resolved', name: 'Resolved', f: { status: 'resolved' } },
	{ id: 'all', name: 'Everything', f: {} },
];
const FILTER_KEYS = ['status', 'mode', 'assignee', 'channel', 'site', 'created_after', 'created_before'];

// Unread state is the server's, per member: each conversation row carries
// `unread` (messages after my read marker that someone else wrote); live
// messages add to it here until the thread is opened.
function isUnread(c) { return (c.unread || 0) > 0; }

// Does a conversation pass the current filters? (Used for live updates.)
function matches(app, f, c) {
	if (f.status && !f.status.split(',').includes(c.status)) return false;
	if (f.mode && c.mode !== f.mode) return false;
	if (f.channel && c.channel !== f.channel) return false;
	if (f.site && (c.site || '') !== f.site) return false;
	if (f.assignee === 'me' && c.assignee_id !== app.me.id) return false;
	if (f.assignee === 'none' && c.assignee_id) return false;
	if (f.assignee && f.assignee !== 'me' && f.assignee !== 'none' && c.assignee_id !== f.assignee) return false;
	if (f.created_after && Date.parse(c.created_at) < Date.parse(f.created_after)) return false;
	if (f.created_before && Date.parse(c.created_at) >= Date.parse(f.created_before) + 86400000) return false;
	if (f.tags_any) {
		const want = f.tags_any.split(',').map(Number);
		if (!c.tags || !c.tags.some((t) => want.includes(t.tag_id))) return false;
	}
	if (f.tags_all) {
		const want = f.tags_all.split(',').map(Number);
		if (!c.tags || !want.every((id) => c.tags.some((t) => t.tag_id === id))) return false;
	}
	return true;
}

export function mountInbox(el, app, parts) {
	const viewsKey = 'baton.views.' + app.me.id; // views saved in this browser before they lived on the server
	const st = {
		saved: [],            // the member's saved views, from GET /views: {id: 'sv<n>', sid, name, f}
		view: store.get('baton.view.' + app.me.id, 'needs'),
		f: {},
		items: [],
		cursor: null,
		q: '',
		results: null,
		openId: parts[1] || null,
		conv: null,
		tags: [],
	};
	st.f = { ...((BUILTIN_VIEWS.find((v) => v.id === st.view) || BUILTIN_VIEWS[0]).f) };

	const left = h('aside', { class: 'pane pane-left', 'aria-label': 'Views and filters' });
	const mid = h('section', { class: 'pane pane-mid', 'aria-label': 'Conversations' });
	const right = h('section', { class: 'pane pane-right', 'aria-label': 'Open conversation' });
	clear(el, h('div', { class: 'inbox' }, left, mid, right));

	/* ----- left: views and filters ----- */
	const viewList = h('ul', { class: 'views', role: 'list' });
	function renderViews() {
		const saved = st.saved;
		const item = (v, removable) => h('li', null,
			h('button', {
				type: 'button', class: 'view' + (st.view === v.id ? ' active' : ''), 'aria-pressed': String(st.view === v.id),
				onclick: () => pickView(v),
			}, h('span', { text: v.name }), h('span', { class: 'view-count', 'data-view': v.id })),
			removable ? h('button', {
				type: 'button', class: 'view-x', 'aria-label': `Delete view ${v.name}`,
				onclick: async () => {
					try { await del('/views/' + v.sid); } catch (ex) { toast(ex.message, 'error'); return; }
					st.saved = st.saved.filter((x) => x.id !== v.id);
					renderViews();
				},
			}, '×') : null);
		clear(viewList,
			BUILTIN_VIEWS.map((v) => item(v, false)),
			saved.length ? h('li', { class: 'views-sep', text: 'Saved views' }) : null,
			saved.map((v) => item(v, true)));
		refreshCounts();
	}
	async function refreshCounts() {
		// Only the "needs a person" count matters at a glance; one cheap query.
		try {
			const r = await get('/conversations' + qs({ status: 'needs_human', limit: 100 }));
			const n = r.items.length + (r.next_cursor ? '+' : '');
			const b = viewList.querySelector('[data-view="needs"]');
			if (b) { b.textContent = r.items.length ? String(n) : ''; b.classList.toggle('count-alert', r.items.length > 0); }
		} catch { /* ignore */ }
	}
	function pickView(v) {
		st.view = v.id;
		st.f = { ...v.f };
		store.set('baton.view.' + app.me.id, v.id);
		renderViews();
		fillFilters();
		load();
	}

	const ff = {};
	const sel = (id, label, opts) => {
		ff[id] = h('select', { id: 'f-' + id, name: id }, opts.map(([v, t]) => h('option', { value: v }, t)));
		return h('div', { class: 'field' }, h('label', { for: 'f-' + id }, label), ff[id]);
	};
	const inp = (id, label, type, extra) => {
		ff[id] = h('input', { id: 'f-' + id, name: id, type, ...extra });
		return h('div', { class: 'field' + (type === 'date' ? ' field-half' : '') }, h('label', { for: 'f-' + id }, label), ff[id]);
	};
	const filterForm = h('form', { class: 'filters', 'aria-label': 'Filters' },
		h('h2', { class: 'pane-title' }, 'Filters'),
		sel('status', 'Status', [['', 'Any status'], ['open', STATUS_LABEL.open], ['needs_human', STATUS_LABEL.needs_human], ['pending', STATUS_LABEL.pending], ['resolved', STATUS_LABEL.resolved], ['open,needs_human,pending', 'Not resolved']]),
		sel('mode', 'Mode', [['', 'Agent or person'], ['agent', 'Agent answering'], ['manual', 'Person answering']]),
		sel('assignee', 'Assignee', [['', 'Anyone'], ['me', 'Mine'], ['none', 'Unassigned'], ...app.members.filter((m) => m.id !== app.me.id).map((m) => [m.id, m.name || m.email])]),
		sel('channel', 'Channel', [['', 'Any channel'], ['widget', 'Chat widget'], ['email', 'Email'], ['api', 'API']]),
		inp('site', 'Site', 'text', { placeholder: 'e.g. Site-101', list: 'site-list' }),
		h('datalist', { id: 'site-list' }),
		h('div', { class: 'field' }, h('label', { for: 'f-tags' }, 'Tags'),
			(ff.tags = h('select', { id: 'f-tags', name: 'tags', multiple: true, size: '5', 'aria-describedby': 'f-tags-hint' })),
			h('div', { class: 'tag-mode', role: 'group', 'aria-label': 'Match' },
				h('label', { class: 'check' }, (ff.tagAny = h('input', { type: 'radio', name: 'tag-mode', value: 'any', checked: true, id: 'f-tag-any' })), ' any of them'),
				h('label', { class: 'check' }, (ff.tagAll = h('input', { type: 'radio', name: 'tag-mode', value: 'all', id: 'f-tag-all' })), ' all of them')),
			h('p', { class: 'hint', id: 'f-tags-hint', text: 'Ctrl-click to pick several.' })),
		h('div', { class: 'field-row' }, inp('created_after', 'From', 'date'), inp('created_before', 'To', 'date')),
		h('div', { class: 'filter-actions' },
			h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => { st.f = {}; st.view = ''; fillFilters(); renderViews(); load(); } }, 'Clear'),
			h('button', { type: 'button', class: 'btn btn-small', id: 'save-view', onclick: saveView }, 'Save as view')));
	filterForm.addEventListener('change', () => {
		st.f = {};
		for (const k of FILTER_KEYS) if (ff[k] && ff[k].value) st.f[k] = ff[k].value.trim();
		const picked = [...ff.tags.selectedOptions].map((o) => o.value);
		if (picked.length) st.f[ff.tagAll.checked ? 'tags_all' : 'tags_any'] = picked.join(',');
		st.view = '';
		renderViews();
		load();
	});
	filterForm.addEventListener('submit', (e) => e.preventDefault());
	function fillFilters() {
		for (const k of FILTER_KEYS) if (ff[k]) {
			const v = st.f[k] || '';
			if (ff[k].tagName === 'SELECT' && v && ![...ff[k].options].some((o) => o.value === v)) ff[k].appendChild(h('option', { value: v }, v));
			ff[k].value = v;
		}
		const tags = (st.f.tags_all || st.f.tags_any || '').split(',').filter(Boolean);
		for (const o of ff.tags.options) o.selected = tags.includes(o.value);
		ff.tagAll.checked = !!st.f.tags_all;
		ff.tagAny.checked = !st.f.tags_all;
	}
	function saveView() {
		const box = h('div', { class: 'save-view' });
		const name = h('input', { 'aria-label': 'View name', placeholder: 'Name this view', id: 'view-name' });
		const ok = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Save');
		const form = h('form', { class: 'inline-form' }, name, ok);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			if (!name.value.trim()) return;
			let v;
			try {
				v = viewOf(await post('/views', { name: name.value.trim(), filters: { ...st.f } }));
			} catch (ex) { toast(ex.message, 'error'); return; }
			st.saved.push(v);
			st.view = v.id;
			store.set('baton.view.' + app.me.id, v.id);
			box.remove();
			renderViews();
			toast(`Saved the view “${v.name}”.`, 'ok');
		});
		box.appendChild(form);
		filterForm.appendChild(box);
		name.focus();
	}
	clear(left, h('h2', { class: 'pane-title' }, 'Views'), viewList, filterForm);
	function viewOf(r) { return { id: 'sv' + r.id, sid: r.id, name: r.name, f: r.filters || {} }; }
	async function loadViews() {
		try {
			st.saved = ((await get('/views')).items || []).map(viewOf);
			// Move views this browser saved before they lived on the server, once.
			const old = store.get(viewsKey, []);
			for (const v of old) {
				if (st.saved.some((x) => x.name === v.name)) continue;
				try { st.saved.push(viewOf(await post('/views', { name: v.name, filters: v.f || {} }))); } catch { /* keep going */ }
			}
			if (old.length) store.set(viewsKey, []);
		} catch { st.saved = []; }
		const sv = st.saved.find((v) => v.id === st.view);
		renderViews();
		if (sv) { st.f = { ...sv.f }; fillFilters(); load(); }
	}
	get('/tags').then((r) => {
		st.tags = r.items || [];
		for (const t of st.tags) ff.tags.appendChild(h('option', { value: String(t.id) }, (t.group_name ? t.group_name + ': ' : '') + t.name));
		fillFilters();
	}).catch(() => {});

	/* ----- middle: search + list ----- */
	const search = h('input', { type: 'search', id: 'search', placeholder: 'Search messages and notes', 'aria-label': 'Search messages and notes', autocomplete: 'off' });
	const searchForm = h('form', { class: 'search', role: 'search' }, search);
	const listHead = h('div', { class: 'list-head' });
	const list = h('ul', { class: 'conv-list', id: 'conv-list', role: 'listbox', 'aria-label': 'Conversations', tabindex: '0' });
	const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block', hidden: true, onclick: () => load(true) }, 'Load more');
	clear(mid, searchForm, listHead, list, more);
	let searchTimer = null;
	searchForm.addEventListener('submit', (e) => { e.preventDefault(); runSearch(); });
	search.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); });
	search.addEventListener('keydown', (e) => { if (e.key === 'Escape') { search.value = ''; runSearch(); } });

	async function runSearch() {
		st.q = search.value.trim();
		if (!st.q) { st.results = null; renderList(); return; }
		try {
			const r = await get('/search' + qs({ q: st.q, ...st.f, limit: 50 }));
			st.results = r.items || [];
		} catch (ex) {
			st.results = [];
			toast(ex.message, 'error');
		}
		renderList();
	}

	async function load(append) {
		try {
			const r = await get('/conversations' + qs({ ...st.f, limit: 50, cursor: append ? st.cursor : '' }));
			st.items = append ? st.items.concat(r.items) : r.items;
			st.cursor = r.next_cursor;
		} catch (ex) {
			toast(ex.message, 'error');
			st.items = [];
		}
		if (st.q) runSearch(); else renderList();
		const sites = new Set(st.items.map((c) => c.site).filter(Boolean));
		clear(filterForm.querySelector('#site-list'), [...sites].sort().map((s) => h('option', { value: s })));
	}

	function describeFilters() {
		const v = BUILTIN_VIEWS.find((x) => x.id === st.view) || st.saved.find((x) => x.id === st.view);
		return v ? v.name : Object.keys(st.f).length ? 'Filtered' : 'Everything';
	}

	function row(c, extra) {
		const unread = isUnread(c) && c.id !== st.openId;
		const flagged = c.status === 'needs_human';
		const who = c.contact_name || c.contact_email || 'Visitor';
		const li = h('li', {
			class: 'conv' + (flagged ? ' conv-flagged' : '') + (unread ? ' conv-unread' : '') + (c.id === st.openId ? ' conv-open' : ''),
			role: 'option', 'aria-selected': String(c.id === st.openId), tabindex: '-1', 'data-id': c.id,
			'data-number': String(c.number),
		},
		h('div', { class: 'conv-top' },
			unread ? h('span', { class: 'dot', title: `${c.unread} unread` }, h('span', { class: 'sr', text: `${c.unread} unread. ` })) : null,
			h('span', { class: 'conv-who', text: who }),
			h('span', { class: 'conv-num', text: '#' + c.number }),
			h('time', { class: 'conv-time', datetime: c.updated_at, text: ago(c.updated_at) })),
		h('div', { class: 'conv-mid' },
			flagged ? h('span', { class: 'badge badge-alert', text: 'Needs a person' }) : h('span', { class: 'badge badge-' + c.status, text: STATUS_LABEL[c.status] || c.status }),
			c.stale ? h('span', { class: 'badge badge-stale', title: 'Waiting on the team longer than the workspace limit', text: 'Stale' }) : null,
			flagged && c.handoff_reason ? h('span', { class: 'reason', text: reasonText(c) }) : null,
			c.site ? h('span', { class: 'chip', text: c.site }) : null,
			c.assignee_id ? h('span', { class: 'avatar avatar-xs', title: 'Assigned to ' + app.memberName(c.assignee_id), text: initials(app.memberName(c.assignee_id)) }) : null,
			presenceChip(c.id)),
		extra || h('p', { class: 'conv-preview', text: c.preview || '' }));
		li.addEventListener('click', () => open(c.id));
		return li;
	}

	// Who else has a thread open (from conversation.presence events since this page loaded).
	const here = new Map();
	function presenceChip(cid) {
		const others = (here.get(cid) || []).filter((m) => m.id !== app.me.id);
		if (!others.length) return null;
		const typing = others.some((m) => m.state === 'typing');
		const label = others.map((m) => `${m.name} is ${m.state === 'typing' ? 'typing' : 'viewing'}`).join(', ');
		return h('span', { class: 'chip chip-here' + (typing ? ' chip-typing' : ''), title: label, 'aria-label': label, 'data-here': String(others.length) },
			others.map((m) => m.name.split(' ')[0]).join(', ') + (typing ? ' typing…' : ' here'));
	}

	function renderList() {
		if (st.results) {
			const filtered = Object.keys(st.f).length > 0;
			clear(listHead, h('span', null, `${st.results.length} match${st.results.length === 1 ? '' : 'es'} for “${st.q}”` + (filtered ? ` in ${describeFilters()}` : '')),
				filtered ? h('button', { type: 'button', class: 'link', onclick: () => pickView(BUILTIN_VIEWS.find((v) => v.id === 'all')) }, 'Search everything')
					: h('button', { type: 'button', class: 'link', onclick: () => { search.value = ''; runSearch(); } }, 'Clear search'));
			clear(list, st.results.length ? st.results.map((r) => row(r, h('p', { class: 'conv-preview snippet' },
				h('span', { class: 'snip-kind', text: r.internal ? 'Note' : r.author_kind === 'agent' ? 'Agent' : r.author_kind === 'member' ? 'Team' : 'Visitor' }),
				snippet(r.snippet))))
				: h('li', { class: 'empty', text: 'Nothing matches. Try fewer words or clear the filters.' }));
			more.hidden = true;
			return;
		}
		clear(listHead, h('span', { class: 'list-title', text: describeFilters() }), h('span', { class: 'muted', text: `${st.items.length}${st.cursor ? '+' : ''} conversations` }));
		clear(list, st.items.length ? st.items.map((c) => row(c)) : h('li', { class: 'empty', text: 'No conversations here. New ones appear live.' }));
		more.hidden = !st.cursor;
	}

	// Arrow keys move through the list; Enter opens.
	list.addEventListener('keydown', (e) => {
		const rows = [...list.querySelectorAll('.conv')];
		if (!rows.length) return;
		let i = rows.indexOf(document.activeElement);
		if (e.key === 'ArrowDown' || e.key === 'j') i = Math.min(rows.length - 1, i + 1);
		else if (e.key === 'ArrowUp' || e.key === 'k') i = Math.max(0, i - 1);
		else if (e.key === 'Enter' && i >= 0) { rows[i].click(); return; } else return;
		e.preventDefault();
		rows[i].focus();
	});
	list.addEventListener('focus', (e) => {
		if (e.target === list) { const r = list.querySelector('.conv-open') || list.querySelector('.conv'); if (r) r.focus(); }
	});

	/* ----- right: the open conversation ----- */
	let convView = null;
	function open(id) {
		if (location.hash !== '#/inbox/' + id) location.hash = '#/inbox/' + id;
	}
	function showConv(id) {
		st.openId = id;
		if (convView) convView.destroy();
		convView = null;
		if (!id) {
			clear(right, h('div', { class: 'placeholder' },
				h('h2', null, 'Pick a conversation'),
				h('p', { class: 'muted', text: 'Threads flagged “Needs a person” were handed off by the agent and wait for your team. Use ↑ ↓ and Enter in the list.' })));
			return;
		}
		convView = mountConversation(right, app, id, {
			onConv: (c) => upsert({ ...c, unread: 0 }),
			onRead: (cid) => { const it = st.items.find((x) => x.id === cid); if (it && it.unread) { it.unread = 0; if (!st.results) renderList(); } },
		});
		renderList();
	}

	function upsert(c) {
		const i = st.items.findIndex((x) => x.id === c.id);
		const keepTags = i >= 0 ? st.items[i].tags : [];
		const merged = { tags: keepTags, ...(i >= 0 ? st.items[i] : {}), ...c };
		if (i >= 0) st.items.splice(i, 1);
		if (matches(app, st.f, merged)) {
			st.items.unshift(merged);
			st.items.sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
		}
		if (c.id === st.openId) merged.unread = 0;
		if (!st.results) renderList();
	}

	app.listeners.add((type, d) => {
		if (type === 'conversation.presence') {
			here.set(d.conversation_id, d.members || []);
			if (!(d.members || []).length) here.delete(d.conversation_id);
			// Update the row in place: a re-render would take the keyboard focus away.
			const li = list.querySelector(`.conv[data-id="${d.conversation_id}"] .conv-mid`);
			if (li) {
				const old = li.querySelector('.chip-here');
				const chip = presenceChip(d.conversation_id);
				if (old) old.remove();
				if (chip) li.appendChild(chip);
			}
		}
		// A message from someone else in a thread that is not open is unread.
		if (type === 'message.created' && d.message && d.conversation_id !== st.openId && d.message.author_id !== app.me.id) {
			const it = st.items.find((x) => x.id === d.conversation_id);
			if (it) it.unread = (it.unread || 0) + 1;
			else if (pendingUnread.size < 500) pendingUnread.set(d.conversation_id, (pendingUnread.get(d.conversation_id) || 0) + 1);
		}
		if (d.conversation && pendingUnread.has(d.conversation.id)) {
			d = { ...d, conversation: { ...d.conversation, unread: pendingUnread.get(d.conversation.id) } };
			pendingUnread.delete(d.conversation.id);
		}
		if (d.conversation) {
			upsert(d.conversation);
			if (type === 'conversation.handoff' || type === 'conversation.created') {
				refreshCounts();
				const li = list.querySelector(`[data-id="${d.conversation.id}"]`);
				if (li) li.classList.add('conv-new');
			}
			if (type === 'conversation.updated') refreshCounts();
		}
		if (convView) convView.onEvent(type, d);
	});

	const pendingUnread = new Map(); // unread counted before the row arrived

	renderViews();
	fillFilters();
	load();
	loadViews();
	showConv(st.openId);

	return {
		update(p) { if ((p[1] || null) !== st.openId) showConv(p[1] || null); },
		destroy() { if (convView) convView.destroy(); },
	};
}
