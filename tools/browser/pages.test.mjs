// Each role's main flow through the pages, end to end in Chromium against `apptrust serve
// --demo` on SQLite; every page visited is checked with axe-core and photographed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { startDemo } from "./server.mjs";
import { assertAccessible, launch, person, shoot, signIn } from "./browser.mjs";

const root = resolve(import.meta.dirname, "../..");
const example = (name) => readFileSync(join(root, "examples", name, "manifest.yml"), "utf8");

let server;
let browser;

before(async () => {
  server = await startDemo();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/// The API's view of an installation, read with the site admin's token.
async function installationsByApp() {
  const response = await fetch(`${server.url}/api/v1/sites/globex.atlassian.net/installations`, {
    headers: { authorization: `Bearer ${server.tokens.siteAdmin}` },
  });
  const body = await response.json();
  return Object.fromEntries(body.installations.map((i) => [i.app, i]));
}

describe("a visitor", () => {
  test("filters the directory by badge and text, and opens a trust page", async () => {
    const page = await person(browser);
    await page.goto(server.url + "/");
    await assertAccessible(page, "the directory");
    await shoot(page, "directory");
    const all = await page.locator("tbody tr").count();
    assert.ok(all >= 3, `the demo lists apps (${all})`);

    await page.getByLabel("Runs on Atlassian").check();
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/badge=runsOnAtlassian/);
    const filtered = await page.locator("tbody tr").count();
    assert.ok(filtered >= 1 && filtered < all, `the badge filter narrows (${filtered} of ${all})`);
    for (const row of await page.locator("tbody tr").all()) {
      assert.match(await row.innerText(), /Runs on Atlassian/);
    }

    await page.getByRole("searchbox", { name: "Search" }).fill("insights");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: "Issue Insights" }).click();
    await page.waitForURL(/\/apps\/com\.acme\.issue-insights$/);
    await assert.doesNotReject(page.getByRole("heading", { name: "Badge history" }).waitFor());
    assert.match(await page.locator("section", { hasText: "Runs on Atlassian" }).first().innerText(), /Approved/);
    assert.equal(await page.locator("svg[role=img]").count(), 1, "the badge timeline is drawn");
    await assertAccessible(page, "a trust page");
    await shoot(page, "trust-page");

    const missing = await page.goto(server.url + "/apps/com.nobody.nothing");
    assert.equal(missing.status(), 404);
    await assertAccessible(page, "the not-found page");
  });
});

describe("someone checking a manifest", () => {
  test("pastes one and sees the verdict with findings at their lines", async () => {
    const page = await person(browser);
    await page.goto(server.url + "/check");
    await assertAccessible(page, "the empty checker");
    await page.getByLabel("manifest.yml").fill(example("not-eligible"));
    await page.getByRole("button", { name: "Check" }).click();
    await assert.doesNotReject(page.getByText("Not eligible for Runs on Atlassian").waitFor());
    const notes = page.locator("ol.source li.note");
    assert.ok((await notes.count()) >= 1, "findings are shown under their lines");
    assert.match(await notes.first().innerText(), /line \d+/);
    assert.ok((await page.locator("ol.source li.hit").count()) >= 1, "the lines are marked");
    await assert.doesNotReject(page.getByRole("heading", { name: "Egress inventory" }).waitFor());
    await assertAccessible(page, "the checker's result");
    await shoot(page, "check");

    await page.getByLabel("manifest.yml").fill(example("eligible"));
    await page.getByRole("button", { name: "Check" }).click();
    await assert.doesNotReject(page.getByText("Eligible for Runs on Atlassian").waitFor());
  });

  test("compares two manifests as apptrust diff does", async () => {
    const page = await person(browser);
    await page.goto(server.url + "/check/diff");
    await page.getByLabel("Deployed now (old)").fill(example("eligible"));
    await page.getByLabel("About to deploy (new)").fill(example("not-eligible"));
    await page.getByRole("button", { name: "Compare" }).click();
    await assert.doesNotReject(page.getByRole("heading", { name: "Classification" }).waitFor());
    assert.ok((await page.locator("tbody tr").count()) >= 1, "the changes are listed");
    await assertAccessible(page, "the comparison");
    await shoot(page, "check-diff");
  });
});

describe("a site admin", () => {
  test("switches analytics egress off and consents to a major", async () => {
    const page = await person(browser);
    await page.goto(server.url + "/admin");
    await page.waitForURL(/\/sign-in\?next=%2Fadmin/);
    await assertAccessible(page, "the sign-in page");
    await shoot(page, "sign-in");
    await signIn(page, server.url, server.tokens.siteAdmin, "/admin");
    await page.waitForURL(/\/admin$/);
    await assert.doesNotReject(page.getByText("wait for your consent").waitFor());
    await assertAccessible(page, "site administration");
    await shoot(page, "admin");

    const before = await installationsByApp();
    assert.equal(before["com.acme.board-sync"].allowAnalyticsEgress, true);
    await page.getByRole("link", { name: "com.acme.board-sync" }).click();
    await page.getByLabel("Allow analytics egress").uncheck();
    await page.getByRole("button", { name: "Save switches" }).click();
    await assert.doesNotReject(page.getByText("The switches were saved.").waitFor());
    assert.equal(await page.getByLabel("Allow analytics egress").isChecked(), false);
    assert.equal((await installationsByApp())["com.acme.board-sync"].allowAnalyticsEgress, false);

    await page.goto(server.url + "/admin");
    await page.getByRole("link", { name: "com.acme.vendor-reports" }).first().click();
    await assert.doesNotReject(page.getByRole("button", { name: /Consent to major 2/ }).waitFor());
    assert.ok((await page.locator("#consent ~ ul li, section:has(#consent) ul li").count()) >= 1,
      "the admin sees what the major adds");
    await assertAccessible(page, "an installation with a pending consent");
    await shoot(page, "admin-installation");
    await page.getByRole("button", { name: /Consent to major 2/ }).click();
    await assert.doesNotReject(page.getByText("Consent recorded").waitFor());
    const consented = (await installationsByApp())["com.acme.vendor-reports"];
    assert.equal(consented.major, 2);
    assert.equal(consented.consent.state, "none");
  });

  test("a form without its CSRF token, and a cross-site post, change nothing", async () => {
    const page = await person(browser);
    await signIn(page, server.url, server.tokens.siteAdmin, "/admin");
    await page.waitForURL(/\/admin$/);
    const id = (await installationsByApp())["com.acme.issue-insights"].id;
    const analytics = () => installationsByApp().then((all) => all["com.acme.issue-insights"].allowAnalyticsEgress);
    const start = await analytics();

    // Without the token: the form's hidden field removed.
    await page.goto(`${server.url}/admin/installations/${id}`);
    await page.locator("form[action$='/switches'] input[name=csrf]").evaluate((input) => input.remove());
    await page.getByLabel("Allow analytics egress").setChecked(!start);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/switches")),
      page.getByRole("button", { name: "Save switches" }).click(),
    ]);
    assert.equal(refused.status(), 403);
    assert.equal(await analytics(), start, "nothing changed without the CSRF token");

    // From another site (localhost is another site than 127.0.0.1), in the signed-in browser.
    const evil = createServer((_, response) => {
      response.setHeader("content-type", "text/html");
      response.end(`<!doctype html><html lang="en"><title>evil</title><body>
        <form method="post" action="${server.url}/admin/installations/${id}/switches">
          <input type="hidden" name="csrf" value="guessed">
          ${start ? "" : '<input type="hidden" name="analytics" value="on">'}
          <button type="submit">Win a prize</button>
        </form></body></html>`);
    });
    await new Promise((ready) => evil.listen(0, "127.0.0.1", ready));
    try {
      await page.goto(`http://localhost:${evil.address().port}/`);
      const [crossSite] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/switches")),
        page.getByRole("button", { name: "Win a prize" }).click(),
      ]);
      assert.equal(crossSite.status(), 403);
      assert.equal(await analytics(), start, "nothing changed from another site");
    } finally {
      evil.close();
    }
  });
});
