// Measures the hosted checkout against its budget (docs/BENCHMARKS.md, "Checkout page"):
// bytes the buyer needs without JavaScript (HTML with its inlined CSS) and for hydration
// (JS glue + WASM), gzipped, and in headless Chromium on localhost the time to first paint,
// to a usable form and to hydration. Usage: node checkout-budget.mjs BASE_URL [RUNS]
import { chromium } from 'playwright-core';
import { gzipSync } from 'node:zlib';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const runs = Number(process.argv[3] ?? 7);
const executablePath = process.env.DUCATPAY_CHROMIUM ?? '/usr/bin/chromium';

async function checkoutLink() {
  // The demo merchant makes a fresh invoice per visit; its <noscript> link is the checkout URL.
  const html = await (await fetch(`${base}/demo/shop`)).text();
  const m = html.match(/href="([^"]*\/v1\/checkout\.html[^"]*)"/);
  if (!m) throw new Error('no checkout link on /demo/shop');
  return m[1].replaceAll('&amp;', '&');
}

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
async function bytes(url, headers = {}) {
  const res = await fetch(url, { headers });
  const buf = Buffer.from(await res.arrayBuffer());
  return { raw: buf.length, gz: gz(buf), wire: Number(res.headers.get('content-length') ?? buf.length), buf };
}

const link = await checkoutLink();
const html = await bytes(link);
const page = html.buf.toString();
const css = (page.match(/<style>([\s\S]*?)<\/style>/) ?? ['', ''])[1];
const js = await bytes(`${base}/checkout-pkg/checkout-page.js`);
const wasm = await bytes(`${base}/checkout-pkg/checkout-page_bg.wasm`);
const jsWire = await bytes(`${base}/checkout-pkg/checkout-page.js`, { 'accept-encoding': 'gzip' });
const wasmWire = await bytes(`${base}/checkout-pkg/checkout-page_bg.wasm`, { 'accept-encoding': 'gzip' });

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const samples = [];
for (let i = 0; i < runs; i++) {
  const ctx = await browser.newContext(); // a cold cache every run
  const p = await ctx.newPage();
  await p.addInitScript(() => {
    // The moment the form exists in the DOM and the moment the island says it is hydrated.
    const mark = () => {
      if (!window.__formAt && document.getElementById('dp-number')) window.__formAt = performance.now();
      if (!window.__hydratedAt && document.querySelector('.dp-island[data-ready="true"]'))
        window.__hydratedAt = performance.now();
    };
    new MutationObserver(mark).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await p.goto(await checkoutLink());
  await p.waitForSelector('.dp-island[data-ready="true"]', { timeout: 20000 });
  samples.push(
    await p.evaluate(() => {
      const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        fcp: paint['first-contentful-paint'],
        fp: paint['first-paint'],
        form: window.__formAt,
        dcl: nav.domContentLoadedEventEnd,
        hydrated: window.__hydratedAt,
      };
    }),
  );
  await ctx.close();
}
await browser.close();

const median = (k) => {
  const v = samples.map((s) => s[k]).filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const noJs = html.gz;
const whole = html.gz + js.gz + wasm.gz;
console.log(`| what | raw | gzip |
|---|---:|---:|
| HTML (with inlined CSS, ${kb(Buffer.byteLength(css))} of it) | ${kb(html.raw)} | ${kb(html.gz)} |
| checkout-page.js (wasm-bindgen glue + islands loader) | ${kb(js.raw)} | ${kb(js.gz)} |
| checkout-page_bg.wasm | ${kb(wasm.raw)} | ${kb(wasm.gz)} |
| **to pay without JavaScript** (HTML + CSS) | ${kb(html.raw)} | **${kb(noJs)}** (budget 30 KB) |
| **whole page, hydrated** | ${kb(html.raw + js.raw + wasm.raw)} | **${kb(whole)}** (budget 150 KB) |

Served precompressed: JS ${kb(jsWire.wire)}, WASM ${kb(wasmWire.wire)} on the wire (Content-Length with Accept-Encoding: gzip).

Headless Chromium on localhost, cold cache, median of ${runs} runs:

| milestone | ms |
|---|---:|
| first paint | ${median('fp').toFixed(0)} |
| first contentful paint (the form is in the first HTML, styled inline) | ${median('fcp').toFixed(0)} |
| form in the DOM | ${median('form').toFixed(0)} |
| DOMContentLoaded | ${median('dcl').toFixed(0)} |
| hydrated (island interactive) | ${median('hydrated').toFixed(0)} |`);
if (noJs > 30 * 1024 || whole > 150 * 1024) {
  console.error(`over budget: no-JS ${kb(noJs)} (≤ 30 KB), whole ${kb(whole)} (≤ 150 KB)`);
  process.exit(1);
}
