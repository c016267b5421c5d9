// util.js: tiny DOM builder, formatting and storage helpers. Text always goes
// in as text nodes (never innerHTML), so message bodies cannot inject markup.

export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === undefined || v === null || v === false) continue;
			if (k === 'class') el.className = v;
			else if (k === 'text') el.textContent = v;
			else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
			else if (k === 'value') el.value = v;
			else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = !!v;
			else el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	append(el, kids);
	return el;
}

function append(el, kids) {
	for (const k of kids) {
		if (k === null || k === undefined || k === false) continue;
		if (Array.isArray(k)) append(el, k);
		else if (k instanceof Node) el.appendChild(k);
		else el.appendChild(document.createTextNode(String(k)));
	}
}

export function clear(el, ...kids) {
	el.replaceChildren();
	append(el, kids);
	return el;
}

export function ago(iso) {
	if (!iso) return '';
	const t = Date.parse(iso), s = Math.round((Date.now() - t) / 1000);
	if (s < 45) return 'just now';
	if (s < 3600) return Math.round(s / 60) + ' min ago';
	if (s < 86400) return Math.round(s / 3600) + ' h ago';
	const d = new Date(t);
	return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export function when(iso) {
	if (!iso) return '';
	return new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export const REASONS = {
	key_phrase: 'Key phrase',
	human_requested: 'Asked for a person',
	low_confidence: 'Low confidence',
	not_helpful: 'Answer did not help',
};

export const STATUS_LABEL = {
	open: 'Agent handling',
	needs_human: 'Needs a person',
	pending: 'Waiting on visitor',
	resolved: 'Resolved',
};

export function reasonText(conv) {
	const r = REASONS[conv.handoff_reason] || conv.handoff_reason || 'Handed off';
	return conv.handoff_phrase && conv.handoff_reason === 'key_phrase' ? `${r}: “${conv.handoff_phrase}”` : r;
}

export function pct(x) {
	return typeof x === 'number' ? Math.round(x * 100) + '%' : '–';
}

export const store = {
	get(key, dflt) {
		try {
			const v = localStorage.getItem(key);
			return v === null ? dflt : JSON.parse(v);
		} catch { return dflt; }
	},
	set(key, v) {
		try { localStorage.setItem(key, JSON.stringify(v)); } catch { /* storage full or blocked */ }
	},
};

export function toast(msg, kind = 'info', action) {
	const box = document.getElementById('toasts');
	const t = h('div', { class: 'toast toast-' + kind }, h('span', { text: msg }),
		action ? h('button', { class: 'btn btn-small', type: 'button', onclick: () => { action.run(); t.remove(); } }, action.label) : null,
		h('button', { class: 'toast-x', type: 'button', 'aria-label': 'Dismiss', onclick: () => t.remove() }, '×'));
	box.appendChild(t);
	setTimeout(() => t.remove(), kind === 'alert' ? 15000 : 5000);
}

// Split a search snippet on U+0002 (start) / U+0003 (end) into text and <mark>.
export function snippet(s) {
	const out = [];
	let rest = s || '';
	while (rest.length) {
		const a = rest.indexOf('\u0002');
		if (a < 0) { out.push(rest); break; }
		out.push(rest.slice(0, a));
		const b = rest.indexOf('\u0003', a);
		const end = b < 0 ? rest.length : b;
		out.push(h('mark', { text: rest.slice(a + 1, end) }));
		rest = b < 0 ? '' : rest.slice(b + 1);
	}
	return out;
}

export function initials(name) {
	const p = (name || '?').split(/[\s@.]+/).filter(Boolean);
	return ((p[0] || '?')[0] + (p[1] ? p[1][0] : '')).toUpperCase();
}

// The @handle for a member: their email's local part.
export function handleOf(m) { return (m.email || '').split('@')[0].toLowerCase(); }
