// Each role's main flow through the pages, end to end in Chromium against `apptrust serve
// --demo` on SQLite; every page visited is checked with axe-core and photographed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { startDemo } from "./server.mjs";
import { assertAccessible, launch, person, shoot, signIn, strictPerson } from "./browser.mjs";

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

describe("the pages under their own Content Security Policy, on a phone", () => {
  test("the stylesheet applies and nothing is blocked", async () => {
    const page = await strictPerson(browser);
    const blocked = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    for (const path of ["/", "/apps/com.acme.issue-insights", "/check", "/sign-in"]) {
      await page.goto(server.url + path);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, "rgb(244, 245, 247)", `the stylesheet applies on ${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${path} fits a phone's width (overflow ${overflow}px)`);
      if (path === "/") await shoot(page, "directory-phone");
    }
    assert.deepEqual(blocked, []);
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
    const notes = page.locator("ol.source li.hit .note");
    assert.ok((await notes.count()) >= 1, "findings are shown under their lines");
    assert.match(await notes.first().innerText(), /line \d+/);
    assert.ok((await page.locator("ol.source li.hit").count()) >= 1, "the lines are marked");
    await assert.doesNotReject(page.getByRole("heading", { name: "Egress inventory" }).waitFor());
    await assertAccessible(page, "the checker's result");
    await shoot(page, "check");

    await page.getByLabel("manifest.yml").fill(example("eligible"));
    await page.getByRole("button", { name: "Check" }).click();
    await assert.doesNotReject(page.getByText("Eligible for Runs on Atlassian").waitFor());

    // Uploaded as well as pasted: the chosen file wins over the text.
    await page.getByLabel("or choose the file").setInputFiles(join(root, "examples/blocked/manifest.yml"));
    await page.getByRole("button", { name: "Check" }).click();
    await assert.doesNotReject(page.getByText("Blocked: Forge would refuse to deploy it").waitFor());
    assert.equal(await page.getByLabel("manifest.yml").inputValue(), example("blocked"), "the file is shown for editing");
  });

  test("compares two manifests as apptrust diff does", async () => {
    const page = await person(browser);
    await page.goto(server.url + "/check/diff");
    await page.getByLabel("Deployed now (old)").fill(example("eligible"));
    await page.getByLabel("or the new manifest's file").setInputFiles(join(root, "examples/not-eligible/manifest.yml"));
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

describe("a partner and staff", () => {
  test("the partner submits an app and answers a clarification; staff triage, pass checks and approve", async () => {
    const partner = await person(browser);
    await signIn(partner, server.url, server.tokens.partner, "/partner");
    await partner.waitForURL(/\/partner$/);
    await assertAccessible(partner, "the partner's apps");
    await shoot(partner, "partner");
    await partner.getByRole("link", { name: "Issue Insights" }).click();
    await assert.doesNotReject(partner.getByRole("heading", { name: "Environments and versions" }).waitFor());
    await assertAccessible(partner, "an app's page");
    await shoot(partner, "partner-app");
    await partner.locator("a[href*='/environments/production/versions/']").first().click();
    await assert.doesNotReject(partner.getByRole("heading", { name: "The manifest, annotated" }).waitFor());
    assert.ok((await partner.locator("ol.source li").count()) > 5, "the manifest is shown");
    await assertAccessible(partner, "a version's evaluation");
    await shoot(partner, "partner-version");
    await partner.goto(server.url + "/partner");
    await partner.getByLabel("App key").fill("com.acme.browser-flow");
    await partner.getByLabel("Name").fill("Browser Flow");
    await partner.getByRole("button", { name: "Register the app" }).click();
    await partner.waitForURL(/\/partner\/apps\/com\.acme\.browser-flow/);
    await partner.getByRole("button", { name: "Submit" }).click();
    await assert.doesNotReject(partner.getByText("Submitted: staff will triage it.").waitFor());
    const submission = partner.url().replace(/\?.*$/, "");

    const staff = await person(browser);
    await signIn(staff, server.url, server.tokens.staff, "/staff");
    await staff.waitForURL(/\/staff$/);
    await assertAccessible(staff, "the service desk");
    await shoot(staff, "staff");
    await staff.getByRole("link", { name: /com\.acme\.browser-flow/ }).first().click();
    await staff.getByRole("button", { name: "Triage" }).click();
    await staff.getByLabel("The question").fill("Which address receives your security alerts?");
    await staff.getByRole("button", { name: "Ask the partner" }).click();
    await assert.doesNotReject(staff.getByText("Which address receives your security alerts?").first().waitFor());

    await partner.goto(submission);
    await assert.doesNotReject(partner.getByText("Which address receives your security alerts?").first().waitFor());
    await partner.getByLabel("Your answer").fill("security@acme.example");
    await partner.getByRole("button", { name: "Answer" }).click();
    await assert.doesNotReject(partner.getByText("security@acme.example").first().waitFor());

    await staff.goto(submission);
    await staff.getByRole("button", { name: "Start the review" }).click();
    await staff.waitForURL(/done=moved/);
    await assertAccessible(staff, "a submission under review");
    await shoot(staff, "submission");
    // Every check: passed where it can be now, else waived until a day far off.
    for (let guard = 0; guard < 50; guard++) {
      const pass = staff.getByRole("button", { name: /^pass / });
      const waive = staff.getByRole("button", { name: /^waive / });
      if ((await pass.count()) > 0) {
        await pass.first().click();
      } else if ((await waive.count()) > 0) {
        const form = staff.locator("form").filter({ has: staff.getByRole("button", { name: /^waive / }) }).first();
        await form.getByLabel("Why").fill("Covered by last year's audit");
        await form.getByLabel("until").fill("2099-01-01");
        await form.getByRole("button").click();
      } else {
        break;
      }
      await staff.waitForLoadState();
    }
    await staff.getByRole("button", { name: "Approve" }).click();
    await staff.waitForURL(/done=moved/);
    assert.match(await staff.locator("dl.facts").first().innerText(), /approved/);

    await partner.goto(server.url + "/apps/com.acme.browser-flow");
    assert.match(await partner.locator("section", { hasText: "Cloud Fortified" }).first().innerText(), /Approved/);
  });
});

describe("the rest of each role's pages", () => {
  test("staff publish the go-to-market list and open an escalation and a review", async () => {
    const staff = await person(browser);
    await signIn(staff, server.url, server.tokens.staff, "/staff");
    await staff.waitForURL(/\/staff$/);
    await staff.getByRole("link", { name: /go-to-market list/ }).click();
    await assert.doesNotReject(staff.getByRole("heading", { name: /edition/ }).first().waitFor());
    const month = await staff.getByLabel("Month").inputValue();
    await assertAccessible(staff, "the go-to-market list");
    await staff.getByRole("button", { name: `Publish the ${month} edition` }).click();
    await assert.doesNotReject(staff.getByText("The edition is published.").waitFor());
    await shoot(staff, "editions");
    const csv = await staff.request.get(server.url + (await staff.getByRole("link", { name: "CSV" }).first().getAttribute("href")));
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /^app,name,partner,since,requirementSet,new\r\n/);

    await staff.goto(server.url + "/staff");
    await staff.locator("a[href^='/escalations/']").first().click();
    await assert.doesNotReject(staff.getByRole("heading", { name: "History" }).waitFor());
    await assertAccessible(staff, "an escalation");
    await shoot(staff, "escalation");
    await staff.goto(server.url + "/staff");
    await staff.locator("a[href^='/reviews/']").first().click();
    await assert.doesNotReject(staff.getByRole("heading", { name: "Since the approval" }).waitFor());
    await assertAccessible(staff, "a review");
    await shoot(staff, "review");
    await staff.goto(server.url + "/staff/audit");
    assert.ok((await staff.locator("tbody tr").count()) > 10, "the audit log lists the demo's changes");
    await assertAccessible(staff, "the audit log");
    await shoot(staff, "audit");
  });

  test("anyone reads the programs' change notices; a partner dry-runs and sets up a webhook", async () => {
    const visitor = await person(browser);
    await visitor.goto(server.url + "/programs");
    await assertAccessible(visitor, "the programs");
    await shoot(visitor, "programs");
    await visitor.getByRole("link", { name: "Cloud Fortified" }).click();
    await assert.doesNotReject(visitor.getByRole("heading", { name: "Requirement sets and change notices" }).waitFor());
    await assertAccessible(visitor, "a program's change notices");
    await shoot(visitor, "program");

    const partner = await person(browser);
    await signIn(partner, server.url, server.tokens.partner, "/partner/apps/com.acme.issue-insights/dry-run");
    await assert.doesNotReject(partner.getByRole("heading", { name: /Dry run/ }).waitFor());
    assert.ok((await partner.locator("tbody tr").count()) >= 5, "every requirement is listed");
    await assertAccessible(partner, "a dry run");
    await shoot(partner, "dry-run");

    await partner.goto(server.url + "/webhooks");
    await partner.getByLabel("Address (https)").fill("https://hooks.acme.example/apptrust");
    await partner.locator("form[action='/webhooks'] input[value='badge.lost']").check();
    await partner.getByRole("button", { name: "Add the webhook" }).click();
    await assert.doesNotReject(partner.getByText("it is shown this once").waitFor());
    assert.match(await partner.locator("pre").innerText(), /^whsec_/);
    await assertAccessible(partner, "a new webhook's secret");
    await shoot(partner, "webhook-added");
    await partner.getByRole("link", { name: "Back to the webhooks" }).click();
    await assert.doesNotReject(partner.getByRole("link", { name: "https://hooks.acme.example/apptrust" }).waitFor());
    await partner.locator("form[action='/webhooks/settings'] input[value='badge.lost']").uncheck();
    await partner.getByRole("button", { name: "Save" }).click();
    await assert.doesNotReject(partner.getByText("Your notification settings were saved.").waitFor());
    assert.equal(await partner.locator("form[action='/webhooks/settings'] input[value='badge.lost']").isChecked(), false);
    await assertAccessible(partner, "webhooks and notifications");
    await shoot(partner, "webhooks");
    await partner.getByRole("link", { name: "https://hooks.acme.example/apptrust" }).click();
    await assert.doesNotReject(partner.getByRole("heading", { name: /Deliveries to/ }).waitFor());
    await assertAccessible(partner, "a webhook's deliveries");
    await shoot(partner, "webhook-deliveries");
  });
});
