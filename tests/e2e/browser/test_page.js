#!/usr/bin/env node
// Headless-browser test of searchd's page: Debian's Chromium driven by
// playwright-core types a query (suggestions appear), submits it, checks the
// results, goes to the next page, refines by author, year and sort order,
// follows the copies and related links, and saves screenshots.
//
// Usage: node test_page.js --bin-dir DIR [--fixtures DIR] [--out DIR]
// Exit status: 0 passed, 1 failed, 77 skipped (no chromium, no node_modules
// — run `npm ci` here —, or programs not built).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function skip(reason) {
  console.error(`SKIP: ${reason}`);
  process.exit(77);
}

const binDir = arg('--bin-dir');
const fixtures = arg('--fixtures', path.join(__dirname, '..', '..', 'fixtures', 'searchd'));
const outDir = arg('--out', binDir || os.tmpdir());
if (!binDir) {
  console.error('usage: node test_page.js --bin-dir DIR [--fixtures DIR] [--out DIR]');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} is missing (apt-get install chromium)`);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  skip(`playwright-core is not installed: run "npm ci" in ${__dirname}`);
}
for (const prog of ['searchd', 'indexer']) {
  if (!fs.existsSync(path.join(binDir, prog))) skip(`${prog} is not built in ${binDir}`);
}

let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL: ${what}`);
  }
}

// Starts searchd on a free port; resolves with {proc, base} once it listens.
function startSearchd(db) {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(binDir, 'searchd'), ['--db', db, '--listen', '127.0.0.1:0', '--threads', '2', '--quiet'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`searchd did not start:\n${err}`)), 10000);
    proc.stderr.on('data', (chunk) => {
      err += chunk;
      const m = /listening on (http:\/\/[^ ]*:\d+)\//.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, base: m[1] });
      }
    });
    proc.on('exit', (code) => reject(new Error(`searchd exited (${code}):\n${err}`)));
  });
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-browser-'));
  const db = path.join(tmp, 'db');
  const idx = spawnSync(path.join(binDir, 'indexer'), ['--db', db, '--quiet', 'add', path.join(fixtures, 'articles.jsonl')],
    { encoding: 'utf8' });
  if (idx.status !== 0) throw new Error(`indexer failed: ${idx.stderr}`);
  const { proc, base } = await startSearchd(db);
  // chromium.launch gives every run a fresh temporary user-data-dir of its own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 412, height: 915 }, locale: 'fr-FR' });
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    await page.goto(`${base}/`);
    check(await page.getAttribute('html', 'lang') === 'fr', 'the page is in French (lang="fr")');
    check(await page.locator('label[for="q"]').count() === 1, 'the search box has a label');

    // The keyboard reaches the skip link first, then the search box.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.className) === 'skip', 'Tab focuses the skip link first');

    // Type as a reader does: the script offers suggestions.
    await page.locator('#q').click();
    await page.keyboard.type('vél', { delay: 40 });
    await page.waitForFunction(() => document.querySelectorAll('#kq-suggestions option').length > 0, null,
      { timeout: 5000 }).catch(() => {});
    const suggestions = await page.$$eval('#kq-suggestions option', (os) => os.map((o) => o.value));
    check(suggestions.some((s) => s.toLowerCase().startsWith('vél')), `suggestions for "vél" (got ${JSON.stringify(suggestions)})`);
    await page.keyboard.type('o', { delay: 40 });

    await Promise.all([page.waitForURL(/\?q=/), page.keyboard.press('Enter')]);
    check(/[?&]q=v%C3%A9lo(&|$)/.test(page.url()), `submitted the query (url ${page.url()})`);
    const summary = await page.textContent('#results-title');
    check(/\d+ résultats pour « vélo »/.test(summary), `results summary (got "${summary}")`);
    const hits1 = await page.$$eval('.hit-title', (hs) => hs.map((h) => h.textContent));
    check(hits1.length === 10, `ten results on page 1 (got ${hits1.length})`);
    check(await page.locator('.hit-snippet mark').count() > 0, 'matches are highlighted');
    check(await page.locator('.hit-title a[href^="https://kiosque.example/"]').count() === hits1.length,
      'headlines link to their articles');
    check(await page.inputValue('#q') === 'vélo', 'the query stays in the box');

    await Promise.all([page.waitForURL(/page=2/), page.click('a[rel="next"]')]);
    const hits2 = await page.$$eval('.hit-title', (hs) => hs.map((h) => h.textContent));
    check(hits2.length > 0, 'page 2 has results');
    check(!hits2.some((t) => hits1.includes(t)), 'page 2 shows other articles');
    check(/Page 2 sur \d+/.test(await page.textContent('.pager-pos')), 'pager says page 2');
    const shot = path.join(outDir, 'searchd-page2.png');
    await page.screenshot({ path: shot, fullPage: true });
    check(fs.statSync(shot).size > 1000, `screenshot saved to ${shot}`);
    console.log(`screenshot: ${shot}`);

    // Suggestions list word completions, then headlines marked as such.
    await page.goto(`${base}/`);
    await page.locator('#q').click();
    await page.keyboard.type('quenou', { delay: 40 });
    await page.waitForFunction(() => document.querySelectorAll('#kq-suggestions option[data-kind="headline"]').length > 0,
      null, { timeout: 5000 }).catch(() => {});
    const kinds = await page.$$eval('#kq-suggestions option', (os) => os.map((o) => [o.value, o.dataset.kind]));
    check(kinds.some(([v, k]) => k === 'completion' && v.startsWith('quenouille')), `a completion for "quenou" (got ${JSON.stringify(kinds)})`);
    check(kinds.some(([v, k]) => k === 'headline' && /quenouille/i.test(v) && v.includes(' ')),
      `a headline for "quenou" (got ${JSON.stringify(kinds)})`);

    // Refinements: a facet link filters the results, the filter can be removed.
    await page.goto(`${base}/?q=${encodeURIComponent('musée')}`);
    const titles = () => page.$$eval('.hit-title', (hs) => hs.map((h) => h.textContent));
    const all = await titles();
    check(all.length === 5, `five museum articles (got ${all.length})`);
    await Promise.all([page.waitForURL(/author=Marc/), page.click('#facet-author a:text("Marc Petit")')]);
    const byAuthor = await titles();
    check(byAuthor.length === 2 && byAuthor.every((t) => all.includes(t)), `the author facet keeps two (got ${JSON.stringify(byAuthor)})`);
    const authors = await page.$$eval('.hit-author', (as) => as.map((a) => a.textContent));
    check(authors.every((a) => a === 'Marc Petit'), `only that author's articles (got ${JSON.stringify(authors)})`);
    check(await page.locator('.active-filter').count() === 1, 'the author filter is shown as applied');
    await Promise.all([page.waitForURL((u) => !/author=/.test(u.search)), page.click('.remove-filter')]);
    check((await titles()).length === 5, 'removing the filter brings every result back');
    await Promise.all([page.waitForURL(/since=2023-01-01/), page.click('#facet-year a:text("2023")')]);
    check((await titles()).length === 2, 'the year facet keeps 2023');
    check(await page.locator('#facet-month a').count() === 2, 'the months of 2023 are offered');
    await Promise.all([page.waitForURL(/sort=date_asc/), page.click('.sort a[data-sort="date_asc"]')]);
    const dates = await page.$$eval('.hit time', (ts) => ts.map((t) => t.getAttribute('datetime')));
    check(dates.length === 2 && dates[0] < dates[1], `oldest first (got ${JSON.stringify(dates)})`);
    await page.click('.help summary');
    check(await page.locator('.help table').isVisible(), 'the query language help opens');
    const shotFacets = path.join(outDir, 'searchd-facets.png');
    await page.screenshot({ path: shotFacets, fullPage: true });
    check(fs.statSync(shotFacets).size > 1000, `screenshot saved to ${shotFacets}`);
    console.log(`screenshot: ${shotFacets}`);

    // A hit standing for republished copies links to them; every hit to its related articles.
    await page.goto(`${base}/?q=TER`);
    await Promise.all([page.waitForURL(/duplicates_of=train-1/), page.click('a.hit-dups')]);
    check((await titles()).length === 2, 'the copies of the wire story are listed');
    await page.goBack();
    await Promise.all([page.waitForURL(/related=/), page.click('a.hit-related >> nth=0')]);
    check(/Articles liés à/.test(await page.textContent('#results-title')), 'related articles are listed');
    check((await titles()).length > 0, 'related articles are found');
    check(consoleErrors.length === 0, `no console errors or CSP violations (got ${JSON.stringify(consoleErrors)})`);
  } finally {
    await browser.close();
    proc.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}).catch((e) => {
  console.error(e);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
