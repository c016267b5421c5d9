// conversation.js: one conversation: history with the agent's confidence and
// sources, the handoff banner, claim/assign/status/tags, the composer with
// internal notes, @mentions and saved replies, and the event timeline.
// Presence: a heartbeat says "viewing" while the view is open (every 10 s;
// the server forgets after 30 s), "typing" while the composer is being
// written in, and "left" on close; the bar under the header shows who else
// is here. Opening the thread and new messages while it is open move the
// member's read marker on the server.
import { h, clear, when, ago, toast, store, pct, STATUS_LABEL, REASONS, initials, handleOf } from './util.js';
import { get, post, patch, del } from './api.js';
import { mountAids } from './aids.js'; // suggest: suggested tags and "answered in #N"

const HEARTBEAT_MS = 10000;
const TYPING_RESEND_MS = 3000;
const TYPING_IDLE_MS = 4000;

const AUTHOR = { visitor: 'Visitor', agent: 'Agent', member: 'Team', system: 'System' };

export function mountConversation(el, app, id, hooks) {
	const st = { conv: null, msgs: [], timeline: [], tab: 'messages', tags: [], destroyed: false, mode: 'reply', replies: [], presence: null };
	const head = h('div', { class: 'conv-head' });
	const presenceBar = h('div', { class: 'presence', id: 'presence', role: 'status', 'aria-live': 'polite', hidden: true });
	const banner = h('div', { class: 'banner-slot' });
	const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Conversation sections' });
	const body = h('div', { class: 'conv-body', id: 'conv-body', tabindex: '-1' });
	const composer = h('div', { class: 'composer-slot' });
	clear(el, h('div', { class: 'conv-view' }, head, presenceBar, banner, tabs, body, composer));
	const dialog = h('dialog', { class: 'passage-dialog', 'aria-labelledby': 'passage-title' });
	document.body.appendChild(dialog);
	const aidsSlot = h('div', { class: 'aids-slot' }); banner.after(aidsSlot); // suggest
	const aids = mountAids(aidsSlot, app, id, { onTagged: () => refreshConv() }); // suggest

	async function load() {
		try {
			const [conv, msgs] = await Promise.all([get('/conversations/' + id), get('/conversations/' + id + '/messages')]);
			if (st.destroyed) return;
			st.conv = conv;
			// Keep live messages that arrived while loading.
			const got = msgs.items || [];
			st.msgs = got.concat(st.msgs.filter((x) => !got.some((y) => y.id === x.id))).sort((x, y) => x.id - y.id);
			hooks.onConv(conv);
			renderAll();
			scrollEnd();
			loadTimeline();
			markRead();
			say('viewing');
			if (!st.tags.length) get('/tags').then((r) => { st.tags = r.items || []; renderHead(); }).catch(() => {});
		} catch (ex) {
			clearInterval(pres.beat);
			clear(el, h('div', { class: 'placeholder' }, h('h2', null, 'This conversation cannot be opened'), h('p', { class: 'muted', text: ex.message })));
		}
	}
	async function loadTimeline() {
		try {
			st.timeline = (await get('/conversations/' + id + '/timeline')).items || [];
			if (st.tab === 'timeline') renderBody();
		} catch { /* shown as empty */ }
	}

	function renderAll() { renderHead(); renderBanner(); renderTabs(); renderBody(); renderComposer(); }

	/* ----- presence: heartbeat, typing, and who else is here ----- */
	const pres = { state: 'viewing', note: false, lastSent: 0, idle: null, beat: null };
	async function say(state) {
		if (st.destroyed && state !== 'left') return;
		if (state === 'typing' && !app.canWrite()) return;
		pres.state = state === 'left' ? 'viewing' : state;
		pres.lastSent = Date.now();
		// Typing a note is shown to the team only, never to the visitor.
		pres.note = state === 'typing' && st.mode === 'note';
		try {
			const r = await post('/conversations/' + id + '/presence', { state, note: pres.note });
			if (state !== 'left' && !st.destroyed) renderPresence(r);
		} catch { /* presence is best effort */ }
	}
	pres.beat = setInterval(() => { if (document.visibilityState === 'visible') say(pres.state); }, HEARTBEAT_MS);
	function typed() {
		if (pres.state !== 'typing' || pres.note !== (st.mode === 'note') || Date.now() - pres.lastSent > TYPING_RESEND_MS) say('typing');
		clearTimeout(pres.idle);
		pres.idle = setTimeout(() => say('viewing'), TYPING_IDLE_MS);
	}
	function renderPresence(p) {
		if (p) st.presence = p;
		p = st.presence;
		if (!p) return;
		const others = (p.members || []).filter((m) => m.id !== app.me.id);
		const typing = others.filter((m) => m.state === 'typing');
		const viewing = others.filter((m) => m.state !== 'typing');
		const names = (list) => list.map((m) => m.name.split(' ')[0]).join(', ').replace(/, ([^,]*)$/, ' and $1');
		const parts = [];
		const what = typing.every((m) => m.note) ? ' a note' : '';
		if (typing.length) parts.push(h('span', { class: 'presence-typing', id: 'presence-typing' }, `${names(typing)} ${typing.length > 1 ? 'are' : 'is'} typing${what}`, h('span', { class: 'dots', 'aria-hidden': 'true' }, '…')));
		if (viewing.length) parts.push(h('span', { class: 'presence-viewing', id: 'presence-viewing', text: `${names(viewing)} ${viewing.length > 1 ? 'are' : 'is'} viewing` }));
		if (p.visitor_typing) parts.push(h('span', { class: 'presence-typing presence-visitor', id: 'presence-visitor', text: 'The visitor is typing…' }));
		presenceBar.hidden = !others.length && !p.visitor_typing;
		clear(presenceBar,
			others.length ? h('span', { class: 'presence-avatars', 'aria-hidden': 'true' }, others.map((m) => h('span', {
				class: 'avatar avatar-sm' + (m.state === 'typing' ? ' avatar-typing' : ''), title: `${m.name} is ${m.state}`, text: initials(m.name),
			}))) : null,
			parts);
	}

	/* ----- read marker (unread state per member lives on the server) ----- */
	let readTimer = null;
	function markRead() {
		clearTimeout(readTimer);
		readTimer = setTimeout(async () => {
			if (st.destroyed || document.visibilityState !== 'visible') return;
			try { await post('/conversations/' + id + '/read', {}); if (hooks.onRead) hooks.onRead(id); } catch { /* stays unread */ }
		}, 300);
	}
	function onVisible() { if (document.visibilityState === 'visible' && !st.destroyed) { markRead(); say(pres.state); } }
	document.addEventListener('visibilitychange', onVisible);
	// Closing the tab: say "left" with a request that outlives the page.
	function onPageHide() {
		try {
			fetch('/api/v1/conversations/' + id + '/presence', { method: 'POST', keepalive: true, credentials: 'same-origin',
				headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': app.me.csrf_token }, body: JSON.stringify({ state: 'left' }) });
		} catch { /* the server forgets in 30 s anyway */ }
	}
	window.addEventListener('pagehide', onPageHide);

	/* ----- header: who, context, assignee, status actions, tags ----- */
	async function act(path, payload, okMsg) {
		try {
			const c = await post('/conversations/' + id + path, payload);
			if (c && c.id) { st.conv = { ...st.conv, ...c }; hooks.onConv(st.conv); }
			renderAll();
			loadTimeline();
			if (okMsg) toast(okMsg, 'ok');
		} catch (ex) { toast(ex.message, 'error'); }
	}

	function renderHead() {
		const c = st.conv;
		if (!c) return;
		const who = c.contact_name || c.contact_email || 'Visitor';
		const w = app.canWrite();
		const mine = c.assignee_id === app.me.id;
		let claim = null;
		if (w && !mine) {
			claim = c.assignee_id
				? h('button', { type: 'button', class: 'btn', id: 'claim', onclick: () => act('/claim', undefined, 'You took over this conversation.') }, 'Take over')
				: h('button', { type: 'button', class: 'btn btn-primary', id: 'claim', onclick: () => act('/claim', undefined, 'Claimed. The agent is paused here.') }, 'Claim');
		}
		const assign = h('select', { id: 'assignee', 'aria-label': 'Assignee', disabled: !w },
			h('option', { value: '' }, 'Unassigned'),
			app.members.map((m) => h('option', { value: m.id, selected: m.id === c.assignee_id }, (m.name || m.email) + (m.id === app.me.id ? ' (me)' : ''))));
		assign.addEventListener('change', () => act('/assign', { assignee_id: assign.value || null }, assign.value ? 'Assigned to ' + app.memberName(assign.value) + '.' : 'Unassigned.'));
		const statusBtns = [];
		if (w) {
			if (c.status !== 'resolved') statusBtns.push(h('button', { type: 'button', class: 'btn btn-ok', id: 'resolve', onclick: () => act('/status', { status: 'resolved' }, 'Resolved.') }, 'Resolve'));
			else statusBtns.push(h('button', { type: 'button', class: 'btn', id: 'reopen', onclick: () => act('/status', { status: 'open' }, 'Reopened.') }, 'Reopen'));
			if (c.status !== 'pending' && c.status !== 'resolved') statusBtns.push(h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => act('/status', { status: 'pending' }, 'Marked as waiting on the visitor.') }, 'Pending'));
			if (c.mode === 'manual') statusBtns.push(h('button', { type: 'button', class: 'btn btn-ghost', id: 'handback', title: 'Let the agent answer this conversation again', onclick: () => act('/handback', undefined, 'Handed back to the agent.') }, 'Hand back to agent'));
		}
		// R4: the printable transcript (HTML), in a new tab; the export is audited.
		statusBtns.push(h('a', { class: 'btn btn-ghost', id: 'transcript', href: '/api/v1/conversations/' + encodeURIComponent(id) + '/transcript', target: '_blank', rel: 'noopener', title: 'A printable transcript of this conversation' }, 'Transcript'));
		const tagSel = h('select', { 'aria-label': 'Add a tag', class: 'tag-add', disabled: !w },
			h('option', { value: '' }, '+ Tag'),
			st.tags.filter((t) => !(c.tags || []).some((x) => x.tag_id === t.id)).map((t) => h('option', { value: String(t.id) }, (t.group_name ? t.group_name + ': ' : '') + t.name)));
		tagSel.addEventListener('change', async () => {
			if (!tagSel.value) return;
			try {
				const r = await post('/conversations/' + id + '/tags', { tag_id: Number(tagSel.value) });
				const added = st.tags.find((t) => t.id === Number(tagSel.value));
				if (r && r.replaced && added) toast(`${added.name} replaced ${r.replaced}: a thread has ${added.cardinality === 'one' ? 'exactly' : 'at most'} one ${added.group_name} tag.`, 'info');
				await refreshConv();
			} catch (ex) { toast(ex.message, 'error'); }
		});
		// Provenance (T5): who or what applied each tag, and when.
		const by = (t) => t.source === 'member' ? app.memberName(t.source_id) : t.source === 'rule' ? 'a rule' : t.source === 'agent' ? 'the agent' : 'someone';
		const tagChips = (c.tags || []).map((t) => h('span', { class: 'tag tag-src-' + (t.source || 'member'), title: `Added by ${by(t)} ${ago(t.applied_at)}`, 'aria-label': `${t.name}, added by ${by(t)} ${ago(t.applied_at)}` },
			h('span', { class: 'tag-dot', 'data-colour': t.colour || '' }), t.name,
			h('small', { class: 'tag-src', text: t.source === 'member' ? initials(app.memberName(t.source_id)) : t.source === 'rule' ? 'rule' : t.source === 'agent' ? 'agent' : '' }),
			w ? h('button', { type: 'button', class: 'tag-x', 'aria-label': 'Remove tag ' + t.name, onclick: async () => {
				try { await del('/conversations/' + id + '/tags/' + t.tag_id); await refreshConv(); } catch (ex) { toast(ex.message, 'error'); }
			} }, '×') : null));
		clear(head,
			h('div', { class: 'conv-title' },
				h('div', { class: 'avatar', 'aria-hidden': 'true', text: initials(who) }),
				h('div', null,
					h('h2', { id: 'conv-title' }, who, h('span', { class: 'muted num', text: ' #' + c.number })),
					h('p', { class: 'context' },
						h('span', { class: 'badge badge-' + (c.status === 'needs_human' ? 'alert' : c.status), id: 'conv-status', text: STATUS_LABEL[c.status] || c.status }),
						h('span', { class: 'chip chip-mode', text: c.mode === 'agent' ? 'Agent answering' : 'Person answering' }),
						c.site ? h('span', { class: 'chip', text: c.site }) : null,
						c.protocol ? h('span', { class: 'chip', text: c.protocol }) : null,
						h('span', { class: 'chip', text: c.channel === 'widget' ? 'Chat widget' : c.channel }),
						c.contact_email ? h('span', { class: 'muted', text: c.contact_email }) : null,
						h('span', { class: 'muted', text: 'started ' + when(c.created_at) })))),
			h('div', { class: 'conv-actions' },
				claim,
				h('label', { class: 'inline-label', for: 'assignee' }, 'Assignee'), assign,
				statusBtns),
			h('div', { class: 'conv-tags' }, tagChips, st.tags.length ? tagSel : null));
	}

	async function refreshConv() {
		const c = await get('/conversations/' + id);
		st.conv = c;
		hooks.onConv(c);
		renderHead();
		renderBanner();
		renderComposer();
		loadTimeline();
	}

	/* ----- handoff banner ----- */
	function renderBanner() {
		const c = st.conv;
		if (!c || !c.handoff_reason || c.status === 'resolved') { clear(banner); return; }
		const why = {
			key_phrase: `The visitor's message contains the key phrase “${c.handoff_phrase || '?'}”, so the agent stopped and flagged it for a person.`,
			human_requested: 'The visitor asked to talk to a person.',
			low_confidence: 'The agent was not confident enough to answer from the documents.',
			not_helpful: 'The visitor said the agent\'s answer did not help.',
		}[c.handoff_reason] || 'The agent handed this conversation to the team.';
		const who = c.assignee_id ? (c.assignee_id === app.me.id ? 'You are handling it.' : app.memberName(c.assignee_id) + ' is handling it.') : 'Nobody has claimed it yet.';
		clear(banner, h('div', { class: 'banner banner-alert', role: 'note', id: 'handoff-banner' },
			h('strong', null, 'Handed off — ' + (REASONS[c.handoff_reason] || c.handoff_reason)),
			c.handoff_phrase ? h('span', { class: 'phrase', text: '“' + c.handoff_phrase + '”' }) : null,
			h('p', null, why + ' ', h('span', { class: 'muted', text: (c.handoff_at ? ago(c.handoff_at) + '. ' : '') + who })),
			c.mode === 'manual' ? h('p', { class: 'muted small', text: 'The agent is paused in this conversation until someone hands it back.' }) : null));
	}

	/* ----- tabs ----- */
	function renderTabs() {
		const tab = (key, label) => {
			const b = h('button', { type: 'button', role: 'tab', id: 'tab-' + key, 'aria-selected': String(st.tab === key), 'aria-controls': 'conv-body', class: 'tab', tabindex: st.tab === key ? '0' : '-1' }, label);
			b.addEventListener('click', () => { st.tab = key; renderTabs(); renderBody(); if (key === 'timeline') loadTimeline(); });
			b.addEventListener('keydown', (e) => {
				if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { st.tab = st.tab === 'messages' ? 'timeline' : 'messages'; renderTabs(); renderBody(); tabs.querySelector('[aria-selected="true"]').focus(); }
			});
			return b;
		};
		clear(tabs, tab('messages', 'Conversation'), tab('timeline', 'Timeline'));
	}

	function renderBody() {
		body.setAttribute('aria-labelledby', 'tab-' + st.tab);
		body.setAttribute('role', 'tabpanel');
		if (st.tab === 'timeline') { clear(body, renderTimeline()); return; }
		clear(body, h('ol', { class: 'messages', 'aria-label': 'Messages', 'aria-live': 'polite' }, st.msgs.map(renderMsg)));
	}

	function renderMsg(m) {
		const kind = m.internal ? 'note' : m.author_kind;
		const name = m.author_kind === 'member' ? app.memberName(m.author_id) : m.author_kind === 'visitor' ? (st.conv.contact_name || 'Visitor') : m.author_kind === 'agent' ? 'Agent' : AUTHOR[m.author_kind] || m.author_kind;
		const meta = h('div', { class: 'msg-meta' },
			h('span', { class: 'msg-name', text: name }),
			m.internal ? h('span', { class: 'chip chip-note', text: 'Internal note — not sent to the visitor' }) : null,
			h('time', { datetime: m.created_at, title: when(m.created_at), text: ago(m.created_at) }));
		const extra = [];
		if (m.author_kind === 'agent') {
			if (typeof m.confidence === 'number') {
				const level = m.confidence >= 0.75 ? 'hi' : m.confidence >= 0.5 ? 'mid' : 'lo';
				extra.push(h('div', { class: 'confidence conf-' + level, title: 'How likely the agent thinks this answer is right' },
					h('span', { text: 'Confidence ' + pct(m.confidence) }),
					h('meter', { min: '0', max: '1', low: '0.5', high: '0.75', optimum: '1', value: String(m.confidence), 'aria-label': 'Confidence' })));
			}
			if (m.handoff_reason) extra.push(h('div', { class: 'chip chip-alert', text: 'Handed off: ' + (REASONS[m.handoff_reason] || m.handoff_reason) }));
			if (m.writer === 'used') extra.push(h('div', { class: 'chip', title: 'Reworded by the workspace’s answer writer from the cited passages only; the confidence and sources are Baton’s own.', text: 'Rephrased' }));
			else if (m.writer) extra.push(h('div', { class: 'chip', title: 'The answer writer was not used (' + m.writer.replace(/_/g, ' ') + '); this is the extractive answer.', text: 'Extractive (writer: ' + m.writer.replace(/_/g, ' ') + ')' }));
			if (m.citations && m.citations.length && !m.handoff_reason) {
				extra.push(h('div', { class: 'sources' }, h('span', { class: 'sources-label', text: 'Sources' }),
					m.citations.map((c, i) => h('button', { type: 'button', class: 'source', 'data-source': String(i), onclick: () => showPassage(c) },
						h('span', { class: 'source-doc', text: c.document }),
						c.section ? h('span', { class: 'source-sec', text: ' · ' + c.section.split(' > ').pop() }) : null,
						c.page ? h('span', { class: 'source-sec', text: ' · p. ' + c.page }) : null))));
			} else if (m.citations && m.citations.length) {
				extra.push(h('div', { class: 'sources' }, h('span', { class: 'sources-label', text: 'Closest passage' }),
					m.citations.map((c) => h('button', { type: 'button', class: 'source source-weak', onclick: () => showPassage(c) }, h('span', { class: 'source-doc', text: c.document })))));
			}
		}
		return h('li', { class: 'msg msg-' + kind, 'data-msg': String(m.id) },
			meta, h('div', { class: 'msg-body', text: m.body }), extra);
	}

	function showPassage(c) {
		clear(dialog,
			h('h2', { id: 'passage-title', text: c.document }),
			h('p', { class: 'muted', text: [c.section, c.page ? 'page ' + c.page : ''].filter(Boolean).join(' · ') }),
			h('blockquote', { class: 'passage', text: c.text || '(the passage text is not available)' }),
			h('form', { method: 'dialog', class: 'dialog-actions' },
				h('a', { class: 'btn btn-ghost', href: '#/knowledge' }, 'Open the knowledge base'),
				h('button', { class: 'btn btn-primary', value: 'close' }, 'Close')));
		dialog.showModal();
	}

	function renderTimeline() {
		if (!st.timeline.length) return h('p', { class: 'muted pad', text: 'No events yet.' });
		const actor = (t) => t.actor_kind === 'member' ? app.memberName(t.actor_id) : t.actor_kind === 'agent' ? 'The agent' : t.actor_kind === 'visitor' ? 'The visitor' : t.actor_kind === 'token' ? 'An API client' : 'Baton';
		const say = (t) => {
			const d = t.detail || {};
			switch (t.kind) {
			case 'created': return `Conversation started (${d.channel || 'unknown channel'})`;
			case 'handoff': return `Handed off to the team — ${REASONS[d.reason] || d.reason}${d.phrase ? ` (“${d.phrase}”)` : ''}`;
			case 'claimed': return `${actor(t)} claimed it`;
			case 'assigned': return d.assignee_id ? `${actor(t)} assigned it to ${app.memberName(d.assignee_id)}` : `${actor(t)} unassigned it`;
			case 'status_changed': return `${actor(t)} set the status to ${STATUS_LABEL[d.to] || d.to}`;
			case 'handed_back': return `${actor(t)} handed it back to the agent`;
			case 'tagged': return `${actor(t)} added a tag`;
			default: return `${actor(t)}: ${t.kind.replace(/_/g, ' ')}`;
			}
		};
		return h('ol', { class: 'timeline', 'aria-label': 'Timeline' }, st.timeline.map((t) => h('li', { class: 'tl tl-' + t.kind },
			h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
			h('span', { class: 'tl-text', text: say(t) }),
			h('time', { datetime: t.created_at, text: when(t.created_at) }))));
	}

	/* ----- saved replies (the workspace's, on the server) ----- */
	async function loadReplies() {
		try {
			st.replies = (await get('/saved-replies')).items || [];
			// Move replies this browser saved before they lived on the server, once.
			const oldKey = 'baton.replies.' + app.me.workspace.id, old = store.get(oldKey, []);
			if (old.length && app.canWrite()) {
				for (const r of old) {
					if (!st.replies.some((x) => x.title === r.title)) {
						try { st.replies.push(await post('/saved-replies', { title: r.title, body: r.body })); } catch { /* keep going */ }
					}
				}
				store.set(oldKey, []);
			}
			if (!st.destroyed && !composer.querySelector('textarea:focus')) renderComposer();
			else if (!st.destroyed) fillReplies();
		} catch { /* no saved replies shown */ }
	}
	function fillReplies() {
		const sel = composer.querySelector('#saved-replies');
		if (!sel) return;
		clear(sel, h('option', { value: '' }, st.replies.length ? 'Saved replies…' : 'No saved replies yet'),
			st.replies.map((r) => h('option', { value: String(r.id) }, r.title)));
	}

	// The team's saved replies, with a delete button each (agents and up).
	function manageReplies() {
		const rows = () => st.replies.map((r) => h('li', { class: 'reply-row' },
			h('div', null, h('strong', { text: r.title }), h('p', { class: 'muted small', text: r.body.slice(0, 160) })),
			h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': 'Delete saved reply ' + r.title, onclick: async () => {
				try { await del('/saved-replies/' + r.id); } catch (ex) { toast(ex.message, 'error'); return; }
				st.replies = st.replies.filter((x) => x.id !== r.id);
				clear(list, rows());
				fillReplies();
				if (!st.replies.length) dialog.close();
			} }, 'Delete')));
		const list = h('ul', { class: 'reply-list' }, rows());
		clear(dialog, h('h2', { id: 'passage-title', text: 'Saved replies' }),
			h('p', { class: 'muted', text: 'Shared by the whole team. Save a new one with “Save as reply” under the composer.' }),
			list,
			h('form', { method: 'dialog', class: 'dialog-actions' }, h('button', { class: 'btn btn-primary', value: 'close' }, 'Close')));
		dialog.showModal();
	}

	/* ----- composer ----- */
	function renderComposer() {
		const c = st.conv;
		if (!app.canWrite()) {
			clear(composer, h('div', { class: 'composer composer-off', id: 'composer-disabled' },
				h('textarea', { disabled: true, 'aria-label': 'Reply (disabled)', rows: '2', placeholder: 'Replies are disabled for your role' }),
				h('p', { class: 'why', role: 'note', text: 'You have the viewer role: you can read every conversation but not reply or add notes. Ask an admin to make you an agent.' })));
			return;
		}
		const ta = h('textarea', { id: 'composer', rows: '3', 'aria-label': st.mode === 'note' ? 'Internal note' : 'Reply to the visitor',
			placeholder: st.mode === 'note' ? 'Write an internal note. Type @ to mention a teammate.' : 'Write a reply to the visitor…' });
		const picker = h('ul', { class: 'mention-picker', role: 'listbox', hidden: true, 'aria-label': 'Mention a teammate' });
		const modeBtn = (key, label) => h('button', { type: 'button', role: 'radio', 'aria-checked': String(st.mode === key), class: 'seg' + (st.mode === key ? ' seg-on' : ''), id: 'mode-' + key,
			onclick: () => { st.mode = key; const v = ta.value; renderComposer(); const t2 = composer.querySelector('textarea'); t2.value = v; t2.focus(); } }, label);
		const savedSel = h('select', { 'aria-label': 'Insert a saved reply', class: 'saved-replies', id: 'saved-replies' },
			h('option', { value: '' }, st.replies.length ? 'Saved replies…' : 'No saved replies yet'),
			st.replies.map((r) => h('option', { value: String(r.id) }, r.title)));
		savedSel.addEventListener('change', () => {
			const r = st.replies.find((x) => String(x.id) === savedSel.value);
			if (r) { ta.value = ta.value ? ta.value + '\n' + r.body : r.body; ta.focus(); }
			savedSel.value = '';
		});
		const saveBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'save-reply', title: 'Save the text in the box as a saved reply for the whole team', onclick: async () => {
			const body = ta.value.trim();
			if (!body) { toast('Write the reply first, then save it.', 'info'); return; }
			const title = body.split('\n')[0].slice(0, 40);
			const same = st.replies.find((x) => x.title === title);
			try {
				const r = same ? await patch('/saved-replies/' + same.id, { body }) : await post('/saved-replies', { title, body });
				st.replies = st.replies.filter((x) => x.id !== r.id).concat([r]).sort((a, b) => a.title.localeCompare(b.title));
				toast(same ? `Updated the saved reply “${title}”.` : `Saved reply “${title}” for the team.`, 'ok');
			} catch (ex) { toast(ex.message, 'error'); return; }
			const v = ta.value; renderComposer(); composer.querySelector('textarea').value = v;
		} }, 'Save as reply');
		const manageBtn = st.replies.length ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'manage-replies', onclick: manageReplies }, 'Manage') : null;
		const send = h('button', { type: 'submit', class: 'btn ' + (st.mode === 'note' ? 'btn-note' : 'btn-primary'), id: 'send' }, st.mode === 'note' ? 'Add note' : 'Send reply');
		const hint = st.mode === 'reply' && c.mode === 'agent'
			? 'Sending a reply takes over from the agent: it will stay silent in this thread.'
			: st.mode === 'note' ? 'Only your team sees notes.' : 'The visitor sees this in the same chat window.';
		const form = h('form', { class: 'composer' + (st.mode === 'note' ? ' composer-note' : ''), 'aria-label': 'Composer' },
			h('div', { class: 'composer-bar' },
				h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Message type' }, modeBtn('reply', 'Reply'), modeBtn('note', 'Internal note')),
				h('div', { class: 'composer-tools' }, savedSel, saveBtn, manageBtn)),
			h('div', { class: 'composer-input' }, ta, picker),
			h('div', { class: 'composer-foot' }, h('span', { class: 'muted small', text: hint + ' Ctrl+Enter sends.' }), send));
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const text = ta.value.trim();
			if (!text) return;
			send.disabled = true;
			try {
				const m = await post('/conversations/' + id + '/messages', { body: text, internal: st.mode === 'note' });
				addMsg(m);
				ta.value = '';
				clearTimeout(pres.idle);
				say('viewing');
				if (m.mentions && m.mentions.length) toast(`Notified ${m.mentions.map((x) => x.name).join(', ')}.`, 'ok');
				refreshConv().catch(() => {});
			} catch (ex) {
				toast(ex.message, 'error');
			} finally {
				send.disabled = false;
				ta.focus();
			}
		});
		// @mentions
		let pick = 0, cands = [];
		function mentionQuery() {
			const upto = ta.value.slice(0, ta.selectionStart);
			const m = upto.match(/(^|\s)@([\w.-]*)$/);
			return m ? m[2].toLowerCase() : null;
		}
		function renderPicker() {
			const q = mentionQuery();
			cands = q === null ? [] : app.members.filter((m) => (m.name || '').toLowerCase().includes(q) || handleOf(m).includes(q)).slice(0, 6);
			picker.hidden = !cands.length;
			pick = Math.min(pick, Math.max(0, cands.length - 1));
			clear(picker, cands.map((m, i) => h('li', { role: 'option', 'aria-selected': String(i === pick), class: i === pick ? 'on' : '', onmousedown: (e) => { e.preventDefault(); insertMention(m); } },
				h('strong', { text: m.name || m.email }), h('span', { class: 'muted', text: ' @' + handleOf(m) + (m.organisation ? ' · ' + m.organisation : '') }))));
		}
		function insertMention(m) {
			const pos = ta.selectionStart;
			const before = ta.value.slice(0, pos).replace(/@([\w.-]*)$/, '@' + handleOf(m) + ' ');
			ta.value = before + ta.value.slice(pos);
			ta.selectionStart = ta.selectionEnd = before.length;
			picker.hidden = true;
			if (st.mode !== 'note') { st.mode = 'note'; const v = ta.value; renderComposer(); const t2 = composer.querySelector('textarea'); t2.value = v; t2.focus(); toast('Mentions go in internal notes; switched to a note.', 'info'); }
		}
		ta.addEventListener('input', () => { renderPicker(); if (ta.value.trim()) typed(); });
		ta.addEventListener('keydown', (e) => {
			if (!picker.hidden && cands.length) {
				if (e.key === 'ArrowDown') { pick = (pick + 1) % cands.length; renderPicker(); e.preventDefault(); return; }
				if (e.key === 'ArrowUp') { pick = (pick + cands.length - 1) % cands.length; renderPicker(); e.preventDefault(); return; }
				if (e.key === 'Enter' || e.key === 'Tab') { insertMention(cands[pick]); e.preventDefault(); return; }
				if (e.key === 'Escape') { picker.hidden = true; e.preventDefault(); return; }
			}
			if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
		});
		clear(composer, form);
	}

	function addMsg(m) {
		if (!m || st.msgs.some((x) => x.id === m.id)) return;
		st.msgs.push(m);
		if (!st.conv) return; // still loading: rendered with the rest
		if (m.author_id !== app.me.id) markRead();
		st.msgs.sort((a, b) => a.id - b.id);
		if (st.tab === 'messages') {
			const near = body.scrollHeight - body.scrollTop - body.clientHeight < 120;
			renderBody();
			if (near || m.author_id === app.me.id) scrollEnd();
		}
	}
	function scrollEnd() { body.scrollTop = body.scrollHeight; }

	load();
	loadReplies();
	// Members may have joined since login: the @ picker and names need them.
	get('/members').then((r) => { if (r && r.items) app.members = r.items; }).catch(() => {});
	return {
		onEvent(type, d) {
			aids.onEvent(type, d); // suggest
			if (type === 'conversation.presence' && d.conversation_id === id) { renderPresence(d); return; }
			if (type === 'message.created' && d.conversation_id === id) addMsg(d.message);
			if (d.conversation && d.conversation.id === id) {
				st.conv = { ...st.conv, ...d.conversation, tags: st.conv ? st.conv.tags : [] };
				renderHead();
				renderBanner();
				if (!composer.querySelector('textarea:focus')) renderComposer();
				else {
					const hint = composer.querySelector('.composer-foot .muted');
					if (hint && st.conv.mode === 'manual') hint.textContent = 'The visitor sees this in the same chat window. Ctrl+Enter sends.';
				}
				loadTimeline();
			}
		},
		destroy() {
			st.destroyed = true;
			dialog.remove();
			clearInterval(pres.beat);
			clearTimeout(pres.idle);
			clearTimeout(readTimer);
			document.removeEventListener('visibilitychange', onVisible);
			window.removeEventListener('pagehide', onPageHide);
			say('left');
		},
	};
}
