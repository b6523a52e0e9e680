// Drives Debian's chromium through playwright-core against an xroam
// server's HTML5 client: waits for the first window, clicks into it, types
// a line, and saves a screenshot of the window's canvas.
//
// usage: node drive.js URL TEXT OUT.png
// Prints one JSON line: {"x":..,"y":..,"width":..,"height":..} of the
// window canvas in page coordinates, and where it clicked.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

async function main() {
  const [url, text, out] = process.argv.slice(2);
  if (!url || !out) {
    console.error('usage: node drive.js URL TEXT OUT.png');
    process.exit(2);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xroam-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => { if (process.env.XROAM_HTML5_DEBUG) console.error('console:', m.text()); });
    await page.goto(url, { waitUntil: 'load', timeout: 60000 });
    const canvas = page.locator('div.window canvas').first();
    await canvas.waitFor({ state: 'visible', timeout: 60000 });
    // Let the first paint arrive.
    await page.waitForTimeout(2000);
    const box = await canvas.boundingBox();
    const cx = Math.round(box.x + box.width / 2), cy = Math.round(box.y + box.height / 2);
    await page.mouse.click(cx, cy);
    await page.waitForTimeout(500);
    if (text) {
      await page.keyboard.type(text, { delay: 30 });
      await page.keyboard.press('Enter');
    }
    // The typed line's echo must be painted before the screenshot.
    await page.waitForTimeout(3000);
    await canvas.screenshot({ path: out });
    console.log(JSON.stringify({ x: box.x, y: box.y, width: box.width, height: box.height, clickX: cx - box.x, clickY: cy - box.y }));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
