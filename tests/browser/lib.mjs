// What every browser scenario shares: the environment tests/browser/run sets, the browser,
// numbered steps that print ok/not ok, checks, screenshots, signing in, posting a lead the way
// a lead source does, and the axe-core accessibility scan. A scenario calls `scenario(name,
// fn)`: the first failing step stops it with a screenshot of every open page, and the exit
// status says how it went.
import { chromium } from "playwright-core";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run tests/browser/run`);
  return v;
};
export const BASE = env("BASE_URL");
const PASSWORD = env("PASSWORD");
const ARTIFACTS = env("ARTIFACTS");
const CHROMIUM = env("CHROMIUM");

/// The viewports pages are checked at: a laptop and a phone (390×844, an iPhone 12 to 15).
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

let passed = 0;
let failed = 0;
let stepNow = "";
const pages = [];
const problems = [];
const violations = [];

/// Saves a screenshot of the page as it is, then has axe-core check it in that state: every
/// page a scenario shows is also scanned, and the scenario's last step fails on any violation.
export async function shot(page, name, { fullPage = true } = {}) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  console.log(`  screenshot ${path}`);
  const size = page.viewportSize();
  violations.push(...(await axeScan(page, `${name} (${new URL(page.url()).pathname}, ${size.width}×${size.height})`)));
}

export async function step(name, fn) {
  stepNow = name;
  const started = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok ${passed} - ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.error(`not ok - ${name}\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { counted: true });
  }
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/// A page in a new browser context (a person's own cookies), or in `context` when given.
/// Its script errors and console errors are collected and fail the scenario's last step.
export async function newPage(browser, who, viewport = DESKTOP, context) {
  const ctx = context ?? (await browser.newContext({ viewport }));
  const page = await ctx.newPage();
  page.on("pageerror", (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on("console", (m) => {
    // A page that answers an error status on purpose (an unknown lead, a page an agent may
    // not open) is what the step asked for; any other failed load is a problem.
    const asked = m.text().startsWith("Failed to load resource") && m.location().url === page.url();
    if (m.type() === "error" && !asked) problems.push(`${who}: console error on ${page.url()} during “${stepNow}”: ${m.text()}`);
  });
  pages.push([who, page]);
  return page;
}

/// Signs `user` in from the sign-in page a stranger is sent to; their password is PASSWORD
/// unless the user carries one.
export async function signIn(page, user) {
  await page.goto(`${BASE}/leads`);
  check(page.url().includes("/login"), `a stranger should be sent to sign in, got ${page.url()}`);
  await page.fill("#email", user.email);
  await page.fill("#password", user.password ?? PASSWORD);
  await Promise.all([page.waitForURL(/\/leads/), page.click("form[action='/login'] button[type=submit]")]);
  const header = await page.textContent("header.top");
  check(header.includes(user.name), `the header should name ${user.name}: ${header}`);
  // A marker that a full page load would wipe: proves the steps below swap fragments only.
  await page.evaluate(() => (window.__noReload = true));
}

export async function stillSamePage(page) {
  check(await page.evaluate(() => window.__noReload === true), "the page reloaded whole");
}

/// Waits until the page's flash box (the outcome of its last form) says `text`.
export async function flash(page, text) {
  await page.waitForFunction((t) => document.querySelector("#page-flash")?.textContent.includes(t), text, { timeout: 10_000 });
}

/// Posts a lead to the intake API with a source's key, as a website form or a portal does.
export async function postLead(key, lead) {
  const res = await fetch(`${BASE}/api/v1/intake`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-intake-key": key },
    body: JSON.stringify(lead),
  });
  const text = await res.text();
  check(res.status === 201, `intake of ${lead.name} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/// Runs axe-core's default rules (WCAG 2.0, 2.1 and 2.2 A and AA, and its best practices) on
/// the page as it is, with every <details> opened for the scan (and closed again after) so the
/// forms folded inside are checked too. Returns one entry per violation: the rule, its impact,
/// each element it found and the help page. The script goes in through the DevTools protocol,
/// not a <script> tag: the pages' Content-Security-Policy refuses inline scripts, as it should.
async function axeScan(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const closed = [...document.querySelectorAll("details:not([open])")];
    for (const d of closed) d.open = true;
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    for (const d of closed) d.open = false;
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    }));
  });
  return found.map(
    (v) =>
      `${where}: ${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes.map((n) => `    ${n.target}\n      ${(n.summary ?? "").split("\n").join("\n      ")}`).join("\n") +
      `\n    ${v.helpUrl}`,
  );
}

/// Runs a scenario: launches Chromium, runs `fn(browser)`, and on the first failure saves
/// a screenshot of every open page as `failure-{name}-{i}-{who}.png`. Exits with the result.
export async function scenario(name, fn) {
  try {
    await mkdir(ARTIFACTS, { recursive: true });
    const health = await fetch(`${BASE}/healthz`);
    check(health.ok, `/healthz answered ${health.status}`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      await fn(browser);
      await step("no page logged an error", async () => {
        check(problems.length === 0, problems.join("\n"));
      });
      await step("axe-core found no violation on any page shown", async () => {
        check(violations.length === 0, `${violations.length} violation(s):\n${violations.join("\n")}`);
      });
    } catch (e) {
      if (!e.counted) {
        failed++;
        console.error(`not ok - outside any step\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
      }
      for (const [i, [who, page]] of pages.entries()) {
        if (!page.isClosed()) {
          await page
            .screenshot({ path: join(ARTIFACTS, `failure-${name}-${i}-${who.replace(/\W+/g, "-")}.png`), fullPage: true })
            .catch(() => {});
        }
      }
      if (problems.length) console.error(problems.join("\n"));
    } finally {
      await browser.close();
    }
  } catch (e) {
    console.error(e);
    failed++;
  }
  console.log(`browser (${name}): ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
