// knowledge.js: the knowledge base: drag-and-drop upload with progress, the
// document list (version, effective date, state, passages), passages,
// removal, and the "ask the agent" test box (A8).
import { h, clear, when, toast, pct, REASONS } from './util.js';
import { get, post, del, upload } from './api.js';

const STATE = { indexed: 'Indexed', extracting: 'Extracting…', failed: 'Failed', superseded: 'Superseded', removed: 'Removed' };

export function mountKnowledge(el, app) {
	const admin = app.isAdmin();
	const docsBox = h('div', { class: 'docs' });
	const uploads = h('ul', { class: 'uploads', 'aria-live': 'polite', id: 'uploads' });
	const file = h('input', { type: 'file', id: 'kb-file', multiple: true, class: 'visually-hidden', accept: '.pdf,.docx,.html,.htm,.md,.markdown,.txt' });
	const eff = h('input', { type: 'date', id: 'kb-effective' });
	const drop = h('div', { class: 'dropzone', id: 'dropzone', tabindex: '0', role: 'button', 'aria-describedby': 'drop-hint', 'aria-label': 'Upload documents: drop files here or press Enter to choose' },
		h('div', { class: 'drop-icon', 'aria-hidden': 'true' }),
		h('strong', null, 'Drop documents here'),
		h('span', { class: 'muted', id: 'drop-hint', text: 'or click to choose. PDF, DOCX, HTML, Markdown or text. A file with the same name becomes a new version.' }));
	const pickFile = () => file.click();
	drop.addEventListener('click', pickFile);
	drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pickFile(); } });
	drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('drag'); });
	drop.addEventListener('dragleave', () => drop.classList.remove('drag'));
	drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('drag'); sendFiles([...e.dataTransfer.files]); });
	file.addEventListener('change', () => { sendFiles([...file.files]); file.value = ''; });

	async function sendFiles(files) {
		for (const f of files) {
			const bar = h('progress', { max: '1', value: '0', 'aria-label': 'Uploading ' + f.name });
			const label = h('span', { class: 'up-state', text: 'Uploading… 0%' });
			const li = h('li', { class: 'upload' }, h('span', { class: 'up-name', text: f.name }), bar, label);
			uploads.prepend(li);
			try {
				const doc = await upload(f, eff.value, (p) => { bar.value = p; label.textContent = p < 1 ? `Uploading… ${Math.round(p * 100)}%` : 'Indexing…'; });
				bar.value = 1;
				label.textContent = `Indexed: ${doc.passages ?? '?'} passages (version ${doc.version ?? 1})`;
				li.classList.add('up-ok');
			} catch (ex) {
				label.textContent = 'Failed: ' + ex.message;
				li.classList.add('up-fail');
			}
			loadDocs();
		}
	}

	async function loadDocs() {
		let docs = [];
		try { docs = (await get('/kb/documents?all=1')).items || []; } catch (ex) { toast(ex.message, 'error'); }
		const rows = docs.map((d) => {
			const state = d.state || 'indexed';
			return h('tr', { 'data-doc': d.name },
				h('th', { scope: 'row' }, h('div', { class: 'doc-title', text: d.title || d.name }), h('div', { class: 'muted small', text: d.name })),
				h('td', { text: 'v' + (d.version || 1) }),
				h('td', { class: 'nowrap', text: d.effective_date || '—' }),
				h('td', null, h('span', { class: 'state state-' + state, text: STATE[state] || state }), d.error ? h('div', { class: 'small error-text', text: d.error }) : null),
				h('td', { class: 'num', text: String(d.passages ?? '—') }),
				h('td', { class: 'muted small nowrap', text: when(d.created_at) }),
				h('td', { class: 'row-actions' },
					state === 'indexed' ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => showPassages(d) }, 'Passages') : null,
					admin && state !== 'removed' && state !== 'superseded' ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', title: 'Upload a file with the same name to replace it', onclick: pickFile }, 'Replace') : null,
					admin && state !== 'removed' ? h('button', { type: 'button', class: 'btn btn-danger btn-small', 'aria-label': 'Remove ' + d.name, onclick: async () => {
						if (!confirm(`Remove ${d.name}? The agent will stop using it at once.`)) return;
						try { await del('/kb/documents/' + d.id); toast('Removed ' + d.name + '.', 'ok'); loadDocs(); } catch (ex) { toast(ex.message, 'error'); }
					} }, 'Remove') : null));
		});
		clear(docsBox, docs.length
			? h('table', { class: 'table', id: 'doc-table' },
				h('caption', { class: 'visually-hidden', text: 'Documents in the knowledge base' }),
				h('thead', null, h('tr', null, ['Document', 'Version', 'Effective', 'State', 'Passages', 'Added', ''].map((t) => h('th', { scope: 'col', text: t })))),
				h('tbody', null, rows))
			: h('p', { class: 'muted pad', text: 'No documents yet. Upload the protocol, the site manual and your FAQ to get started.' }));
	}

	const dialog = h('dialog', { class: 'passage-dialog wide', 'aria-labelledby': 'pd-title' });
	document.body.appendChild(dialog);
	async function showPassages(d) {
		try {
			const r = await get('/kb/documents/' + d.id + '/passages');
			clear(dialog, h('h2', { id: 'pd-title', text: d.title || d.name }),
				h('p', { class: 'muted', text: `${r.items.length} passages · version ${d.version} · effective ${d.effective_date || '—'}` }),
				h('ol', { class: 'passage-list' }, r.items.map((p) => h('li', null,
					h('div', { class: 'muted small', text: [p.section || p.heading_path, p.page ? 'page ' + p.page : ''].filter(Boolean).join(' · ') }),
					h('p', { text: p.text })))),
				h('form', { method: 'dialog', class: 'dialog-actions' }, h('button', { class: 'btn btn-primary' }, 'Close')));
			dialog.showModal();
		} catch (ex) { toast(ex.message, 'error'); }
	}

	// Ask the agent (A8).
	const q = h('textarea', { id: 'ask-q', rows: '2', placeholder: 'e.g. What is the visit window for Week 4?', 'aria-label': 'Question for the agent' });
	const askOut = h('div', { class: 'ask-out', id: 'ask-out', 'aria-live': 'polite' });
	const askBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ask-btn' }, 'Ask');
	const askForm = h('form', { class: 'ask-form' }, q, askBtn);
	askForm.addEventListener('submit', async (e) => {
		e.preventDefault();
		if (!q.value.trim()) return;
		askBtn.disabled = true;
		clear(askOut, h('p', { class: 'muted', text: 'Asking…' }));
		try {
			const r = await post('/ask', { question: q.value.trim() });
			const hand = !!r.handoff;
			clear(askOut,
				h('div', { class: 'ask-verdict ' + (hand ? 'verdict-handoff' : 'verdict-answer'), id: 'ask-verdict' },
					h('strong', { text: hand ? 'Would hand off to a person' : 'Would answer' }),
					h('span', { text: ' — ' + (r.why ? r.why.replace(/^would (answer|hand off):\s*/i, '') : (hand ? REASONS[r.reason] || r.reason : 'confidence is at or above the threshold')) })),
				h('dl', { class: 'ask-facts' },
					h('dt', null, 'Confidence'), h('dd', null, h('meter', { min: '0', max: '1', value: String(r.confidence || 0), low: String(r.threshold ?? 0.5), optimum: '1', 'aria-label': 'Confidence' }), ' ' + pct(r.confidence)),
					h('dt', null, 'Threshold'), h('dd', { text: pct(r.threshold) }),
					r.reason ? [h('dt', null, 'Reason'), h('dd', { text: (REASONS[r.reason] || r.reason) + (r.phrase ? ` (“${r.phrase}”)` : '') })] : null),
				r.answer ? h('div', { class: 'ask-answer' }, h('h3', null, 'Answer'), h('p', { id: 'ask-answer', text: r.answer })) : null,
				(r.citations || []).length ? h('div', null, h('h3', null, 'Cites'), h('ul', { class: 'cites' }, r.citations.map((c) => h('li', { text: [c.document, c.section, c.page ? 'p. ' + c.page : ''].filter(Boolean).join(' · ') })))) : null,
				(r.passages || []).length ? h('details', { class: 'ask-passages' }, h('summary', null, `Retrieved passages (${r.passages.length})`),
					h('ol', { class: 'passage-list' }, r.passages.map((p) => h('li', null,
						h('div', { class: 'muted small', text: [p.document, p.section, typeof p.score === 'number' ? 'score ' + p.score.toFixed(2) : ''].filter(Boolean).join(' · ') }),
						h('p', { text: p.text }))))) : null);
		} catch (ex) {
			clear(askOut, h('p', { class: 'form-error', text: ex.message }));
		} finally { askBtn.disabled = false; }
	});

	clear(el, h('div', { class: 'page' },
		h('div', { class: 'page-head' }, h('h1', null, 'Knowledge'), h('p', { class: 'muted', text: 'The agent answers only from these documents and cites the passage it used.' })),
		h('div', { class: 'page-grid' },
			h('div', { class: 'col-main' },
				admin ? h('section', { class: 'card', 'aria-labelledby': 'up-h' },
					h('h2', { id: 'up-h' }, 'Upload'),
					drop, file,
					h('div', { class: 'field field-inline' }, h('label', { for: 'kb-effective' }, 'Effective date (optional)'), eff),
					uploads) : null,
				h('section', { class: 'card', 'aria-labelledby': 'docs-h' }, h('h2', { id: 'docs-h' }, 'Documents'), docsBox)),
			h('div', { class: 'col-side' },
				h('section', { class: 'card', 'aria-labelledby': 'ask-h' },
					h('h2', { id: 'ask-h' }, 'Ask the agent'),
					admin ? [h('p', { class: 'muted small', text: 'Test a question without starting a conversation: see the answer, the confidence and whether it would hand off.' }), askForm, askOut]
						: h('p', { class: 'muted', text: 'Only admins can use the test box.' }))))));
	loadDocs();
	return { destroy() { dialog.remove(); } };
}
