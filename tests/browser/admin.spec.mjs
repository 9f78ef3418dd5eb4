// Setting an organization up from the browser alone, as issue 18 tells it: the operator has
// run only `leadpool org create`; its admin signs in and, without one API call, adds a team
// and two agents who can sign in, a calendar, a source (reading its intake key off the page),
// a group and a round-robin rule (tried in its own form before saving, then in the dry-run panel). A lead posted with
// that key is offered to the agent the dry run named, who signs in, sees the offer, accepts
// it and finds the lead among their own; with the rule turned off, the next lead waits in the
// assignment queue and the admin assigns it to the other agent. Then every page of the app is shown as the admin
// and as an agent, on a laptop (1280×900) and on a phone (390×844). Every screenshot, here
// and in pool.spec.mjs, is also scanned by axe-core (lib.mjs): any violation fails the run.
//
// tests/browser/run starts the server and sets the environment read below; lib.mjs holds the
// steps, checks and screenshots this shares with pool.spec.mjs.
import {
  BASE, DESKTOP, PHONE, check, env, flash, newPage, postLead, scenario, shot, signIn, step,
  stillSamePage,
} from "./lib.mjs";

const ADMIN = { email: env("ADMIN_EMAIL"), name: env("ADMIN_NAME") };
// The admin gives each agent a password of their own on "Add a user".
const AGENTS = [
  { email: "jo@brightside.test", name: "Jo Marsh", password: "jo-first-password" },
  { email: "kim@brightside.test", name: "Kim Ortega", password: "kim-first-password" },
];
const TEAM = "North office";
const CALENDAR = "Every day";
const SOURCE = "Open house form";
const GROUP = "Front desk";
const RULE = "Open house → front desk";
const LEAD = { name: "Rosa Lindqvist", email: "rosa.lindqvist@example.com", phone: "+15550190001" };
const QUEUED = { name: "Omar Haddad", email: "omar.haddad@example.com", tags: ["buyer"] };

let n = 0;
/// Screenshots of the walk are numbered in the order the pages were seen.
const snap = (page, name) => shot(page, `admin-${String(++n).padStart(2, "0")}-${name}`);

/// Opens a <details> by its summary (a folded form) if it is closed.
async function unfold(page, summary) {
  const details = page.locator("details", { has: page.locator(`summary:text-is("${summary}")`) }).first();
  if (!(await details.evaluate((d) => d.open))) await details.locator("summary").first().click();
}

/// Follows a link in Settings' list and checks the page's heading.
async function openSettings(page, title) {
  await page.goto(`${BASE}/settings`);
  await Promise.all([page.waitForURL(/\/settings\/.+/), page.click(`ul.sections a:text-is("${title}")`)]);
  check((await page.textContent("#settings h1")) === title, `Settings → ${title} should open its page`);
  await page.evaluate(() => (window.__noReload = true));
}

let leadId;
let chosen;

scenario("admin", async (browser) => {
  const admin = await newPage(browser, "admin");

  await step("the admin of a fresh organization signs in and finds Settings", async () => {
    await admin.goto(`${BASE}/login`);
    await snap(admin, "sign-in");
    await admin.fill("#email", ADMIN.email);
    await admin.fill("#password", "not-the-password");
    await admin.click("form[action='/login'] button[type=submit]");
    await admin.waitForSelector("text=That email and password do not match an active account.", { timeout: 10_000 });
    await snap(admin, "sign-in-refused");
    await signIn(admin, ADMIN);
    check((await admin.textContent("#results")).includes("No leads"), "a fresh organization has no leads");
    await snap(admin, "leads-empty");
    await admin.click("nav.crumbs a[href='/settings']");
    await admin.waitForURL(/\/settings$/);
    const sections = await admin.$$eval("ul.sections a", (as) => as.map((a) => a.textContent.trim()));
    for (const s of ["People", "Time", "Routing"]) check(sections.includes(s), `Settings should list ${s}: ${sections}`);
    await snap(admin, "settings");
  });

  await step("the admin adds a team, then two agents in it, each with a first password", async () => {
    await openSettings(admin, "People");
    await admin.fill("#team-new-name", TEAM);
    await admin.click("#add-team button[type=submit]");
    await flash(admin, `Team ${TEAM} added.`);
    for (const a of AGENTS) {
      await unfold(admin, "Add a user");
      await admin.fill("#user-0-email", a.email);
      await admin.fill("#user-0-name", a.name);
      await admin.selectOption("#user-0-role", "agent");
      await admin.check(`#add-user label:has-text("${TEAM}") input[name=team]`);
      await admin.fill("#user-0-password", a.password);
      await admin.click("#add-user button[type=submit]");
      await flash(admin, `${a.name} added as Agent.`);
    }
    const users = await admin.textContent("#settings table");
    for (const a of AGENTS) check(users.includes(a.name) && users.includes(a.email), `People should list ${a.name}`);
    check((await admin.textContent(`#settings tr:has-text("${AGENTS[0].name}")`)).includes(TEAM), `${AGENTS[0].name} is in ${TEAM}`);
    await stillSamePage(admin);
    await snap(admin, "settings-people");
  });

  await step("the admin adds a calendar open every day, all day", async () => {
    await openSettings(admin, "Time");
    await admin.fill("#calendar-0-name", CALENDAR);
    await admin.fill("#calendar-0-zone", "UTC");
    for (const day of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) {
      await admin.check(`#add-calendar input[name=${day}_open]`);
      await admin.fill(`#add-calendar input[name=${day}_from]`, "00:00");
      await admin.fill(`#add-calendar input[name=${day}_to]`, "24:00");
    }
    await admin.click("#add-calendar button[type=submit]");
    await flash(admin, CALENDAR);
    check((await admin.textContent("#settings table")).includes(CALENDAR), "the calendar is listed");
    await stillSamePage(admin);
    await snap(admin, "settings-time");
  });

  let intakeKey;
  await step("the admin adds a source and reads its intake key off the page", async () => {
    await openSettings(admin, "Routing");
    await unfold(admin, "Add a source");
    await admin.fill("#source-0-name", SOURCE);
    await admin.click("#add-source button[type=submit]");
    await admin.waitForSelector("#new-key-value", { timeout: 10_000 });
    intakeKey = await admin.inputValue("#new-key-value");
    check(intakeKey.length >= 16, `the page should show the new key: “${intakeKey}”`);
    check((await admin.textContent("#new-key")).includes(SOURCE), "the key is named after its source");
    check((await admin.textContent("#sources table")).includes(intakeKey.slice(-4)), "the list shows how the key ends");
    await stillSamePage(admin);
    await snap(admin, "settings-routing-source-key");
  });

  await step("the admin adds a group of the two agents and a round-robin rule for the source", async () => {
    await unfold(admin, "Add a group");
    await admin.fill("#group-0-name", GROUP);
    for (const a of AGENTS) await admin.fill(`#add-group input[aria-label="${a.name}: leads per round"]`, "1");
    await admin.click("#add-group button[type=submit]");
    await flash(admin, GROUP);
    const members = await admin.textContent(`#groups tr:has-text("${GROUP}") td[data-label=Members]`);
    for (const a of AGENTS) check(members.includes(a.name), `${GROUP} should hold ${a.name}: ${members}`);

    await unfold(admin, "Add a rule");
    const form = admin.locator("#add-rule");
    await form.locator("#rule-0-name").fill(RULE);
    await form.locator(`label:has-text("From ${SOURCE}") input`).check();
    await form.locator("#rule-0-strategy").selectOption("round_robin");
    await form.locator("#rule-0-group").selectOption({ label: GROUP });
    await form.locator("input[name=window_amount]").fill("15");
    await form.locator("select[name=window_unit]").selectOption("minutes");
    await form.locator("#rule-0-calendar").selectOption({ label: CALENDAR });
    await form.locator("#rule-0-fallback").selectOption("queue");

    // Tried before it is saved: the form comes back open, as typed, beside the decision.
    await form.locator("#rule-0-try-source").selectOption({ label: SOURCE });
    await form.locator("button:has-text('Try this rule')").click();
    await admin.waitForSelector("#rule-0-tried", { timeout: 10_000 });
    const draft = (await admin.textContent("#rule-0-tried")).replace(/\s+/g, " ");
    check(draft.includes(RULE) && AGENTS.some((a) => draft.includes(a.name)), `trying the unsaved rule should name it and an agent: ${draft}`);
    check((await admin.locator("#rules li").count()) === 0, "trying a rule saves nothing");
    check((await admin.inputValue("#rule-0-name")) === RULE, "the tried form keeps what was typed");
    await snap(admin, "settings-routing-rule-tried");

    await admin.locator("#add-rule button.primary").click();
    await flash(admin, RULE);
    const rule = (await admin.textContent(`#rules li:has-text("${RULE}")`)).replace(/\s+/g, " ");
    check(rule.includes(SOURCE) && rule.includes(GROUP), `the rule should say what it takes and does: ${rule}`);
    await stillSamePage(admin);
    await snap(admin, "settings-routing-rule");
  });

  await step("the dry-run panel says the rule would offer a lead from the source to one of the agents", async () => {
    await admin.selectOption("#try-source", { label: SOURCE });
    await admin.click("#try-rules button[type=submit]");
    await admin.waitForSelector("#try-result", { timeout: 10_000 });
    const summary = (await admin.textContent("#try-result .summary")).trim();
    chosen = AGENTS.find((a) => summary.includes(a.name));
    check(chosen, `the dry run should name an agent: ${summary}`);
    const facts = (await admin.textContent("#try-result .facts")).replace(/\s+/g, " ");
    check(facts.includes("round robin"), `the decision names its strategy: ${facts}`);
    for (const a of AGENTS) check(facts.includes(a.name), `the decision lists ${a.name} as eligible: ${facts}`);
    console.log(`  dry run: ${summary}`);
    await stillSamePage(admin);
    await snap(admin, "settings-routing-dry-run");
  });

  await step("a lead posted to the intake URL with the key is offered to the agent the dry run named", async () => {
    const { lead } = await postLead(intakeKey, LEAD);
    leadId = lead.id;
    check(lead.owner.kind === "offer", `the lead should be on offer: ${JSON.stringify(lead.owner)}`);
    await admin.goto(`${BASE}/leads/${leadId}/routing`);
    const why = (await admin.textContent("#routing")).replace(/\s+/g, " ");
    check(why.includes(RULE) && why.includes(chosen.name), `Why here? should name the rule and ${chosen.name}: ${why}`);
    await snap(admin, "lead-routing");
  });

  const agent = await newPage(browser, "agent");
  await step("the agent signs in with the password the admin gave, sees the offer and accepts it", async () => {
    await signIn(agent, chosen);
    await agent.click("nav.crumbs a[href='/offers']");
    await agent.waitForSelector("#offer-list", { timeout: 10_000 });
    const row = agent.locator(`#offer-list tr:has-text("${LEAD.name}")`);
    await row.waitFor({ timeout: 10_000 });
    const text = (await row.textContent()).replace(/\s+/g, " ");
    check(text.includes(RULE) && text.includes("You alone"), `the offer names its rule and is the agent's alone: ${text}`);
    await agent.waitForFunction(() => document.getElementById("offer-count")?.textContent === "1", null, { timeout: 10_000 });
    await snap(agent, "agent-offers");
    await agent.evaluate(() => (window.__noReload = true));
    await row.locator("button:has-text('Accept')").click();
    await agent.waitForFunction(
      (name) => [...document.querySelectorAll("#offer-list tr")].some((tr) => tr.textContent.includes(name) && tr.textContent.includes("Accepted")),
      LEAD.name,
      { timeout: 10_000 },
    );
    await agent.waitForFunction(() => document.getElementById("offer-count")?.hidden === true, null, { timeout: 10_000 });
    await stillSamePage(agent);
    await snap(agent, "agent-accepted");
  });

  await step("the lead is the agent's: in My leads and named as its owner on its page", async () => {
    await agent.goto(`${BASE}/leads`);
    check((await agent.textContent("#results h1")) === "My leads", "an agent's list is My leads");
    const names = await agent.$$eval("#rows tr[id^=lead-] td.lead a", (as) => as.map((a) => a.textContent.trim()));
    check(names.includes(LEAD.name), `My leads should hold ${LEAD.name}: ${names}`);
    await snap(agent, "agent-my-leads");
    await agent.goto(`${BASE}/leads/${leadId}`);
    check((await agent.textContent(".facts")).includes(chosen.name), `the lead's page names ${chosen.name} as its owner`);
    await snap(agent, "agent-lead");
  });

  await step("with the rule turned off, the next lead waits in the queue and the admin assigns it to the other agent", async () => {
    const other = AGENTS.find((a) => a !== chosen);
    await admin.goto(`${BASE}/settings/routing`);
    await admin.evaluate(() => (window.__noReload = true));
    await admin.click(`#rules li:has-text("${RULE}") button:has-text("Turn off")`);
    await flash(admin, `Rule “${RULE}” is off`);
    check((await admin.locator("#rules li.off").count()) === 1, "the rule is shown as off");
    await stillSamePage(admin);
    await snap(admin, "settings-routing-rule-off");
    const { lead } = await postLead(intakeKey, QUEUED);
    check(lead.owner.kind === "queue", `with no rule on, the lead should wait in the queue: ${JSON.stringify(lead.owner)}`);
    await admin.click("nav.crumbs a[href='/queue']");
    await admin.waitForSelector(`#queued-${lead.id}`, { timeout: 10_000 });
    await admin.evaluate(() => (window.__noReload = true));
    await snap(admin, "queue");
    await admin.check(`#queued-${lead.id} input[name=id]`);
    const value = await admin.$eval("#assign-agent", (sel, name) => [...sel.options].find((o) => o.textContent.startsWith(name))?.value, other.name);
    check(value, `the agent picker should offer ${other.name}`);
    await admin.selectOption("#assign-agent", value);
    await admin.click("#assign button[type=submit]");
    await admin.waitForFunction(
      ([id, name]) => document.querySelector(`#queued-${id} td.result`)?.textContent.includes(`Assigned to ${name}`),
      [lead.id, other.name],
      { timeout: 10_000 },
    );
    await stillSamePage(admin);
    await snap(admin, "queue-assigned");
  });

  await step("the admin makes an API token for an agent on People, it works, and revoking it (confirmed) stops it", async () => {
    const agentName = AGENTS[0].name;
    await admin.goto(`${BASE}/settings/people`);
    const holder = await admin.$eval("#token-user", (sel, name) => [...sel.options].find((o) => o.textContent.startsWith(name))?.value, agentName);
    check(holder, `the token form should offer ${agentName}`);
    await admin.selectOption("#token-user", holder);
    await admin.fill("#token-name", "Website sync");
    await admin.click("#add-token button[type=submit]");
    await flash(admin, "Token “Website sync” made for");
    const token = await admin.inputValue("#new-token-value");
    const asAgent = (t) => fetch(`${BASE}/api/v1/leads`, { headers: { authorization: `Bearer ${t}` } });
    check((await asAgent(token)).status === 200, "the token read off the page works");
    await snap(admin, "settings-people-token");
    let asked = "";
    admin.once("dialog", (d) => {
      asked = d.message();
      d.accept();
    });
    await admin.click(`#tokens tr:has-text("Website sync") button:has-text("Revoke")`);
    await flash(admin, "Token “Website sync” revoked");
    check(asked.includes("Website sync") && asked.includes(agentName), `revoking asks first, naming the token and holder: ${asked}`);
    check((await asAgent(token)).status === 401, "a revoked token is refused");
    check(!(await admin.content()).includes(token), "the secret is not shown again");
  });

  // Every page, as each kind of person sees it, on a laptop and on a phone.
  const everyone = ["/leads", "/leads?pool=yes", "/tasks", "/account", () => `/leads/${leadId}`, () => `/leads/${leadId}/routing`, "/leads/999999999", "/no-such-page"];
  const adminPages = [...everyone, "/queue", "/settings", "/settings/people", "/settings/time", "/settings/routing", "/settings/pools", "/settings/statuses", "/settings/deliveries"];
  const agentPages = [...everyone, "/offers", "/settings"];
  for (const [who, person, paths] of [["admin", ADMIN, adminPages], ["agent", null, agentPages]]) {
    for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await step(`every page, as the ${who} on a ${size} (${viewport.width}×${viewport.height})`, async () => {
        const page = await newPage(browser, `${who} (${size})`, viewport);
        await page.goto(`${BASE}/login`);
        await shot(page, `all-${who}-${size}-login`);
        await signIn(page, person ?? chosen);
        const wide = [];
        for (const p of paths) {
          const path = typeof p === "function" ? p() : p;
          await page.goto(`${BASE}${path}`);
          // Measured with the folded forms open too: they are the widest part of a page.
          const overflow = await page.evaluate(() => {
            const closed = [...document.querySelectorAll("details:not([open])")];
            for (const d of closed) d.open = true;
            const px = document.documentElement.scrollWidth - window.innerWidth;
            for (const d of closed) d.open = false;
            return px;
          });
          if (overflow > 0) wide.push(`${path} is ${overflow}px wider than the screen`);
          await shot(page, `all-${who}-${size}${path.replace(/\W+/g, "-")}`);
        }
        check(wide.length === 0, wide.join("\n"));
        await page.context().close();
      });
    }
  }
});
