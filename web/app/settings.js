// settings.js: agent settings, members and invitations, the widget embed
// snippet and allowed origins, API tokens, and notification preferences.
import { h, clear, when, toast, pct } from './util.js';
import { get, post, patch, del } from './api.js';

const SECTIONS = [['agent', 'Agent'], ['members', 'Members'], ['widget', 'Widget'], ['tokens', 'API tokens'], ['notifications', 'Notifications']];
const ROLES = ['viewer', 'agent', 'admin', 'owner'];
const ROLE_HELP = { viewer: 'reads everything, cannot reply', agent: 'replies, claims, resolves', admin: 'also settings, members, knowledge', owner: 'everything' };

export function mountSettings(el, app, parts) {
	const nav = h('nav', { class: 'subnav', 'aria-label': 'Settings sections' });
	const body = h('div', { class: 'settings-body' });
	clear(el, h('div', { class: 'page' },
		h('div', { class: 'page-head' }, h('h1', null, 'Settings'), h('p', { class: 'muted', text: app.me.workspace.name })),
		h('div', { class: 'settings' }, nav, body)));

	function show(sec) {
		if (!SECTIONS.some(([k]) => k === sec)) sec = 'agent';
		clear(nav, SECTIONS.map(([k, label]) => h('a', { href: '#/settings/' + k, class: 'subnav-link', 'aria-current': k === sec ? 'page' : null }, label)));
		clear(body);
		({ agent, members, widget, tokens, notifications })[sec](body);
	}

	const admin = app.isAdmin();
	const readOnly = admin ? null : h('p', { class: 'banner banner-info', text: 'Only admins can change these settings.' });

	/* ----- agent ----- */
	async function agent(box) {
		let s;
		try { s = await get('/settings'); } catch (ex) { clear(box, h('p', { class: 'form-error', text: ex.message })); return; }
		const f = {};
		const field = (key, label, input, help) => {
			f[key] = input;
			input.id = 'set-' + key;
			input.disabled = !admin;
			return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, help ? h('p', { class: 'hint', text: help }) : null);
		};
		const thrOut = h('output', { for: 'set-threshold', class: 'thr-out', text: pct(s.threshold) });
		const thr = h('input', { type: 'range', min: '0', max: '1', step: '0.01', value: String(s.threshold) });
		thr.addEventListener('input', () => { thrOut.textContent = pct(Number(thr.value)); });
		const ch = (k, label) => h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'ch-' + k, checked: s.channels && s.channels[k], disabled: !admin }), ' ' + label);
		const form = h('form', { class: 'form card' },
			readOnly,
			h('h2', null, 'Answer agent'),
			field('agent_name', 'Agent name', h('input', { value: s.agent_name || '' })),
			h('div', { class: 'field' }, h('label', { for: 'set-threshold' }, 'Confidence threshold'), h('div', { class: 'range-row' }, (f.threshold = thr, thr.id = 'set-threshold', thr.disabled = !admin, thr), thrOut),
				h('p', { class: 'hint', text: 'The agent answers at or above this confidence, and hands off below it. Higher is stricter.' })),
			field('key_phrases', 'Key phrases that always hand off', h('textarea', { rows: '6', value: s.key_phrases || '' }), 'One per line. Matching ignores case and word endings (hospitalised, hospitalized).'),
			field('synonyms', 'Synonyms', h('textarea', { rows: '4', value: s.synonyms || '', placeholder: 'MTX = methotrexate\nflu = influenza' }), 'One group per line, e.g. “MTX = methotrexate”. Abbreviations defined in your documents are learned automatically.'),
			field('greeting', 'Greeting in the widget', h('textarea', { rows: '2', value: s.greeting || '' })),
			field('holding_message', 'Holding message on handoff', h('textarea', { rows: '2', value: s.holding_message || '' }), 'What the visitor reads when a person needs to take over.'),
			h('fieldset', { class: 'field' }, h('legend', null, 'Agent answers on'), ch('widget', 'Chat widget'), ch('email', 'Email'), ch('api', 'API')),
			admin ? h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit', id: 'save-agent' }, 'Save agent settings')) : null);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const payload = {
				agent_name: f.agent_name.value, threshold: Number(f.threshold.value), key_phrases: f.key_phrases.value,
				synonyms: f.synonyms.value, greeting: f.greeting.value, holding_message: f.holding_message.value,
				channels: { widget: form.querySelector('#ch-widget').checked, email: form.querySelector('#ch-email').checked, api: form.querySelector('#ch-api').checked },
			};
			try { await patch('/settings', payload); toast('Agent settings saved.', 'ok'); } catch (ex) { toast(ex.message, 'error'); }
		});
		clear(box, form);
	}

	/* ----- members ----- */
	async function members(box) {
		let list = [];
		try { list = (await get('/members')).items || []; app.members = list; } catch (ex) { toast(ex.message, 'error'); }
		const rows = list.map((m) => {
			const role = h('select', { 'aria-label': 'Role of ' + (m.name || m.email), disabled: !admin || m.id === app.me.id },
				ROLES.map((r) => h('option', { value: r, selected: r === m.role }, r)));
			role.addEventListener('change', async () => {
				try { await patch('/members/' + m.id, { role: role.value }); toast('Role changed.', 'ok'); } catch (ex) { toast(ex.message, 'error'); role.value = m.role; }
			});
			const org = h('input', { value: m.organisation || '', 'aria-label': 'Organisation of ' + (m.name || m.email), disabled: !admin, placeholder: 'e.g. Site-101 or Meridian CRO' });
			org.addEventListener('change', async () => {
				try { await patch('/members/' + m.id, { organisation: org.value }); toast('Organisation saved.', 'ok'); } catch (ex) { toast(ex.message, 'error'); }
			});
			return h('tr', null,
				h('th', { scope: 'row' }, h('div', { text: m.name || '(no name yet)' }), h('div', { class: 'muted small', text: m.email })),
				h('td', null, role), h('td', null, org),
				h('td', { class: 'muted small', text: (m.sites && m.sites.length) ? m.sites.join(', ') : 'All sites' }),
				h('td', { class: 'row-actions' }, admin && m.id !== app.me.id ? h('button', { type: 'button', class: 'btn btn-danger btn-small', onclick: async () => {
					if (!confirm(`Remove ${m.email} from the workspace?`)) return;
					try { await del('/members/' + m.id); toast('Removed.', 'ok'); members(box); } catch (ex) { toast(ex.message, 'error'); }
				} }, 'Remove') : null));
		});
		const email = h('input', { type: 'email', id: 'inv-email', required: true, placeholder: 'name@site.org' });
		const role = h('select', { id: 'inv-role' }, ROLES.filter((r) => r !== 'owner').map((r) => h('option', { value: r, selected: r === 'agent' }, `${r} — ${ROLE_HELP[r]}`)));
		const org = h('input', { id: 'inv-org', placeholder: 'Site-101' });
		const sites = h('input', { id: 'inv-sites', placeholder: 'Leave empty for all sites' });
		const out = h('div', { 'aria-live': 'polite' });
		const inv = h('form', { class: 'form card' },
			h('h2', null, 'Invite a member'),
			h('div', { class: 'form-grid' },
				h('div', { class: 'field' }, h('label', { for: 'inv-email' }, 'Email'), email),
				h('div', { class: 'field' }, h('label', { for: 'inv-role' }, 'Role'), role),
				h('div', { class: 'field' }, h('label', { for: 'inv-org' }, 'Organisation'), org),
				h('div', { class: 'field' }, h('label', { for: 'inv-sites' }, 'Limit to sites (comma separated)'), sites)),
			h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create invitation')), out);
		inv.addEventListener('submit', async (e) => {
			e.preventDefault();
			try {
				const s = sites.value.split(',').map((x) => x.trim()).filter(Boolean);
				const r = await post('/members/invite', { email: email.value.trim(), role: role.value, organisation: org.value.trim(), sites: s.length ? s : undefined });
				const link = location.origin + r.link;
				clear(out, h('div', { class: 'banner banner-ok' }, h('p', null, 'Send this link to ' + r.email + '. It works once.'), copyBox(link, 'invite-link')));
				email.value = '';
			} catch (ex) { clear(out, h('p', { class: 'form-error', text: ex.message })); }
		});
		clear(box,
			h('section', { class: 'card' }, h('h2', null, 'Members'),
				h('table', { class: 'table' }, h('thead', null, h('tr', null, ['Member', 'Role', 'Organisation', 'Sites', ''].map((t) => h('th', { scope: 'col', text: t })))), h('tbody', null, rows))),
			admin ? inv : readOnly);
	}

	/* ----- widget ----- */
	async function widget(box) {
		let s = {};
		try { s = await get('/settings'); } catch { /* shown below */ }
		const key = app.me.workspace.widget_key;
		const snippet = `<script src="${location.origin}/widget.js" data-key="${key}" data-site="Site-101" async></script>`;
		const origins = h('textarea', { id: 'origins', rows: '4', disabled: !admin, value: (s.allowed_origins || []).join('\n'), placeholder: 'https://portal.site-101.org' });
		const form = h('form', { class: 'form' },
			h('div', { class: 'field' }, h('label', { for: 'origins' }, 'Allowed origins'), origins,
				h('p', { class: 'hint', text: 'One per line. The widget only works on pages from these origins. Leave empty to allow any origin.' })),
			admin ? h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save origins')) : null);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			try {
				await patch('/settings', { allowed_origins: origins.value.split('\n').map((x) => x.trim().replace(/\/$/, '')).filter(Boolean) });
				toast('Allowed origins saved.', 'ok');
			} catch (ex) { toast(ex.message, 'error'); }
		});
		clear(box,
			h('section', { class: 'card' }, h('h2', null, 'Embed the chat widget'),
				h('p', { class: 'muted', text: 'Paste this tag into any page of your site portal. Set data-site to the site’s name; data-protocol, data-name and data-email are optional.' }),
				copyBox(snippet, 'embed-snippet'),
				h('p', null, h('a', { href: '/demo.html?key=' + encodeURIComponent(key), target: '_blank', rel: 'noopener', id: 'demo-link' }, 'Open the demo page with this widget'), h('span', { class: 'muted', text: ' — chat as a visitor and watch the conversation arrive in the inbox.' }))),
			h('section', { class: 'card' }, h('h2', null, 'Where it may run'), form));
	}

	/* ----- API tokens ----- */
	async function tokens(box) {
		if (!admin) { clear(box, readOnly); return; }
		let list = [];
		try { list = (await get('/tokens')).items || []; } catch (ex) { toast(ex.message, 'error'); }
		const name = h('input', { id: 'tok-name', required: true, placeholder: 'CRO help desk' });
		const role = h('select', { id: 'tok-role' }, ['viewer', 'agent', 'admin'].map((r) => h('option', { value: r, selected: r === 'agent' }, r)));
		const out = h('div', { 'aria-live': 'polite' });
		const form = h('form', { class: 'form' },
			h('div', { class: 'form-grid' },
				h('div', { class: 'field' }, h('label', { for: 'tok-name' }, 'Name'), name),
				h('div', { class: 'field' }, h('label', { for: 'tok-role' }, 'Role'), role)),
			h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token')), out);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			try {
				const t = await post('/tokens', { name: name.value.trim(), role: role.value });
				await tokens(box);
				const o = box.querySelector('[data-token-out]');
				clear(o, h('div', { class: 'banner banner-ok' }, h('p', null, 'Copy the token now: it is shown only once. Send it as Authorization: Bearer …'), copyBox(t.token, 'new-token')));
			} catch (ex) { clear(out, h('p', { class: 'form-error', text: ex.message })); }
		});
		clear(box,
			h('section', { class: 'card' }, h('h2', null, 'API tokens'),
				h('div', { 'data-token-out': '' }),
				list.length ? h('table', { class: 'table' }, h('thead', null, h('tr', null, ['Name', 'Role', 'Prefix', 'Created', ''].map((t) => h('th', { scope: 'col', text: t })))),
					h('tbody', null, list.map((t) => h('tr', null, h('th', { scope: 'row', text: t.name }), h('td', { text: t.role }), h('td', null, h('code', { text: (t.prefix || '') + '…' })), h('td', { class: 'muted small', text: when(t.created_at) }),
						h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-danger btn-small', onclick: async () => {
							if (!confirm(`Revoke ${t.name}? Clients using it stop working at once.`)) return;
							try { await del('/tokens/' + t.id); tokens(box); } catch (ex) { toast(ex.message, 'error'); }
						} }, 'Revoke'))))))
					: h('p', { class: 'muted', text: 'No tokens yet. A CRO help desk or site portal uses a token to create conversations over the REST API.' })),
			h('section', { class: 'card' }, h('h2', null, 'New token'), form));
	}

	/* ----- notifications ----- */
	function notifications(box) {
		const supported = 'Notification' in window;
		const state = supported ? Notification.permission : 'unsupported';
		const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'notif-enable', disabled: !supported || state !== 'default' }, 'Allow desktop notifications');
		btn.addEventListener('click', async () => { await Notification.requestPermission(); notifications(box); });
		clear(box, h('section', { class: 'card' }, h('h2', null, 'Notifications'),
			h('p', null, 'Baton shows a notice in the app when a conversation is handed off to the team, and when a teammate mentions you in a note (@' + (app.me.email || '').split('@')[0] + ').'),
			h('p', null, 'Desktop notifications: ', h('strong', { text: { granted: 'allowed', denied: 'blocked in this browser', default: 'not set up yet', unsupported: 'not supported by this browser' }[state] })),
			btn));
	}

	function copyBox(text, id) {
		const ta = h('textarea', { class: 'code', id, readonly: true, rows: String(Math.min(4, Math.ceil(text.length / 90))), value: text, 'aria-label': 'Text to copy' });
		const b = h('button', { type: 'button', class: 'btn btn-small', id: id + '-copy' }, 'Copy');
		b.addEventListener('click', async () => {
			try { await navigator.clipboard.writeText(text); } catch { ta.select(); document.execCommand('copy'); }
			b.textContent = 'Copied';
			setTimeout(() => { b.textContent = 'Copy'; }, 1500);
		});
		return h('div', { class: 'copy-box' }, ta, b);
	}

	show(parts[1]);
	return { update(p) { show(p[1]); } };
}
