// review.js: the monthly review (R2, R3). The month's handed-off questions,
// grouped and ranked by member time, each with its threads and the "answer
// and add to knowledge base" action; the knowledge gaps; and the proposed
// Q&A entries, which admins approve (indexed at once) or reject.
import { h, clear, toast, when, REASONS } from './util.js';
import { get, post, qs } from './api.js';

function thisMonth() {
	const d = new Date();
	return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0');
}

function minutes(s) {
	if (!s) return '0 min';
	if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
	return `${Math.round(s / 60)} min`;
}

const reasonLabel = (r) => REASONS[r] || (r === 'rule' ? 'Rule' : r === 'agent_off' ? 'Agent off' : r);
const ENTRY_STATE = { pending: 'Pending approval', approved: 'In the knowledge base', rejected: 'Rejected' };

export function mountReview(el, app, parts, params) {
	const admin = app.isAdmin();
	const month = h('input', { type: 'month', id: 'review-month', value: params.get('month') || thisMonth(), 'aria-label': 'Month' });
	const summary = h('p', { class: 'muted', id: 'review-summary', 'aria-live': 'polite' });
	const groupsBox = h('div', { class: 'review-groups', id: 'review-groups' });
	const gapsBox = h('div', { class: 'review-gaps', id: 'review-gaps' });
	const entriesBox = h('div', { class: 'review-entries', id: 'review-entries' });
	let destroyed = false;

	month.addEventListener('change', () => {
		if (/^\d{4}-\d{2}$/.test(month.value)) {
			history.replaceState(null, '', '#/review' + qs({ month: month.value }));
			load();
		}
	});

	/* ---- the "answer and add to knowledge base" dialog ---- */
	const dialog = h('dialog', { class: 'wide review-dialog', id: 'propose-dialog', 'aria-labelledby': 'propose-title' });
	document.body.appendChild(dialog);

	function propose(group) {
		const answered = group.threads.filter((t) => t.answer);
		const qIn = h('input', { id: 'propose-question', value: group.question, maxlength: '500', required: true });
		const aIn = h('textarea', { id: 'propose-answer', rows: '7', maxlength: '8000', required: true });
		aIn.value = answered.length ? answered[0].answer : '';
		let conv = answered.length ? answered[0].id : group.threads[0].id;
		const pick = answered.length > 1
			? h('select', { id: 'propose-from', 'aria-label': 'Start from the answer in' },
				answered.map((t) => h('option', { value: t.id, text: `#${t.number}${t.site ? ' · ' + t.site : ''}: ${t.answer.slice(0, 60)}` })))
			: null;
		if (pick) pick.addEventListener('change', () => {
			const t = answered.find((x) => x.id === pick.value);
			conv = t.id;
			aIn.value = t.answer;
		});
		const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
		const send = h('button', { type: 'submit', class: 'btn btn-primary', id: 'propose-send' }, 'Propose for approval');
		const cancel = h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => dialog.close() }, 'Cancel');
		const form = h('form', { class: 'form' },
			h('label', { for: 'propose-question' }, 'Question'), qIn,
			h('p', { class: 'hint', text: 'Write it the way people ask it; the agent also matches other wordings.' }),
			pick ? [h('label', { for: 'propose-from' }, 'Start from the answer in'), pick] : null,
			h('label', { for: 'propose-answer' }, 'Answer'), aIn,
			answered.length ? null : h('p', { class: 'hint', text: 'No member has answered these threads yet: write the answer here.' }),
			h('p', { class: 'hint', text: admin ? 'You can approve it next, in Entries.' : 'An admin approves it before the agent uses it.' }),
			err,
			h('div', { class: 'dialog-actions' }, cancel, send));
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			send.disabled = true;
			err.hidden = true;
			try {
				await post('/review/entries', { question: qIn.value.trim(), answer: aIn.value.trim(), conversation_id: conv });
				dialog.close();
				toast('Proposed. It joins the knowledge base once an admin approves it.', 'ok');
				load();
				loadEntries();
			} catch (ex) {
				err.textContent = ex.message;
				err.hidden = false;
			} finally { send.disabled = false; }
		});
		clear(dialog, h('h2', { id: 'propose-title' }, 'Answer and add to the knowledge base'),
			h('p', { class: 'muted', text: `${group.count} handed-off ${group.count === 1 ? 'thread' : 'threads'} asked this. Edit the question and the answer, then propose them.` }),
			form);
		dialog.showModal();
		aIn.focus();
	}

	// An admin corrects the wording while approving (the API takes both).
	function editAndApprove(e) {
		const qIn = h('input', { id: 'approve-question', value: e.question, maxlength: '500', required: true });
		const aIn = h('textarea', { id: 'approve-answer', rows: '7', maxlength: '8000', required: true });
		aIn.value = e.answer;
		const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
		const send = h('button', { type: 'submit', class: 'btn btn-ok', id: 'approve-send' }, 'Approve');
		const form = h('form', { class: 'form' },
			h('label', { for: 'approve-question' }, 'Question'), qIn,
			h('label', { for: 'approve-answer' }, 'Answer'), aIn, err,
			h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => dialog.close() }, 'Cancel'), send));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			send.disabled = true;
			try {
				await post(`/review/entries/${e.id}/approve`, { question: qIn.value.trim(), answer: aIn.value.trim() });
				dialog.close();
				toast('Approved: the agent uses it from now on.', 'ok');
				loadEntries();
				load();
			} catch (ex) {
				err.textContent = ex.message;
				err.hidden = false;
			} finally { send.disabled = false; }
		});
		clear(dialog, h('h2', { id: 'propose-title' }, 'Edit and approve'),
			h('p', { class: 'muted', text: `Proposed by ${e.proposed_by.replace(/^member:/, '')}. It becomes a knowledge-base document, indexed at once.` }), form);
		dialog.showModal();
		aIn.focus();
	}

	/* ---- rendering ---- */
	function threadTable(g) {
		return h('table', { class: 'table review-threads' },
			h('caption', { class: 'visually-hidden', text: 'Threads of this group' }),
			h('thead', null, h('tr', null, ['Thread', 'Site', 'Reason', 'Tags', 'Question', "Member's answer", 'Member time'].map((t) => h('th', { scope: 'col', text: t })))),
			h('tbody', null, g.threads.map((t) => h('tr', null,
				h('th', { scope: 'row' }, h('a', { href: '#/inbox/' + t.id, class: 'link', text: '#' + t.number })),
				h('td', { text: t.site || '—' }),
				h('td', { class: 'nowrap', text: reasonLabel(t.reason) }),
				h('td', null, (t.tags || []).length ? t.tags.map((x) => h('span', { class: 'chip', text: x })) : '—'),
				h('td', { text: t.question }),
				h('td', { class: t.answer ? '' : 'muted', text: t.answer || 'Not answered yet' }),
				h('td', { class: 'num nowrap', text: minutes(t.member_time_s) })))));
	}

	function groupCard(g, i) {
		const states = (g.entries || []).map((e) => e.state);
		const entryChip = states.includes('approved') ? h('span', { class: 'chip chip-ok', text: ENTRY_STATE.approved })
			: states.includes('pending') ? h('span', { class: 'chip chip-note', text: ENTRY_STATE.pending }) : null;
		const act = app.canWrite()
			? h('button', { type: 'button', class: 'btn btn-primary btn-small review-propose', onclick: () => propose(g) }, 'Answer and add to knowledge base')
			: null;
		return h('li', { class: 'card review-group', 'data-rank': String(i + 1) },
			h('div', { class: 'review-group-head' },
				h('span', { class: 'review-rank', 'aria-hidden': 'true', text: String(i + 1) }),
				h('div', { class: 'review-group-main' },
					h('h3', { class: 'review-q', text: g.question }),
					h('div', { class: 'review-meta' },
						h('span', { class: 'badge', text: `${g.count} ${g.count === 1 ? 'thread' : 'threads'}` }),
						h('span', { class: 'review-time', title: 'Member time', text: minutes(g.member_time_s) + ' of member time' }),
						Object.entries(g.reasons || {}).map(([r, n]) => h('span', { class: 'chip', text: `${reasonLabel(r)} ${n}` })),
						(g.sites || []).length ? h('span', { class: 'muted small', text: g.sites.join(', ') }) : null,
						entryChip)),
				act),
			h('details', { class: 'review-details' },
				h('summary', null, `Show the ${g.count === 1 ? 'thread' : g.count + ' threads'}`),
				threadTable(g)));
	}

	function gapItem(g) {
		return h('li', { class: 'review-gap' },
			h('div', { class: 'review-gap-head' },
				h('strong', { text: g.question }),
				h('span', { class: 'badge', text: '× ' + g.count }),
				g.answered_now ? h('span', { class: 'chip chip-ok', text: 'The agent answers it now' })
					: h('span', { class: 'chip chip-alert', text: 'Still unanswered' })),
			(g.questions || []).length > 1 ? h('ul', { class: 'review-variants' }, g.questions.map((q) => h('li', { text: q }))) : null,
			h('div', { class: 'small' }, 'Threads: ', g.threads.map((t, k) => [k ? ', ' : '', h('a', { class: 'link', href: '#/inbox/' + t.id, text: '#' + t.number })])));
	}

	async function load() {
		clear(summary, 'Loading…');
		let r;
		try {
			r = await get('/review' + qs({ month: month.value }));
		} catch (ex) {
			if (destroyed) return;
			clear(summary, '');
			clear(groupsBox, h('p', { class: 'form-error', text: ex.message }));
			clear(gapsBox);
			return;
		}
		if (destroyed) return;
		const t = r.totals;
		clear(summary, t.handoffs
			? `${t.handoffs} handed-off ${t.handoffs === 1 ? 'conversation' : 'conversations'} in ${t.groups} ${t.groups === 1 ? 'group' : 'groups'}, ${minutes(t.member_time_s)} of member time.`
			: '');
		clear(groupsBox, r.groups.length
			? h('ol', { class: 'review-list', id: 'review-list' }, r.groups.map(groupCard))
			: h('div', { class: 'empty', id: 'review-empty' }, h('strong', null, 'No handoffs this month'),
				h('p', { class: 'muted', text: 'Nothing was handed to a person in this month, or not in your sites. Pick another month.' })));
		clear(gapsBox, r.gaps.length
			? h('ul', { class: 'review-gap-list', id: 'gap-list' }, r.gaps.map(gapItem))
			: h('p', { class: 'muted', id: 'gaps-empty', text: 'No knowledge gaps: the agent was never short of an answer this month.' }));
		groupsBox.setAttribute('title', r.member_time_definition);
	}

	async function decide(e, approve, note) {
		try {
			await post(`/review/entries/${e.id}/${approve ? 'approve' : 'reject'}`, note ? { note } : {});
			toast(approve ? 'Approved: the agent uses it from now on.' : 'Rejected.', 'ok');
			loadEntries();
			load();
		} catch (ex) { toast(ex.message, 'error'); }
	}

	function entryCard(e) {
		const note = admin && e.state === 'pending' ? h('input', { class: 'review-note', placeholder: 'Reason (optional, for a rejection)', 'aria-label': 'Reason for rejecting', maxlength: '1000' }) : null;
		return h('li', { class: 'review-entry entry-' + e.state, 'data-entry': String(e.id) },
			h('div', { class: 'review-entry-head' },
				h('strong', { text: e.question }),
				h('span', { class: 'state state-' + (e.state === 'approved' ? 'indexed' : e.state === 'rejected' ? 'failed' : 'extracting'), text: ENTRY_STATE[e.state] })),
			h('p', { class: 'review-answer', text: e.answer }),
			h('p', { class: 'muted small' },
				`Proposed by ${e.proposed_by.replace(/^member:/, '')} · ${when(e.created_at)}`,
				e.decided_by ? ` · ${e.state} by ${e.decided_by.replace(/^member:/, '')}` : '',
				e.document_name ? [' · ', h('a', { class: 'link', href: '#/knowledge', text: e.document_name })] : '',
				e.note ? ` · “${e.note}”` : ''),
			note ? h('div', { class: 'review-entry-actions' }, note,
				h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => decide(e, false, note.value.trim()) }, 'Reject'),
				h('button', { type: 'button', class: 'btn btn-ghost btn-small review-edit', onclick: () => editAndApprove(e) }, 'Edit…'),
				h('button', { type: 'button', class: 'btn btn-ok btn-small review-approve', onclick: () => decide(e, true) }, 'Approve')) : null);
	}

	async function loadEntries() {
		let items = [];
		try { items = (await get('/review/entries')).items || []; } catch (ex) { toast(ex.message, 'error'); }
		if (destroyed) return;
		const pending = items.filter((e) => e.state === 'pending');
		const done = items.filter((e) => e.state !== 'pending').slice(0, 20);
		clear(entriesBox,
			h('h3', null, 'Waiting for approval'),
			pending.length ? h('ul', { class: 'review-entry-list', id: 'pending-entries' }, pending.map(entryCard))
				: h('p', { class: 'muted', id: 'pending-empty', text: 'Nothing waits for approval. Propose an answer from a group.' }),
			done.length ? [h('h3', null, 'Decided'), h('ul', { class: 'review-entry-list', id: 'decided-entries' }, done.map(entryCard))] : null);
	}

	clear(el, h('div', { class: 'page' },
		h('div', { class: 'page-head review-head' },
			h('div', null, h('h1', null, 'Review'),
				h('p', { class: 'muted', text: 'The questions that needed a person, grouped and ranked by the member time they took. Turn the answers into knowledge so the agent answers them next time.' })),
			h('div', { class: 'field field-inline' }, h('label', { for: 'review-month' }, 'Month (UTC)'), month)),
		summary,
		h('div', { class: 'page-grid' },
			h('div', { class: 'col-main' },
				h('section', { 'aria-labelledby': 'rg-h' }, h('h2', { id: 'rg-h' }, 'Handed-off questions'), groupsBox),
				h('section', { class: 'card', 'aria-labelledby': 'gap-h' }, h('h2', { id: 'gap-h' }, 'Knowledge gaps'),
					h('p', { class: 'muted small', text: 'Questions the agent could not answer (low confidence, or the visitor said the answer did not help), grouped, with counts.' }),
					gapsBox)),
			h('div', { class: 'col-side' },
				h('section', { class: 'card', 'aria-labelledby': 'ent-h' }, h('h2', { id: 'ent-h' }, 'Knowledge-base entries'),
					h('p', { class: 'muted small', text: admin ? 'Approve an entry and the agent answers with it at once; it is versioned like any document.' : 'Admins approve proposed entries.' }),
					entriesBox)))));
	load();
	loadEntries();
	return {
		update(p, prm) {
			const m = prm.get('month');
			if (m && m !== month.value) { month.value = m; load(); }
		},
		destroy() { destroyed = true; dialog.remove(); },
	};
}
