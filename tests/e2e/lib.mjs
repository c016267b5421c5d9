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

// The demo's login (demo-login.txt in BATON_DATA, written by `baton demo`).
export function demoLogin() {
	const text = fs.readFileSync(path.join(process.env.BATON_DATA, 'demo-login.txt'), 'utf8');
	return {
		EMAIL: text.match(/Log in as:\s*(\S+)/)[1],
		PASSWORD: text.match(/Password:\s*(\S+)/)[1],
		KEY: text.match(/Widget key:\s*(\S+)/)[1],
	};
}

// A member logged in through the login form, in a fresh browser context.
export async function loginPage(browser, errors, email, password, { width = 1440, height = 900, timeout = 10000 } = {}) {
	const ctx = await browser.newContext({ viewport: { width, height } });
	const page = await ctx.newPage();
	watch(page, errors);
	await page.goto(BASE + '/');
	await page.fill('#login-email', email);
	await page.fill('#login-password', password);
	await page.click('form button[type=submit]');
	await page.waitForSelector('#conv-list', { timeout });
	return page;
}

// A cookie-authenticated API call from a logged-in member page, with its CSRF token.
export async function apiFrom(page, method, p, body) {
	return page.evaluate(async ([m, u, b]) => {
		const me = await (await fetch('/api/v1/me')).json();
		const r = await fetch('/api/v1' + u, { method: m, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token }, body: b ? JSON.stringify(b) : undefined });
		return { status: r.status, json: await r.json().catch(() => null) };
	}, [method, p, body]);
}
