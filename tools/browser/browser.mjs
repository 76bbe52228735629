// Chromium (Debian's /usr/bin/chromium, or CHROMIUM) through playwright-core, with the flags
// this machine's closed network needs; axe-core's check; screenshots.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const root = resolve(import.meta.dirname, "../..");
// Screenshots go to docs/web/ when APPTRUST_UPDATE_SCREENSHOTS=1 (for docs/web.md), else to
// target/browser/ so that a test run leaves the tree as it was.
export const SHOTS = process.env.APPTRUST_UPDATE_SCREENSHOTS === "1"
  ? join(root, "docs/web")
  : join(root, "target/browser");
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/// A new browser context: a person with their own cookies. `bypassCSP` lets axe's script in;
/// the pages themselves run none.
export async function person(browser) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1100, height: 900 } });
  return context.newPage();
}

/// A person whose browser enforces the pages' Content Security Policy as it is (no axe).
export async function strictPerson(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  return context.newPage();
}

/// axe-core on the page as it is: no violation above minor (so moderate ones such as heading
/// order and landmarks count too).
export async function assertAccessible(page, name) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  const bad = result.violations.filter((v) => v.impact !== "minor");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility violations on ${name}`,
  );
}

/// A full-page screenshot, named for docs/web.md.
export async function shoot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/// Signs `page` in with an API token through the sign-in page.
export async function signIn(page, url, token, next = "/") {
  await page.goto(`${url}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}
