// demo.js: load /widget.js on this stand-in site portal. The key comes from
// ?key= in the address, else from the logged-in member's workspace (same
// origin cookie), else the page asks for it.
(function () {
	'use strict';
	var params = new URLSearchParams(location.search);
	var msg = document.getElementById('demo-msg');
	var form = document.getElementById('key-form');

	function load(key, how) {
		var s = document.createElement('script');
		s.src = '/widget.js';
		s.async = true;
		s.setAttribute('data-key', key);
		s.setAttribute('data-site', params.get('site') || 'Site-101');
		s.setAttribute('data-protocol', 'BTN-301');
		if (params.get('name')) s.setAttribute('data-name', params.get('name'));
		if (params.get('open')) s.setAttribute('data-open', 'true');
		document.body.appendChild(s);
		msg.textContent = 'The chat widget is loaded (' + how + '). Use the button in the bottom-right corner.';
	}

	var key = params.get('key');
	if (key) { load(key, 'key from the address'); return; }
	fetch('/api/v1/me', { credentials: 'same-origin' })
		.then(function (r) { return r.ok ? r.json() : null; })
		.then(function (me) {
			if (me && me.workspace && me.workspace.widget_key) { load(me.workspace.widget_key, 'the workspace you are logged in to'); return; }
			msg.textContent = 'Which workspace should the widget talk to?';
			form.hidden = false;
		})
		.catch(function () { form.hidden = false; });
	form.addEventListener('submit', function (e) {
		e.preventDefault();
		var k = document.getElementById('key').value.trim();
		if (!k) return;
		history.replaceState(null, '', '?key=' + encodeURIComponent(k));
		form.hidden = true;
		load(k, 'key entered');
	});
})();
