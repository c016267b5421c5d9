/* Baton chat widget (C1). One tag on any page:
 *   <script src="https://HOST/widget.js" data-key="WIDGET_KEY" data-site="Site-101" async></script>
 * Optional: data-protocol, data-name, data-email, data-open="true".
 * Everything lives in a shadow root, styled by a constructed stylesheet, so the
 * host page's CSS cannot reach in and no inline style is added to the host
 * document. The visitor's conversation id and token are kept in localStorage
 * (keyed by the widget key), so the chat survives reloads. Live events come
 * over SSE read with fetch(), which can send the token as a header and resume
 * with Last-Event-ID after a dropped connection.
 * window.BatonWidget = { open(), close(), toggle(), disconnect(pauseMs) }. */
(function () {
	'use strict';
	var script = document.currentScript;
	if (!script || window.BatonWidget) return;
	var KEY = script.getAttribute('data-key');
	if (!KEY) { console.warn('Baton widget: add data-key="…" to the script tag'); return; }
	var BASE = new URL(script.src, location.href).origin;
	var CTX = {};
	['site', 'protocol', 'name', 'email'].forEach(function (k) {
		var v = script.getAttribute('data-' + k);
		if (v) CTX[k] = v;
	});
	var SKEY = 'baton.widget.' + KEY;

	var CSS = [
		':host{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2a2e}',
		'*{box-sizing:border-box}',
		'.launch{width:56px;height:56px;border-radius:50%;border:0;background:#0f5f5c;color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.22);display:grid;place-items:center;position:relative;margin-left:auto}',
		'.launch:hover{background:#0b4845}.launch:focus-visible{outline:3px solid #f2b84b;outline-offset:2px}',
		'.launch svg{width:26px;height:26px}',
		'.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#b3361f;color:#fff;font-size:12px;font-weight:700;display:grid;place-items:center;padding:0 5px}',
		'.panel{position:absolute;right:0;bottom:70px;width:370px;height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;border:1px solid #dfe4e2}',
		'.panel[hidden],.badge[hidden],.typing[hidden]{display:none}',
		'.head{background:#0f5f5c;color:#fff;padding:14px 16px;display:flex;align-items:center;gap:10px}',
		'.head h2{font-size:15px;margin:0;font-weight:650}.head p{margin:0;font-size:12px;opacity:.85}',
		'.x{margin-left:auto;background:none;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;border-radius:6px;width:32px;height:32px}',
		'.x:hover{background:rgba(255,255,255,.15)}.x:focus-visible{outline:2px solid #f2b84b}',
		'.log{flex:1;overflow:auto;padding:14px;display:flex;flex-direction:column;gap:10px;background:#f5f6f4;margin:0;list-style:none}',
		'.m{max-width:85%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #e2e7e5}',
		'.m-visitor{align-self:flex-end;background:#0f5f5c;color:#fff;border-color:#0f5f5c;border-bottom-right-radius:3px}',
		'.m-agent,.m-member{align-self:flex-start;border-bottom-left-radius:3px}',
		'.m-member{border-color:#9fc9c3}',
		'.m-hold{align-self:stretch;max-width:none;background:#fff8df;border-color:#efd98a;color:#4a3b00}',
		'.who{display:block;font-size:11px;font-weight:650;color:#6b7a80;margin-bottom:2px;text-transform:uppercase;letter-spacing:.04em}',
		'.m-visitor .who{display:none}',
		'.src{margin-top:6px;font-size:12px;white-space:normal}',
		'.src details{margin-top:3px}.src summary{cursor:pointer;color:#0f5f5c;text-decoration:underline}',
		'.src blockquote{margin:4px 0 2px;padding:6px 8px;background:#f3f8f7;border-left:3px solid #0f5f5c;color:#33443f}',
		'.typing{align-self:flex-start;background:#fff;border:1px solid #e2e7e5;border-radius:12px;padding:10px 14px;display:flex;gap:4px}',
		'.typing i{width:7px;height:7px;border-radius:50%;background:#8fa3a0;animation:b 1.2s infinite ease-in-out}',
		'.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}',
		'@keyframes b{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}',
		'form{display:flex;gap:8px;padding:10px;border-top:1px solid #dfe4e2;background:#fff}',
		'textarea{flex:1;font:inherit;resize:none;border:1px solid #cfd6d3;border-radius:10px;padding:8px 10px;height:42px;max-height:120px;color:#1d2a2e}',
		'textarea:focus{outline:none;border-color:#0f5f5c;box-shadow:0 0 0 3px rgba(15,95,92,.25)}',
		'.send{border:0;background:#0f5f5c;color:#fff;border-radius:10px;padding:0 14px;font:inherit;font-weight:600;cursor:pointer}',
		'.send:disabled{opacity:.5;cursor:default}.send:focus-visible{outline:3px solid #f2b84b}',
		'.note{font-size:12px;color:#6b7a80;text-align:center;padding:0 12px 8px;background:#fff;margin:0}',
		'.err{color:#b3361f}',
		'.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}',
		'@media (max-width:480px){:host{right:12px;bottom:12px}.panel{position:fixed;inset:0;width:auto;height:auto;max-height:none;border-radius:0;border:0}}',
	].join('\n');

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = text;
		return e;
	}
	function load() { try { return JSON.parse(localStorage.getItem(SKEY)) || {}; } catch (e) { return {}; } }
	function save() { try { localStorage.setItem(SKEY, JSON.stringify(S)); } catch (e) { /* private mode */ } }

	var S = load();               // {id, token, last, open}
	var cfg = null, seen = {}, lastOther = 0, unread = 0, stream = null, retry = 0, waiting = 0, humanMode = false, typingTimer = 0;

	/* ---- DOM ---- */
	var host = document.createElement('baton-chat');
	var root = host.attachShadow({ mode: 'open' });
	try {
		var sheet = new CSSStyleSheet();
		sheet.replaceSync(CSS);
		root.adoptedStyleSheets = [sheet];
	} catch (e) {
		root.appendChild(el('style', null, CSS)); // older browsers
	}
	var launch = el('button', 'launch');
	launch.type = 'button';
	launch.setAttribute('aria-label', 'Open chat');
	launch.setAttribute('aria-expanded', 'false');
	launch.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
	var badge = el('span', 'badge');
	badge.hidden = true;
	launch.appendChild(badge);
	var panel = el('div', 'panel');
	panel.hidden = true;
	panel.setAttribute('role', 'dialog');
	panel.setAttribute('aria-label', 'Chat');
	var head = el('div', 'head');
	var titles = el('div');
	var h2 = el('h2', null, 'Chat');
	var sub = el('p', null, 'Answers from the study documents');
	titles.appendChild(h2); titles.appendChild(sub);
	var x = el('button', 'x', '×');
	x.type = 'button';
	x.setAttribute('aria-label', 'Close chat');
	head.appendChild(titles); head.appendChild(x);
	var log = el('ol', 'log');
	log.setAttribute('aria-live', 'polite');
	log.setAttribute('aria-label', 'Messages');
	var typing = el('li', 'typing');
	typing.hidden = true;
	typing.innerHTML = '<i></i><i></i><i></i><span class="sr">The assistant is typing</span>';
	var typingSr = typing.querySelector('.sr');
	log.appendChild(typing);
	var form = el('form');
	var ta = el('textarea');
	ta.setAttribute('aria-label', 'Your message');
	ta.placeholder = 'Type your question…';
	ta.rows = 1;
	var send = el('button', 'send', 'Send');
	send.type = 'submit';
	form.appendChild(ta); form.appendChild(send);
	var note = el('p', 'note', 'A coordinator can join this chat at any time.');
	panel.appendChild(head); panel.appendChild(log); panel.appendChild(form); panel.appendChild(note);
	root.appendChild(panel); root.appendChild(launch);

	/* ---- rendering ---- */
	function scroll() { log.scrollTop = log.scrollHeight; }
	function addLocal(text, cls, who) {
		var li = el('li', 'm ' + cls);
		if (who) li.appendChild(el('span', 'who', who));
		li.appendChild(document.createTextNode(text));
		log.insertBefore(li, typing);
		scroll();
		return li;
	}
	function render(m) {
		if (!m || m.internal || seen[m.id]) return;
		seen[m.id] = 1;
		var kind = m.author_kind, li;
		if (kind === 'agent' && m.handoff_reason) {
			li = addLocal(m.body, 'm-hold', 'Handing over to the team');
			humanMode = true;
		} else if (kind === 'agent') {
			li = addLocal(m.body, 'm-agent', 'Assistant');
			humanMode = false;
			if (m.citations && m.citations.length) {
				var src = el('div', 'src');
				src.appendChild(el('span', 'who', 'Sources'));
				m.citations.forEach(function (c) {
					var d = el('details'), s = el('summary', null, c.document + (c.section ? ' · ' + c.section.split(' > ').pop() : '') + (c.page ? ' · p. ' + c.page : ''));
					d.appendChild(s);
					if (c.text) d.appendChild(el('blockquote', null, c.text));
					src.appendChild(d);
				});
				li.appendChild(src);
			}
		} else if (kind === 'member') {
			// A person's reply shows their first name (what the server sends), never more.
			li = addLocal(m.body, 'm-member', m.author_name || 'Study team');
			humanMode = true;
		} else {
			li = addLocal(m.body, 'm-visitor');
		}
		li.setAttribute('data-id', String(m.id));
		if (kind !== 'visitor') {
			lastOther = Math.max(lastOther, m.id);
			setTyping(false);
			if (panel.hidden) { unread++; badge.textContent = String(unread); badge.hidden = false; }
		}
	}
	function setTyping(on, who) {
		clearTimeout(typingTimer);
		typing.hidden = !on;
		typingSr.textContent = who === 'member' ? 'Someone from the study team is typing' : 'The assistant is typing';
		typing.setAttribute('data-who', who || 'assistant');
		if (on) { scroll(); typingTimer = setTimeout(function () { typing.hidden = true; }, 8000); }
	}

	/* ---- network ---- */
	function req(method, path, body) {
		var headers = { 'Content-Type': 'application/json' };
		if (S.token) headers.Authorization = 'Bearer ' + S.token;
		return fetch(BASE + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: 'omit' })
			.then(function (r) {
				return r.text().then(function (t) {
					var d = null;
					try { d = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
					if (!r.ok) { var err = new Error(d && d.error ? d.error.message : 'HTTP ' + r.status); err.status = r.status; throw err; }
					return d;
				});
			});
	}

	function connect() {
		if (!S.id || stream) return;
		var ctl = new AbortController();
		stream = ctl;
		var headers = { Authorization: 'Bearer ' + S.token, Accept: 'text/event-stream' };
		if (S.last) headers['Last-Event-ID'] = String(S.last);
		fetch(BASE + '/widget/v1/conversations/' + encodeURIComponent(S.id) + '/events' + (S.last ? '' : '?last_event_id=0'), { headers: headers, signal: ctl.signal, credentials: 'omit', cache: 'no-store' })
			.then(function (r) {
				if (r.status === 401 || r.status === 403 || r.status === 404) { forget(); throw new Error('gone'); }
				if (!r.ok || !r.body) throw new Error('HTTP ' + r.status);
				retry = 0;
				var reader = r.body.getReader(), dec = new TextDecoder(), buf = '';
				function pump() {
					return reader.read().then(function (res) {
						if (res.done) throw new Error('closed');
						buf += dec.decode(res.value, { stream: true }).replace(/\r\n?/g, '\n');
						var i;
						while ((i = buf.indexOf('\n\n')) >= 0) { dispatch(buf.slice(0, i)); buf = buf.slice(i + 2); }
						return pump();
					});
				}
				return pump();
			})
			.catch(function () {
				if (stream !== ctl) return;  // replaced or closed on purpose
				stream = null;
				if (!S.id) return;
				retry = Math.min(retry + 1, 6);
				setTimeout(connect, Math.min(500 * Math.pow(2, retry - 1), 15000));
			});
	}
	function dispatch(block) {
		var id = null, type = 'message', data = '';
		block.split('\n').forEach(function (line) {
			if (!line || line[0] === ':') return;
			var c = line.indexOf(':'), f = c < 0 ? line : line.slice(0, c), v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
			if (f === 'id') id = v; else if (f === 'event') type = v; else if (f === 'data') data += (data ? '\n' : '') + v;
		});
		if (id !== null && /^\d+$/.test(id)) { S.last = Number(id); save(); }
		if (type === 'message.created' && data) {
			try { render(JSON.parse(data).message); } catch (e) { /* ignore a bad event */ }
		}
		// A member is typing in this thread (no name is sent, only that someone is).
		if (type === 'conversation.typing' && data) {
			try { setTyping(!!JSON.parse(data).typing, 'member'); } catch (e) { /* ignore a bad event */ }
		}
	}
	function forget() { S = { open: S.open }; save(); }

	function start() {
		return req('POST', '/widget/v1/conversations', { widget_key: KEY, context: CTX }).then(function (r) {
			S.id = r.id; S.token = r.token; S.last = 0;
			save();
			connect();
		});
	}
	function history() {
		return req('GET', '/widget/v1/conversations/' + encodeURIComponent(S.id) + '/messages').then(function (r) {
			(r.items || []).forEach(render);
		}).catch(function (e) { if (e.status === 401 || e.status === 403 || e.status === 404) forget(); });
	}

	/* ---- behaviour ---- */
	function open() {
		panel.hidden = false;
		launch.setAttribute('aria-expanded', 'true');
		launch.setAttribute('aria-label', 'Close chat');
		unread = 0; badge.hidden = true;
		S.open = true; save();
		scroll();
		ta.focus();
	}
	function close() {
		panel.hidden = true;
		launch.setAttribute('aria-expanded', 'false');
		launch.setAttribute('aria-label', 'Open chat');
		S.open = false; save();
		launch.focus();
	}
	launch.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
	x.addEventListener('click', close);
	panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
	// Tell the team the visitor is typing: at most every 3 s, and "stopped" on send.
	var typedAt = 0;
	function typingSignal(on) {
		if (!S.id) return;
		if (on && Date.now() - typedAt < 3000) return;
		typedAt = on ? Date.now() : 0;
		req('POST', '/widget/v1/conversations/' + encodeURIComponent(S.id) + '/typing', { typing: on }).catch(function () { /* best effort */ });
	}
	ta.addEventListener('input', function () { if (ta.value.trim()) typingSignal(true); });
	ta.addEventListener('keydown', function (e) {
		if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit')); }
	});
	form.addEventListener('submit', function (e) {
		e.preventDefault();
		var text = ta.value.trim();
		if (!text || send.disabled) return;
		send.disabled = true;
		var ready = S.id ? Promise.resolve() : start();
		ready.then(function () {
			return req('POST', '/widget/v1/conversations/' + encodeURIComponent(S.id) + '/messages', { body: text });
		}).then(function (m) {
			ta.value = '';
			if (typedAt) typingSignal(false);
			render(m);
			if (!humanMode && lastOther < m.id) setTyping(true);
			connect();
		}).catch(function (err) {
			addLocal('Your message was not sent: ' + err.message + '. Please try again.', 'm-hold err');
		}).then(function () { send.disabled = false; ta.focus(); });
	});

	function boot() {
		document.body.appendChild(host);
		req('GET', '/widget/v1/config?key=' + encodeURIComponent(KEY)).then(function (c) {
			cfg = c;
			if (!c.enabled) { host.remove(); return; }
			h2.textContent = c.agent_name || 'Chat';
			sub.textContent = c.workspace || sub.textContent;
			if (c.greeting) addLocal(c.greeting, 'm-agent', c.agent_name || 'Assistant');
			if (S.id) history().then(connect);
			if (S.open || script.getAttribute('data-open') === 'true') open();
		}).catch(function (e) {
			console.warn('Baton widget: ' + e.message);
			host.remove();
		});
	}

	window.BatonWidget = {
		open: open,
		close: close,
		toggle: function () { if (panel.hidden) open(); else close(); },
		// Drop the live stream (it reconnects with Last-Event-ID and misses nothing).
		disconnect: function (pauseMs) { var s = stream; stream = null; if (s) s.abort(); retry = 0; setTimeout(connect, pauseMs || 300); },
	};
	if (document.body) boot(); else document.addEventListener('DOMContentLoaded', boot);
})();
