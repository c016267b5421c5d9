// reports.js: the handoff dashboard (R1), the shift handover digest (I9),
// stale threads (I7), and usage with the CSV exports (R4, W5). Charts are
// plain SVG drawn here: no chart library, nothing inline for the CSP.
import { h, clear, pct } from './util.js';
import { get } from './api.js';

const SECTIONS = [['dashboard', 'Dashboard'], ['handover', 'Shift handover'], ['stale', 'Stale threads'], ['usage', 'Usage and exports']];
const REASON_LABEL = { low_confidence: 'Agent unsure', key_phrase: 'Key phrase (safety)', human_requested: 'Asked for a person', rule: 'A rule' };
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
	for (const k of kids.flat()) if (k !== null && k !== undefined) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	return el;
}

export function duration(sec) {
	if (sec === null || sec === undefined) return '—';
	if (sec < 90) return `${Math.round(sec)} s`;
	if (sec < 5400) return `${Math.round(sec / 60)} min`;
	if (sec < 2 * 86400) return `${(sec / 3600).toFixed(sec < 36000 ? 1 : 0)} h`;
	return `${Math.round(sec / 86400)} days`;
}

function shortDate(iso) {
	return new Date(iso + 'T00:00:00Z').toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

function chartCard(title, sub, body, id) {
	return h('section', { class: 'card chart-card', id, 'aria-label': title },
		h('h2', null, title), sub ? h('p', { class: 'hint', text: sub }) : null, body);
}

function empty(text) { return h('p', { class: 'muted chart-empty', text }); }

/* Weekly stacked bars: agent-settled and handed-off conversations. */
function volumeChart(weeks) {
	if (!weeks.length) return empty('No conversations in this range.');
	const W = 560, H = 220, L = 36, B = 28, T = 10;
	const max = Math.max(...weeks.map((w) => w.conversations), 1) * 1.12;
	const step = (W - L - 8) / weeks.length, bw = Math.min(46, step * 0.62);
	const y = (v) => T + (H - T - B) * (1 - v / max);
	const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Conversations per week, split into handled by the agent and handed off' });
	for (const t of ticks(max)) svg.append(s('line', { x1: L, x2: W, y1: y(t), y2: y(t), class: 'grid' }), s('text', { x: L - 6, y: y(t) + 4, class: 'axis', 'text-anchor': 'end' }, t));
	weeks.forEach((w, i) => {
		const x = L + i * step + (step - bw) / 2;
		const agent = w.conversations - w.handoffs;
		svg.append(s('rect', { x, y: y(w.conversations), width: bw, height: y(0) - y(w.handoffs) || 0.0001, class: 'bar-handoff' },
			s('title', null, `Week of ${shortDate(w.week)}: ${w.handoffs} handed off`)));
		svg.append(s('rect', { x, y: y(agent), width: bw, height: y(0) - y(agent) || 0.0001, class: 'bar-agent' },
			s('title', null, `Week of ${shortDate(w.week)}: ${agent} handled by the agent`)));
		svg.append(s('text', { x: x + bw / 2, y: y(w.conversations) - 4, class: 'val', 'text-anchor': 'middle' }, w.conversations));
		svg.append(s('text', { x: x + bw / 2, y: H - 10, class: 'axis', 'text-anchor': 'middle' }, shortDate(w.week)));
	});
	return h('div', null, svg, legend([['bar-agent', 'Handled by the agent'], ['bar-handoff', 'Handed off to a person']]));
}

/* Weekly lines: handoff rate and agent-resolved rate. */
function ratesChart(weeks) {
	if (!weeks.length) return empty('No conversations in this range.');
	const W = 560, H = 220, L = 40, B = 28, T = 12;
	const x = (i) => L + (weeks.length === 1 ? (W - L) / 2 : i * (W - L - 20) / (weeks.length - 1));
	const y = (v) => T + (H - T - B) * (1 - v);
	const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Handoff rate and agent-resolved rate by week' });
	for (const t of [0, 0.25, 0.5, 0.75, 1]) svg.append(s('line', { x1: L, x2: W, y1: y(t), y2: y(t), class: 'grid' }), s('text', { x: L - 6, y: y(t) + 4, class: 'axis', 'text-anchor': 'end' }, `${t * 100}%`));
	const series = [['line-handoff', (w) => w.conversations ? w.handoffs / w.conversations : 0, 'handed off'],
		['line-agent', (w) => w.conversations ? w.agent_resolved / w.conversations : 0, 'resolved by the agent']];
	for (const [cls, f, label] of series) {
		svg.append(s('polyline', { points: weeks.map((w, i) => `${x(i)},${y(f(w))}`).join(' '), class: cls }));
		weeks.forEach((w, i) => svg.append(s('circle', { cx: x(i), cy: y(f(w)), r: 3.5, class: cls + '-dot' },
			s('title', null, `Week of ${shortDate(w.week)}: ${pct(f(w))} ${label}`))));
	}
	weeks.forEach((w, i) => svg.append(s('text', { x: x(i), y: H - 10, class: 'axis', 'text-anchor': 'middle' }, shortDate(w.week))));
	return h('div', null, svg, legend([['line-handoff', 'Handoff rate'], ['line-agent', 'Resolved by the agent']]));
}

/* Horizontal bars, largest first; rows: [label, value, total?, colour?]. */
function barList(rows, what, ariaLabel) {
	if (!rows.length) return empty(`No ${what} in this range.`);
	const max = Math.max(...rows.map((r) => r[1]), 1);
	return h('ul', { class: 'hbars', 'aria-label': ariaLabel }, rows.map(([label, v, total, colour]) => {
		const fill = h('span', { class: 'hbar-fill' + (colour ? '' : ' hbar-accent') });
		fill.style.width = `${(100 * v) / max}%`;
		if (colour) fill.style.background = colour;
		return h('li', { class: 'hbar' },
			h('span', { class: 'hbar-label', text: label }),
			h('span', { class: 'hbar-track' }, fill),
			h('span', { class: 'hbar-val', text: total ? `${v} of ${total} (${pct(v / total)})` : String(v) }));
	}));
}

/* Site × topic heat map of handoffs. */
function heatmap(cells) {
	if (!cells.length) return empty('No tagged conversations in this range. Tag threads with a Topic to see where handoffs come from.');
	const sites = [...new Set(cells.map((c) => c.site || '(no site)'))].sort();
	const topics = [...new Set(cells.map((c) => c.topic))].sort();
	const at = new Map(cells.map((c) => [(c.site || '(no site)') + '\u0000' + c.topic, c]));
	const max = Math.max(...cells.map((c) => c.handoffs), 1);
	const table = h('table', { class: 'heat' },
		h('caption', { class: 'sr-only', text: 'Handoffs by site and topic' }),
		h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Topic' }), sites.map((st) => h('th', { scope: 'col', text: st })))),
		h('tbody', null, topics.map((t) => h('tr', null, h('th', { scope: 'row', text: t }), sites.map((st) => {
			const c = at.get(st + '\u0000' + t);
			const v = c ? c.handoffs : 0;
			const td = h('td', { title: c ? `${st} · ${t}: ${v} handoffs of ${c.conversations} conversations` : `${st} · ${t}: none`, text: c ? String(v) : '·' });
			const a = v / max;
			td.style.background = v ? `rgba(179, 54, 31, ${0.08 + 0.8 * a})` : '';
			if (a > 0.55) td.classList.add('heat-dark');
			return td;
		})))));
	return h('div', { class: 'heat-wrap' }, table, h('p', { class: 'hint', text: 'Darker cells: more handoffs. Hover a cell for the counts.' }));
}

function ticks(max) {
	const step = max <= 5 ? 1 : Math.ceil(max / 4 / 5) * 5;
	const out = [];
	for (let t = 0; t <= max; t += step) out.push(Math.round(t));
	return out;
}

function legend(items) {
	return h('p', { class: 'legend' }, items.map(([cls, label]) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch ' + cls }), label)));
}

function kpi(label, value, sub, id) {
	return h('div', { class: 'kpi card', id }, h('span', { class: 'kpi-label', text: label }), h('strong', { class: 'kpi-value', text: value }), sub ? h('span', { class: 'hint', text: sub }) : null);
}

export function mountReports(el, app, parts) {
	const nav = h('nav', { class: 'subnav subnav-row', 'aria-label': 'Report sections' });
	const body = h('div', { class: 'reports-body' });
	clear(el, h('div', { class: 'page' },
		h('div', { class: 'page-head' }, h('h1', null, 'Reports'), h('p', { class: 'muted', text: 'Where handoffs come from, what is waiting, and what the workspace used.' })),
		nav, body));
	let alive = true;

	function show(p) {
		let sec = p[1] || 'dashboard';
		if (!SECTIONS.some(([k]) => k === sec)) sec = 'dashboard';
		clear(nav, SECTIONS.map(([k, label]) => h('a', { href: '#/reports/' + k, class: 'subnav-link', 'aria-current': k === sec ? 'page' : null }, label)));
		clear(body);
		({ dashboard, handover, stale, usage })[sec](body);
	}

	/* ----- dashboard ----- */
	async function dashboard(box) {
		const today = new Date();
		const from = h('input', { type: 'date', id: 'dash-from', value: new Date(today - 35 * 86400e3).toISOString().slice(0, 10) });
		const to = h('input', { type: 'date', id: 'dash-to', value: today.toISOString().slice(0, 10) });
		const site = h('select', { id: 'dash-site' }, h('option', { value: '' }, 'All sites'));
		const tag = h('select', { id: 'dash-tag' }, h('option', { value: '' }, 'Any tag'));
		const out = h('div', { class: 'dash', 'aria-live': 'polite' });
		const filters = h('form', { class: 'dash-filters card', 'aria-label': 'Dashboard filters' },
			h('label', { for: 'dash-from' }, 'From'), from, h('label', { for: 'dash-to' }, 'To'), to,
			h('label', { for: 'dash-site' }, 'Site'), site, h('label', { for: 'dash-tag' }, 'Tag'), tag);
		clear(box, filters, out);
		try {
			const tags = await get('/tags');
			for (const t of tags.items || []) {
				const g = t.group_name;
				if (g === 'Site') site.append(h('option', { value: t.name }, t.name));
				else tag.append(h('option', { value: String(t.id) }, (g ? g + ': ' : '') + t.name));
			}
			if (app.me.sites && app.me.sites.length) {
				clear(site, app.me.sites.map((x) => h('option', { value: x }, x)));
			}
		} catch { /* the dashboard still works without the tag list */ }
		async function load() {
			const q = new URLSearchParams();
			if (from.value) q.set('from', from.value);
			if (to.value) q.set('to', new Date(Date.parse(to.value) + 86400e3).toISOString().slice(0, 10));
			if (site.value) q.set('site', site.value);
			if (tag.value) q.set('tag', tag.value);
			let d;
			try { d = await get('/dashboard?' + q); } catch (ex) { clear(out, h('p', { class: 'form-error', role: 'alert', text: ex.message })); return; }
			if (!alive) return;
			const t = d.totals || {};
			const reasons = (d.handoffs_by_reason || []).map((r) => [REASON_LABEL[r.reason] || r.reason || 'Other', r.handoffs]);
			clear(out,
				h('div', { class: 'kpis' },
					kpi('Conversations', String(t.conversations || 0), `${t.resolved || 0} resolved`, 'kpi-conversations'),
					kpi('Resolved by the agent', pct(t.agent_resolved_rate || 0), `${t.agent_resolved || 0} with no person involved`, 'kpi-agent'),
					kpi('Handed off', pct(t.handoff_rate || 0), `${t.handoffs || 0} needed a person`, 'kpi-handoff'),
					kpi('First human reply', duration(t.median_first_human_reply_s), 'median, from the first message', 'kpi-first-reply'),
					kpi('Time to resolution', duration(t.median_resolution_s), 'median', 'kpi-resolution')),
				h('div', { class: 'chart-grid' },
					chartCard('Conversations per week', 'Each bar is a week (Monday to Sunday, UTC).', volumeChart(d.weeks || []), 'chart-volume'),
					chartCard('Handoff rate and agent-resolved rate', 'Share of each week’s conversations.', ratesChart(d.weeks || []), 'chart-rates'),
					chartCard('Handoffs by topic', 'Topic tags of the handed-off threads. A thread can have several topics.',
						barList((d.by_topic || []).filter((r) => r.handoffs > 0).map((r) => [r.topic, r.handoffs, r.conversations, r.colour]), 'handoffs', 'Handoffs by topic'), 'chart-topic'),
					chartCard('Handoffs by site', null, barList((d.by_site || []).map((r) => [r.site || '(no site)', r.handoffs, r.conversations]), 'conversations', 'Handoffs by site'), 'chart-site'),
					chartCard('Why threads were handed off', null, barList(reasons, 'handoffs', 'Handoffs by reason'), 'chart-reason'),
					chartCard('Time to first human reply and to resolution, by week', 'Averages per week.', timesChart(d.weeks || []), 'chart-times'),
					chartCard('Handoffs by site and topic', null, heatmap(d.heatmap || []), 'chart-heat')));
		}
		filters.addEventListener('change', load);
		filters.addEventListener('submit', (e) => { e.preventDefault(); load(); });
		await load();
	}

	function timesChart(weeks) {
		const rows = weeks.filter((w) => w.avg_first_human_reply_s !== null || w.avg_resolution_s !== null);
		if (!rows.length) return empty('No person has replied in this range.');
		return h('table', { class: 'table times' },
			h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Week of' }), h('th', { scope: 'col', text: 'First human reply' }), h('th', { scope: 'col', text: 'Resolution' }))),
			h('tbody', null, rows.map((w) => {
				const max = Math.max(...rows.map((r) => r.avg_resolution_s || 0), 1);
				const bar = (v, cls) => {
					const b = h('span', { class: 'tbar ' + cls });
					b.style.width = `${Math.max(2, (100 * (v || 0)) / max)}%`;
					return h('td', null, h('span', { class: 'tbar-track' }, b), h('span', { class: 'tbar-val', text: duration(v) }));
				};
				return h('tr', null, h('td', { text: shortDate(w.week) }), bar(w.avg_first_human_reply_s, 'tbar-reply'), bar(w.avg_resolution_s, 'tbar-resolve'));
			})));
	}

	/* ----- shift handover (I9) ----- */
	async function handover(box) {
		let d;
		try { d = await get('/handover'); } catch (ex) { clear(box, h('p', { class: 'form-error', text: ex.message })); return; }
		const items = (d.items || []).slice().sort((a, b) => (a.status === 'needs_human' ? 0 : 1) - (b.status === 'needs_human' ? 0 : 1) || b.waiting_s - a.waiting_s);
		const print = h('button', { class: 'btn', type: 'button', onclick: () => window.print() }, 'Print');
		clear(box, h('section', { class: 'card' },
			h('div', { class: 'card-head' }, h('h2', null, 'Shift handover'), print),
			h('p', { class: 'hint', text: 'Every open thread for the incoming coordinator: what it is waiting for, who owns it and how long it has waited. Threads that need a person come first.' }),
			items.length ? h('table', { class: 'table handover', id: 'handover-table' },
				h('thead', null, h('tr', null, ['Thread', 'State', 'Site', 'Owner', 'Waiting', 'Last message'].map((x) => h('th', { scope: 'col', text: x })))),
				h('tbody', null, items.map((c) => h('tr', { class: c.status === 'needs_human' ? 'row-alert' : '' },
					h('td', null, h('a', { href: '#/inbox/' + c.id, text: '#' + c.number })),
					h('td', null, h('span', { class: 'badge ' + (c.status === 'needs_human' ? 'badge-alert' : 'badge-' + c.status), text: c.status === 'needs_human' ? 'Needs a person' : c.status === 'pending' ? 'Waiting on visitor' : 'Agent handling' }),
						c.handoff_reason ? h('small', { class: 'muted', text: ' ' + (REASON_LABEL[c.handoff_reason] || c.handoff_reason) }) : null),
					h('td', { text: c.site || '—' }),
					h('td', { text: c.owner ? app.memberName(c.owner) : 'Unassigned' }),
					h('td', { text: duration(c.waiting_s) }),
					h('td', { class: 'cell-msg' }, h('small', { class: 'muted', text: (c.last_author === 'agent' ? 'Agent: ' : c.last_author === 'visitor' ? 'Visitor: ' : c.last_author === 'member' ? 'Team: ' : '') }), c.last_message || '')))))
				: h('p', { class: 'muted', text: 'Nothing is open. The next shift starts with a clean inbox.' })));
	}

	/* ----- stale threads (I7) ----- */
	async function stale(box) {
		let d, set;
		try { [d, set] = await Promise.all([get('/stale'), get('/settings')]); } catch (ex) { clear(box, h('p', { class: 'form-error', text: ex.message })); return; }
		const items = d.items || [];
		const limit = set.stale_minutes || 120;
		clear(box, h('section', { class: 'card' },
			h('h2', null, 'Stale threads'),
			h('p', { class: 'hint', text: `Threads waiting on the team for longer than ${duration(limit * 60)} (the workspace limit, set in Settings → Agent by an admin). The assignee, or the on-call coordinator when nobody owns the thread, is notified once per limit.` }),
			items.length ? h('table', { class: 'table', id: 'stale-table' },
				h('thead', null, h('tr', null, ['Thread', 'Contact', 'Site', 'Assignee', 'Waiting since'].map((x) => h('th', { scope: 'col', text: x })))),
				h('tbody', null, items.map((c) => h('tr', { class: 'row-alert' },
					h('td', null, h('a', { href: '#/inbox/' + c.id, text: '#' + c.number })),
					h('td', { text: c.contact_name || c.contact_email || 'Visitor' }),
					h('td', { text: c.site || '—' }),
					h('td', { text: c.assignee_id ? app.memberName(c.assignee_id) : 'Unassigned' }),
					h('td', { text: new Date(c.updated_at).toLocaleString() + ' (' + duration((Date.now() - Date.parse(c.updated_at)) / 1000) + ')' })))))
				: h('p', { class: 'muted', text: 'No thread has waited on the team longer than the limit.' })));
	}

	/* ----- usage and exports (R4, W5) ----- */
	async function usage(box) {
		const month = h('input', { type: 'month', id: 'usage-month', value: new Date().toISOString().slice(0, 7) });
		const out = h('div', { 'aria-live': 'polite' });
		const admin = app.isAdmin();
		async function load() {
			if (!admin) { clear(out, h('p', { class: 'banner banner-info', text: 'Usage and exports are shown to admins.' })); return; }
			let u;
			try { u = await get('/usage?month=' + encodeURIComponent(month.value)); } catch (ex) { clear(out, h('p', { class: 'form-error', role: 'alert', text: ex.message })); return; }
			const kb = (u.storage_bytes || 0) / 1024;
			clear(out, h('div', { class: 'kpis' },
				kpi('Agent answers', String(u.agent_answers || 0), 'answers the agent sent', 'usage-answers'),
				kpi('Handoffs', String(u.handoffs || 0), 'threads handed to a person', 'usage-handoffs'),
				kpi('Conversations', String(u.conversations || 0), 'started this month', 'usage-conversations'),
				kpi('Documents', String(u.documents || 0), 'in the knowledge base', 'usage-documents'),
				kpi('Storage', kb > 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${kb.toFixed(0)} KB`, 'documents and attachments', 'usage-storage')),
			h('p', { class: 'hint', text: 'Baton is billed on use (agent answers, handoffs, documents and storage), not on seats: invite as many coordinators as you need.' }),
			h('a', { class: 'btn', id: 'usage-csv', href: '/api/v1/usage?format=csv&month=' + encodeURIComponent(month.value), download: `usage-${month.value}.csv` }, 'Download usage (CSV)'));
		}
		// Each export for the month picked above, or for all time (an export over 256 MB is refused: pick a month).
		const range = () => {
			const [y, m] = month.value.split('-').map(Number);
			const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
			return `?from=${month.value}-01&to=${next}-01`;
		};
		const exp = (file, label, help) => {
			const one = h('a', { class: 'btn', download: file }, label + ', this month');
			const sync = () => { one.href = '/api/v1/exports/' + file + range(); one.textContent = `${label}, ${month.value}`; };
			sync();
			month.addEventListener('change', sync);
			return h('li', null, one, ' ', h('a', { class: 'btn btn-ghost', href: '/api/v1/exports/' + file, download: file }, 'all time'),
				h('span', { class: 'hint', text: ' ' + help }));
		};
		clear(box,
			h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', null, 'Usage'), h('label', { for: 'usage-month', class: 'inline' }, 'Month ', month)), out),
			admin ? h('section', { class: 'card' }, h('h2', null, 'Exports'),
				h('ul', { class: 'export-list' },
					exp('conversations.csv', 'Conversations (CSV)', 'one row per conversation: number, status, channel, site, tags with their sources, assignee, times, handoff reason'),
					exp('messages.csv', 'Messages (CSV)', 'one row per message, notes included')),
				h('p', { class: 'hint', text: 'Each export is recorded in the audit trail. A printable transcript of one thread is under “Transcript” in the conversation.' })) : null);
		month.addEventListener('change', load);
		await load();
	}

	show(parts);
	return {
		update(p) { show(p); },
		destroy() { alive = false; },
	};
}
