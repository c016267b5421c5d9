import { newBrowser, watch, BASE } from './lib.mjs';
const b = await newBrowser();
const p2 = await b.newPage();
p2.on('console', m => console.log('console', m.type(), m.text()));
p2.on('pageerror', e => console.log('err', e.message));
await p2.goto(BASE + '/demo.html?key=' + process.env.KEY);
await p2.waitForTimeout(1500);
console.log(await p2.evaluate(() => document.body.innerHTML.slice(-400)));
await b.close();
