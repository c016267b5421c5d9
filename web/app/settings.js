// settings.js: agent settings, members and invitations, the widget embed
// snippet and allowed origins, API tokens, and notification preferences.
import { h, clear, when, toast, pct } from './util.js';
import { get, post, patch, del } from './api.js';

const SECTIONS = [['agent', 'Agent'], ['members', 'Members'], ['tags', 'Tags'], ['rules', 'Rules'], ['widget', 'Widget'], ['tokens', 'API tokens'], ['notifications', 'Notifications']];
const CARDINALITY = { one: 'exactly one per thread', at_most_one: 'at most one per thread', any: 'any number' };
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
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
		({ agent, members, tags, rules, widget, tokens, notifications })[sec](body);
	}

	const admin = app.isAdmin();
	const readOnly = admin ? null : h('p', { class: 'banner banner-info', text: 'Only admins can change these settings.' });

	/* ----- tags and tag groups (T1, T2) ----- */
	async function tags(box) {
		let d;
		try { d = await get('/tags'); } catch (ex) { clear(box, h('p', { class: 'form-error', text: ex.message })); return; }
		const groups = d.groups || [];
		const items = d.items || [];
		const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
		const fail = (ex) => { err.textContent = ex.message; err.hidden = false; };
		const reload = () => tags(box);
		const tagRow = (t) => {
			const name = h('input', { value: t.name, 'aria-label': 'Name of ' + t.name, disabled: !admin, maxlength: '64' });
			const colour = h('input', { type: 'color', value: t.colour || '#5a7d8c', 'aria-label': 'Colour of ' + t.name, disabled: !admin });
			const desc = h('input', { class: 'tag-desc', value: t.description || '', 'aria-label': 'Description of ' + t.name, disabled: !admin, placeholder: 'What belongs here (the agent uses it to suggest tags)' });
			const save = h('button', { class: 'btn btn-small', type: 'button', hidden: true }, 'Save');
			for (const i of [name, colour, desc]) i.addEventListener('input', () => { save.hidden = false; });
			save.addEventListener('click', async () => {
				try { await patch('/tags/' + t.id, { name: name.value.trim(), colour: colour.value, description: desc.value }); toast(`Saved the tag “${name.value.trim()}”.`, 'ok'); reload(); } catch (ex) { fail(ex); }
			});
			const rm = admin ? h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': 'Delete the tag ' + t.name }, 'Delete') : null;
			if (rm) rm.addEventListener('click', async () => {
				if (!confirm(`Delete the tag “${t.name}”? It is taken off every conversation.`)) return;
				try { await del('/tags/' + t.id); toast(`Deleted the tag “${t.name}”.`, 'ok'); reload(); } catch (ex) { fail(ex); }
			});
			return h('tr', null, h('td', null, colour), h('td', null, name), h('td', null, desc), h('td', { class: 'num' }, save, rm));
		};
		const groupCard = (g) => {
			const mine = items.filter((t) => t.group_id === g.id);
			const add = admin ? newTagForm(g.id) : null;
			const rmg = admin ? h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': 'Delete the group ' + g.name }, 'Delete group') : null;
			if (rmg) rmg.addEventListener('click', async () => {
				if (!confirm(`Delete the group “${g.name}”?`)) return;
				try { await del('/tag-groups/' + g.id); reload(); } catch (ex) { fail(ex); }
			});
			return h('section', { class: 'card tag-group', 'aria-label': 'Tag group ' + g.name },
				h('div', { class: 'card-head' }, h('h2', null, g.name, h('small', { class: 'muted', text: ' · ' + (CARDINALITY[g.cardinality] || g.cardinality) })), rmg),
				g.cardinality !== 'any' ? h('p', { class: 'hint', text: 'Adding a second tag of this group to a thread replaces the first, and the thread says so.' }) : null,
				mine.length ? h('table', { class: 'table' }, h('tbody', null, mine.map(tagRow))) : h('p', { class: 'muted', text: 'No tags in this group yet.' }),
				add);
		};
		function newTagForm(groupId) {
			const name = h('input', { placeholder: 'New tag name', 'aria-label': 'New tag name', maxlength: '64', required: true });
			const colour = h('input', { type: 'color', value: '#5a7d8c', 'aria-label': 'New tag colour' });
			const desc = h('input', { placeholder: 'Description', 'aria-label': 'New tag description' });
			const f = h('form', { class: 'inline-form' }, colour, name, desc, h('button', { class: 'btn btn-small', type: 'submit' }, 'Add tag'));
			f.addEventListener('submit', async (e) => {
				e.preventDefault();
				const body = { name: name.value.trim(), colour: colour.value, description: desc.value };
				if (groupId) body.group_id = groupId;
				try { await post('/tags', body); toast(`Added the tag “${body.name}”.`, 'ok'); reload(); } catch (ex) { fail(ex); }
			});
			return f;
		}
		const loose = items.filter((t) => !t.group_id);
		let newGroup = null;
		if (admin) {
			const gname = h('input', { placeholder: 'Group name, e.g. Phase', 'aria-label': 'New group name', maxlength: '64', required: true });
			const gcard = h('select', { 'aria-label': 'How many tags of the group a thread can have' }, Object.entries(CARDINALITY).map(([k, v]) => h('option', { value: k }, v)));
			newGroup = h('form', { class: 'card inline-form', 'aria-label': 'New tag group' }, h('strong', null, 'New group'), gname, gcard, h('button', { class: 'btn btn-small', type: 'submit' }, 'Create group'));
			newGroup.addEventListener('submit', async (e) => {
				e.preventDefault();
				try { await post('/tag-groups', { name: gname.value.trim(), cardinality: gcard.value }); reload(); } catch (ex) { fail(ex); }
			});
		}
		clear(box, readOnly,
			h('p', { class: 'hint', text: 'Tags organise threads by site, trial phase and topic. Each tag on a thread records who applied it (a member, a rule or the agent) and when.' }),
			err, groups.map(groupCard),
			h('section', { class: 'card', 'aria-label': 'Tags without a group' }, h('h2', null, 'Tags without a group'),
				loose.length ? h('table', { class: 'table' }, h('tbody', null, loose.map(tagRow))) : h('p', { class: 'muted', text: 'None.' }),
				admin ? newTagForm(null) : null),
			newGroup);
	}

	/* ----- rules (T3) ----- */
	async function rules(box) {
		let d, t;
		try { [d, t] = await Promise.all([get('/rules'), get('/tags')]); } catch (ex) { clear(box, h('p', { class: 'form-error', text: ex.status === 403 ? 'Only admins can see and change rules.' : ex.message })); return; }
		const tagName = new Map((t.items || []).map((x) => [x.id, x.name]));
		const list = (d.items || []).slice().sort((a, b) => a.position - b.position);
		const describe = (r) => {
			const c = r.conditions || {}, a = r.actions || {}, when = [], then = [];
			if (c.text_any) when.push('the message mentions ' + c.text_any.map((x) => `“${x}”`).join(' or '));
			if (c.pattern) when.push(`the message matches /${c.pattern}/`);
			if (c.channel) when.push('it comes by ' + c.channel);
			if (c.site) when.push('the site is ' + c.site);
			if (c.tag_id) when.push('the thread has the tag ' + (tagName.get(c.tag_id) || '#' + c.tag_id));
			if (a.add_tags) then.push('tag ' + a.add_tags.map((x) => tagName.get(x) || '#' + x).join(', '));
			if (a.assign) then.push('assign to ' + app.memberName(a.assign));
			if (a.priority) then.push('set priority ' + a.priority);
			if (a.handoff) then.push('hand off to a person');
			return `When ${when.join(' and ')}: ${then.join(', ')}.`;
		};
		const err = h('p', { class: 'form-error', role: 'alert', hidden: true, id: 'rule-error' });
		const rows = list.map((r) => {
			const on = h('input', { type: 'checkbox', checked: r.enabled, 'aria-label': 'Rule enabled: ' + r.name });
			on.addEventListener('change', async () => {
				try { await patch('/rules/' + r.id, { enabled: on.checked }); toast(`${on.checked ? 'Enabled' : 'Disabled'} “${r.name}”.`, 'ok'); } catch (ex) { on.checked = !on.checked; err.textContent = ex.message; err.hidden = false; }
			});
			const rm = h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': 'Delete the rule ' + r.name }, 'Delete');
			rm.addEventListener('click', async () => {
				if (!confirm(`Delete the rule “${r.name}”?`)) return;
				try { await del('/rules/' + r.id); rules(box); } catch (ex) { err.textContent = ex.message; err.hidden = false; }
			});
			return h('tr', null, h('td', { class: 'num', text: String(r.position) }), h('td', null, h('strong', null, r.name), h('br'), h('small', { class: 'muted', text: describe(r) })), h('td', null, h('label', { class: 'check' }, on, ' on')), h('td', { class: 'num' }, rm));
		});
		/* New rule */
		const tagOpts = () => (t.items || []).map((x) => h('option', { value: String(x.id) }, (x.group_name ? x.group_name + ': ' : '') + x.name));
		const f = {
			name: h('input', { id: 'rule-name', required: true, maxlength: '100', placeholder: 'e.g. Safety words are SAE' }),
			words: h('input', { id: 'rule-words', placeholder: 'serious adverse event, hospitalised' }),
			pattern: h('input', { id: 'rule-pattern', placeholder: 'e.g. visit ?(window|date)' }),
			channel: h('select', { id: 'rule-channel' }, h('option', { value: '' }, 'Any channel'), ['widget', 'email', 'api'].map((x) => h('option', { value: x }, x))),
			site: h('input', { id: 'rule-site', placeholder: 'e.g. Site-101 (the widget’s data-site)' }),
			hasTag: h('select', { id: 'rule-has-tag' }, h('option', { value: '' }, 'No tag condition'), tagOpts()),
			addTag: h('select', { id: 'rule-add-tag' }, h('option', { value: '' }, 'No tag'), tagOpts()),
			assign: h('select', { id: 'rule-assign' }, h('option', { value: '' }, 'Nobody'), app.members.filter((m) => m.role !== 'viewer').map((m) => h('option', { value: m.id }, m.name || m.email))),
			priority: h('select', { id: 'rule-priority' }, h('option', { value: '' }, 'Unchanged'), PRIORITIES.map((x) => h('option', { value: x }, x))),
			handoff: h('input', { id: 'rule-handoff', type: 'checkbox' }),
		};
		const fld = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', text: hint }) : null);
		const form = h('form', { class: 'form card', id: 'rule-form', 'aria-label': 'New rule' },
			h('h2', null, 'New rule'),
			fld('rule-name', 'Name', f.name),
			h('h3', null, 'When a visitor writes and…'),
			fld('rule-words', 'The message mentions any of', f.words, 'Comma-separated phrases; case is ignored.'),
			fld('rule-pattern', 'Or matches the pattern', f.pattern, 'A POSIX extended regular expression, case-insensitive. A bad pattern is refused when you save.'),
			h('div', { class: 'field-row' }, fld('rule-channel', 'Channel', f.channel), fld('rule-site', 'Site', f.site), fld('rule-has-tag', 'The thread has the tag', f.hasTag)),
			h('h3', null, 'Then'),
			h('div', { class: 'field-row' }, fld('rule-add-tag', 'Add the tag', f.addTag), fld('rule-assign', 'Assign to', f.assign), fld('rule-priority', 'Set priority', f.priority)),
			h('label', { class: 'check' }, f.handoff, ' Hand off to a person (the agent stays silent)'),
			err,
			h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save rule')));
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const conditions = {}, actions = {};
			const words = f.words.value.split(',').map((x) => x.trim()).filter(Boolean);
			if (words.length) conditions.text_any = words;
			if (f.pattern.value.trim()) conditions.pattern = f.pattern.value.trim();
			if (f.channel.value) conditions.channel = f.channel.value;
			if (f.site.value.trim()) conditions.site = f.site.value.trim();
			if (f.hasTag.value) conditions.tag_id = Number(f.hasTag.value);
			if (f.addTag.value) actions.add_tags = [Number(f.addTag.value)];
			if (f.assign.value) actions.assign = f.assign.value;
			if (f.priority.value) actions.priority = f.priority.value;
			if (f.handoff.checked) actions.handoff = true;
			try {
				await post('/rules', { name: f.name.value.trim(), position: list.length + 1, conditions, actions });
				toast(`Saved the rule “${f.name.value.trim()}”.`, 'ok');
				rules(box);
			} catch (ex) { err.textContent = ex.message; err.hidden = false; }
		});
		clear(box,
			h('section', { class: 'card' }, h('h2', null, 'Rules'),
				h('p', { class: 'hint', text: 'Rules run on every new visitor message, top to bottom, before the agent answers. What they do is recorded in the thread’s timeline and the audit trail.' }),
				rows.length ? h('table', { class: 'table', id: 'rules-table' }, h('thead', null, h('tr', null, ['#', 'Rule', 'Enabled', ''].map((x) => h('th', { scope: 'col', text: x })))), h('tbody', null, rows))
					: h('p', { class: 'muted', text: 'No rules yet.' })),
			form);
	}

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
			field('suggest_auto_threshold', 'Apply suggested Topic tags automatically from', h('select', null,
				[[1, 'Never: members accept suggestions'], [0.95, '95% confidence'], [0.9, '90% confidence'], [0.8, '80% confidence'], [0.7, '70% confidence']].map(([v, l]) =>
					h('option', { value: String(v), selected: Math.abs((s.suggest_auto_threshold ?? 0.9) - v) < 1e-9 }, l))),
				'Suggestions at or above this are applied with the agent as their source; below it they wait for a member’s ✓ or ✕.'),
			field('stale_minutes', 'A thread is stale after (minutes waiting on the team)', h('input', { type: 'number', min: '5', max: '10080', value: String(s.stale_minutes || 120) }),
				'The assignee, or the on-call coordinator, is notified once per limit.'),
			h('fieldset', { class: 'field' }, h('legend', null, 'Agent answers on'), ch('widget', 'Chat widget'), ch('email', 'Email'), ch('api', 'API')),
			h('h3', null, 'Answer writer (optional)'),
			h('p', { class: 'hint', text: 'An OpenAI-compatible server (llama.cpp, vLLM, Ollama or a hosted API) can reword the agent’s answers from the passages they cite. Baton still decides whether to answer or hand off, and shows its own confidence and sources. On a timeout, an error or a reply that is too long or brings numbers the passages do not hold, the visitor gets the extractive answer. Leave the URL empty to keep answers extractive: then nothing leaves this server.' }),
			field('writer_url', 'Endpoint URL', h('input', { type: 'url', value: s.writer_url || '', placeholder: 'http://127.0.0.1:8081' }), 'The base address: Baton posts to <URL>/v1/chat/completions.'),
			field('writer_model', 'Model', h('input', { value: s.writer_model || '', placeholder: 'e.g. llama-3.1-8b-instruct' })),
			field('writer_api_key', 'API key', h('input', { type: 'password', autocomplete: 'new-password', value: '', placeholder: s.writer_api_key_set ? 'A key is set: type a new one to replace it' : 'No key (not needed for most local servers)' }),
				'Write-only: it is sent as a bearer token and never shown again.'),
			s.writer_api_key_set ? h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'writer-key-clear', disabled: !admin }), ' Remove the stored key') : null,
			field('writer_timeout_ms', 'Timeout (milliseconds)', h('input', { type: 'number', min: '100', max: '60000', value: String(s.writer_timeout_ms || 8000) }),
				'How long the agent waits for the writer before it sends the extractive answer.'),
			field('redaction_patterns', 'Redaction patterns', h('textarea', { rows: '3', value: (s.redaction_patterns || []).join('\n'), placeholder: 'MRN[- ]?[0-9]+\n[0-9]{2}/[0-9]{2}/[0-9]{4}' }),
				'One POSIX extended regular expression per line, matched without regard to case. Every match becomes [redacted] in the question, the passages and the answer before anything is sent to the writer.'),
			admin ? h('div', { class: 'form-actions' }, h('button', { class: 'btn btn-primary', type: 'submit', id: 'save-agent' }, 'Save agent settings')) : null);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const payload = {
				agent_name: f.agent_name.value, threshold: Number(f.threshold.value), key_phrases: f.key_phrases.value,
				synonyms: f.synonyms.value, greeting: f.greeting.value, holding_message: f.holding_message.value,
				suggest_auto_threshold: Number(f.suggest_auto_threshold.value), stale_minutes: Number(f.stale_minutes.value),
				channels: { widget: form.querySelector('#ch-widget').checked, email: form.querySelector('#ch-email').checked, api: form.querySelector('#ch-api').checked },
				writer_url: f.writer_url.value.trim(), writer_model: f.writer_model.value.trim(), writer_timeout_ms: Number(f.writer_timeout_ms.value),
				redaction_patterns: f.redaction_patterns.value.split('\n').map((l) => l.trim()).filter(Boolean),
			};
			const clearKey = form.querySelector('#writer-key-clear');
			if (f.writer_api_key.value) payload.writer_api_key = f.writer_api_key.value;
			else if (clearKey && clearKey.checked) payload.writer_api_key = '';
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
