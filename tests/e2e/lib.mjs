// lib.mjs: a small runner around playwright-core (no test framework): launch
// Debian's chromium, name each test, print ok/FAIL, save screenshots.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const BASE = process.env.BATON_URL || 'http://127.0.0.1:8080';
export const SHOTS = process.env.SHOTS || 'build/screenshots';
fs.mkdirSync(SHOTS, { recursive: true });

export async function newBrowser() {
	const exe = process.env.CHROMIUM || '/usr/bin/chromium';
	// playwright gives every launch a fresh temporary profile (--user-data-dir).
	return chromium.launch({
		executablePath: exe, headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
	});
}

export async function shot(page, name) {
	await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

export function assert(cond, msg) { if (!cond) throw new Error(msg); }

// Collect page errors and CSP violations so a broken screen fails loudly.
export function watch(page, errors) {
	page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text())) errors.push('console: ' + m.text());
		if (/Content Security Policy/i.test(m.text())) errors.push('csp: ' + m.text());
	});
}

const results = [];
export async function test(name, fn) {
	const t0 = Date.now();
	try {
		await fn();
		results.push(true);
		console.log(`ok   ${name} (${Date.now() - t0} ms)`);
	} catch (e) {
		results.push(false);
		console.log(`FAIL ${name}: ${String(e && e.message || e).split('\n').slice(0, 6).join('\n     ')}`);
	}
}
export function summary() {
	const p = results.filter(Boolean).length, f = results.length - p;
	console.log(`${p} passed, ${f} failed`);
	return f;
}
