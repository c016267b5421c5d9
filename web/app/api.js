// api.js: JSON calls to /api/v1 with the session cookie and CSRF header, and
// the member event stream (EventSource reconnects with Last-Event-ID itself).

let csrf = '';
export function setCsrf(t) { csrf = t || ''; }

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

export async function api(method, path, body, opts = {}) {
	const headers = { Accept: 'application/json' };
	if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
	let payload;
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		payload = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch('/api/v1' + path, { method, headers, body: payload, credentials: 'same-origin' });
	} catch {
		throw new ApiError(0, 'network', 'Baton cannot be reached. Check your connection.');
	}
	const text = await res.text();
	let data = null;
	try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
	if (!res.ok) {
		const e = data && data.error;
		const err = new ApiError(res.status, e ? e.code : 'http_' + res.status, e ? e.message : `HTTP ${res.status}`);
		if (res.status === 401 && !opts.quiet401) window.dispatchEvent(new CustomEvent('baton:logged-out'));
		throw err;
	}
	return data;
}

export const get = (p, o) => api('GET', p, undefined, o);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

export function qs(obj) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
	const s = p.toString();
	return s ? '?' + s : '';
}

// Upload raw bytes with progress (fetch has no upload progress; XHR does).
export function upload(file, effectiveDate, onProgress) {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		// ASCII names go in X-Filename; others in ?name= (the query string is UTF-8).
		const ascii = /^[\x20-\x7e]+$/.test(file.name);
		xhr.open('POST', '/api/v1/kb/documents' + qs({ effective_date: effectiveDate, name: ascii ? '' : file.name }));
		xhr.setRequestHeader('X-CSRF-Token', csrf);
		if (ascii) xhr.setRequestHeader('X-Filename', file.name);
		xhr.setRequestHeader('Content-Type', 'application/octet-stream');
		xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
		xhr.onload = () => {
			let data = null;
			try { data = JSON.parse(xhr.responseText); } catch { /* empty */ }
			if (xhr.status >= 200 && xhr.status < 300) resolve(data);
			else reject(new ApiError(xhr.status, data?.error?.code, data?.error?.message || `HTTP ${xhr.status}`));
		};
		xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted.'));
		xhr.send(file);
	});
}

// Member event stream. Handlers get (type, data, id). onState gets 'live' | 'reconnecting'.
export function events(onEvent, onState) {
	const types = ['message.created', 'conversation.created', 'conversation.updated', 'conversation.handoff',
		'conversation.claim', 'conversation.assign', 'conversation.status', 'conversation.handback'];
	const es = new EventSource('/api/v1/events');
	for (const t of types) es.addEventListener(t, (e) => {
		let d = null;
		try { d = JSON.parse(e.data); } catch { return; }
		onEvent(t, d, e.lastEventId);
	});
	es.onopen = () => onState('live');
	es.onerror = () => onState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
	return es;
}
