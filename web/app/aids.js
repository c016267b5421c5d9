// aids.js: inbox aids in the conversation view. The agent's suggested Topic
// tags as chips ("suggested · 82%") that a member accepts (✓) or rejects (✕)
// with one click, updated live; and "Answered in #N" when a member already
// answered the same question in another thread the viewer can see.
import { h, clear, toast, pct } from './util.js';
import { get, post } from './api.js';

const hooked = new WeakSet();
const mounted = new Set();

// The member stream only dispatches the types api.js lists, so the aids
// listen for their own event on the same EventSource.
function hook(app) {
	const es = app.es;
	if (!es || hooked.has(es)) return;
	hooked.add(es);
	es.addEventListener('suggestions.updated', (e) => {
		let d = null;
		try { d = JSON.parse(e.data); } catch { return; }
		for (const a of [...mounted]) a.onSuggestions(d);
	});
}

function colourDot(colour) {
	const dot = h('span', { class: 'tag-dot', 'aria-hidden': 'true' });
	if (/^#[0-9a-fA-F]{6}$/.test(colour || '')) dot.style.backgroundColor = colour; // CSSOM: allowed by the CSP
	return dot;
}

// Render the aids of conversation `id` into el. hooks.onTagged() runs after an
// accepted suggestion so the caller can refresh its tag chips.
export function mountAids(el, app, id, hooks = {}) {
	const st = { sugg: [], dups: [], busy: new Set(), destroyed: false };
	const suggBox = h('div', { class: 'aids-sugg', id: 'suggestions', role: 'group', 'aria-label': 'Suggested tags' });
	const dupBox = h('div', { class: 'aids-dup', id: 'duplicates', 'aria-live': 'polite' });
	clear(el, h('div', { class: 'aids' }, dupBox, suggBox));

	async function loadSuggestions() {
		try {
			const r = await get('/conversations/' + id + '/suggestions');
			if (st.destroyed) return;
			st.sugg = r.items || [];
			renderSuggestions();
		} catch { /* aids are optional: the conversation still works */ }
	}
	async function loadDuplicates() {
		try {
			const r = await get('/conversations/' + id + '/duplicates');
			if (st.destroyed) return;
			st.dups = r.items || [];
			renderDuplicates();
		} catch { /* optional */ }
	}

	async function decide(s, accept) {
		if (st.busy.has(s.tag_id)) return;
		st.busy.add(s.tag_id);
		renderSuggestions();
		try {
			const r = await post(`/conversations/${id}/suggestions/${s.tag_id}/${accept ? 'accept' : 'reject'}`);
			st.sugg = r.suggestions || [];
			toast(accept ? `Tagged ${s.name}.` : `${s.name} will not be suggested again here.`, 'ok');
			if (accept && hooks.onTagged) hooks.onTagged();
		} catch (ex) {
			toast(ex.message, 'error');
		} finally {
			st.busy.delete(s.tag_id);
			if (!st.destroyed) renderSuggestions();
		}
	}

	function renderSuggestions() {
		const w = app.canWrite();
		if (!st.sugg.length) { clear(suggBox); return; }
		clear(suggBox,
			h('span', { class: 'aids-label', text: 'Suggested tags' }),
			st.sugg.map((s) => h('span', { class: 'sugg-chip', 'data-tag': String(s.tag_id), title: s.description || '' },
				colourDot(s.colour), h('span', { class: 'sugg-name', text: s.name }),
				h('span', { class: 'sugg-score', text: 'suggested · ' + pct(Math.min(s.score, 0.99)) }), // a guess is never 100%
				w ? h('button', { type: 'button', class: 'sugg-ok', 'aria-label': 'Accept suggested tag ' + s.name, title: 'Add this tag',
					disabled: st.busy.has(s.tag_id), onclick: () => decide(s, true) }, '✓') : null,
				w ? h('button', { type: 'button', class: 'sugg-no', 'aria-label': 'Reject suggested tag ' + s.name, title: 'Not this tag',
					disabled: st.busy.has(s.tag_id), onclick: () => decide(s, false) }, '✕') : null)));
	}

	function renderDuplicates() {
		if (!st.dups.length) { clear(dupBox); return; }
		clear(dupBox, st.dups.map((d) => h('div', { class: 'banner banner-info dup-notice', role: 'note' },
			h('strong', null, 'Answered in ', h('a', { href: '#/inbox/' + d.conversation_id, class: 'dup-link' }, '#' + d.number)),
			h('span', { class: 'muted small', text: ' · ' + pct(d.score) + ' alike' }),
			h('p', { class: 'dup-q' }, h('span', { class: 'muted', text: 'Asked there: ' }), '“' + d.question + '”'),
			d.answer_excerpt ? h('p', { class: 'dup-a' }, h('span', { class: 'muted', text: 'Team answer: ' }), d.answer_excerpt) : null)));
	}

	const self = {
		onSuggestions(d) {
			if (!el.isConnected) { self.destroy(); return; } // the conversation view was replaced
			if (st.destroyed || !d || d.conversation_id !== id) return;
			st.sugg = d.suggestions || [];
			renderSuggestions();
		},
		onEvent(type, d) {
			if (type === 'message.created' && d && d.conversation_id === id && d.message && d.message.author_kind === 'visitor') loadDuplicates();
		},
		destroy() { st.destroyed = true; mounted.delete(self); },
	};
	mounted.add(self);
	hook(app);
	loadSuggestions();
	loadDuplicates();
	return self;
}
