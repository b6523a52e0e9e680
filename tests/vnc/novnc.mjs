// Drives noVNC in Debian's headless Chromium for cmd/xroam's
// TestRFBNoVNC: opens URL, waits for the connection, types TEXT (when
// given) into the canvas, then keeps writing the canvas to OUT.png until
// the file OUT.stop appears (the Go test compares the pictures).
//
// usage: node novnc.mjs URL OUT [TEXT]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, out, text] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "xr-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"],
});
try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on("console", (m) => console.log("console:", m.text()));
    await page.goto(url);
    await page.waitForFunction(() => window.state && (window.state.connected || window.state.disconnected), null, { timeout: 30000 });
    const st = await page.evaluate(() => window.state);
    if (!st.connected) {
        console.log("NOT CONNECTED", st.error);
        process.exitCode = 3;
    } else {
        console.log("CONNECTED");
        const canvas = page.locator("canvas");
        await canvas.waitFor();
        if (text) {
            // A click over the xterm gives it the keyboard (focus follows
            // the pointer on a display without a window manager).
            await canvas.click({ position: { x: 40, y: 40 } });
            await page.waitForTimeout(300);
            await page.keyboard.type(text, { delay: 30 });
            await page.keyboard.press("Enter");
        }
        for (let i = 0; i < 600 && !existsSync(out + ".stop"); i++) {
            const data = await page.evaluate(() => document.querySelector("canvas").toDataURL("image/png"));
            writeFileSync(out + ".tmp", Buffer.from(data.split(",")[1], "base64"));
            renameSync(out + ".tmp", out);
            await page.waitForTimeout(200);
        }
    }
} finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
}
