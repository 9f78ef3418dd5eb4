// The lead pool in a real browser, as issue 4 tells it: agent A signs in, sets Lead pool =
// yes, ticks two leads, Move → Claim, and sees them in their own list; agent B, in a second
// browser context, no longer sees them in the pool; B's claim of a lead A already holds (from
// a pool page B opened before A's claim) names A. Also: the list at a phone's 375px width,
// and working a lead from its page (claim, a call that keeps it past its reserve time, a
// status change, a losing call that names the winner). Live updates: an offer reaches A's open
// Offers page and the count on A's Leads page within a second of intake; B's copy of a
// broadcast offer says "Taken by Ana Silva" as soon as A accepts it.
//
// Plain node + playwright-core, no test framework: each step prints ok/not ok, the first
// failure stops the run with a screenshot of every open page, and the exit status says how
// it went; every screenshot is also scanned by axe-core (lib.mjs holds what the scenarios
// share). tests/browser/run starts the server and sets the environment read below.
import {
  BASE, check, env, flash, newPage, postLead, scenario, shot, signIn, step, stillSamePage,
} from "./lib.mjs";

const INTAKE_KEY = env("INTAKE_KEY");
const ADMIN_TOKEN = env("ADMIN_TOKEN");

const ANA = { email: "ana@acme.test", name: "Ana Silva" };
const BRUNO = { email: "bruno@acme.test", name: "Bruno Costa" };
const ADMIN = { email: "admin@acme.test", name: "Dana Admin" };
const LEADS = ["Lucas Pereira", "Marta Gomes", "Nuno Alves", "Olga Ramos", "Paulo Dias", "Rita Lopes"];

async function heading(page, text) {
  await page.waitForFunction((t) => document.querySelector("#results h1")?.textContent === t, text, {
    timeout: 10_000,
  });
}

async function showPool(page, yes) {
  await page.check(`#filters input[name=pool][value=${yes ? "yes" : "no"}]`);
  await page.waitForURL(yes ? /pool=yes/ : /pool=no/, { timeout: 10_000 });
}

async function rowNames(page) {
  return page.$$eval("#rows tr[id^=lead-] td.lead a", (as) => as.map((a) => a.textContent.trim()));
}

async function intake() {
  for (const [i, name] of LEADS.entries()) {
    await postLead(INTAKE_KEY, {
      name,
      email: `${name.toLowerCase().replace(" ", ".")}@example.com`,
      phone: `+1555010${String(i).padStart(4, "0")}`,
      external_id: `browser-${i}`,
      tags: i % 2 ? ["buyer"] : ["seller"],
    });
  }
}

/// Calls the API as the admin; returns the parsed answer, failing on any status but `want`.
async function api(method, path, body, want = 200) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  check(res.status === want, `${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

scenario("pool", async (browser) => {
  await step("six leads come in through the intake API", intake);

  const admin = await newPage(browser, "admin");
  await step("the admin moves the new leads into the Lead Pool with Move → Move to pool", async () => {
    await signIn(admin, ADMIN);
    await heading(admin, "Leads");
    const names = await rowNames(admin);
    check(LEADS.every((n) => names.includes(n)), `the admin's list should hold every lead: ${names}`);
    await admin.check("#results .pick-all");
    await admin.selectOption("#move-action", "pool");
    await admin.fill("#move-reason", "open to everyone");
    await admin.click("#move button[type=submit]");
    await admin.waitForFunction(() => document.querySelector("#flash .summary")?.textContent.includes("Moved 6 of 6 leads."));
    await shot(admin, "01-admin-moved-to-pool");
  });

  const ana = await newPage(browser, "A");
  const bruno = await newPage(browser, "B");
  let claimed = [];
  await step("agent B opens the pool first (the page A's claim will make stale)", async () => {
    await signIn(bruno, BRUNO);
    await showPool(bruno, true);
    await heading(bruno, "Lead pool");
    const names = await rowNames(bruno);
    check(LEADS.every((n) => names.includes(n)), `B should see all six pool leads: ${names}`);
    await stillSamePage(bruno);
    await shot(bruno, "02-b-pool-before");
  });

  await step("agent A signs in, sets Lead pool = yes and ticks two leads", async () => {
    await signIn(ana, ANA);
    await heading(ana, "My leads");
    check((await rowNames(ana)).length === 0, "A holds no leads yet");
    const filtersFirst = await ana.evaluate(
      () => !!(document.querySelector("#filters").compareDocumentPosition(document.querySelector("#results")) & Node.DOCUMENT_POSITION_FOLLOWING),
    );
    check(filtersFirst, "the filter panel comes before the rows in tab order");
    await showPool(ana, true);
    await heading(ana, "Lead pool");
    const rows = ana.locator("#rows tr[id^=lead-]");
    check((await rows.count()) === LEADS.length, `A should see ${LEADS.length} pool leads`);
    for (const i of [0, 1]) {
      const row = rows.nth(i);
      claimed.push({ id: await row.getAttribute("id"), name: (await row.locator("td.lead a").textContent()).trim() });
      await row.locator("input[name=id]").check();
    }
    await stillSamePage(ana);
    await shot(ana, "03-a-pool-two-ticked");
  });

  await step("A chooses Move → Claim and each row says it is claimed, then leaves the pool view", async () => {
    await ana.selectOption("#move-action", "claim");
    await ana.click("#move button[type=submit]");
    await ana.waitForFunction(() => document.querySelector("#flash .summary")?.textContent.includes("Claimed 2 of 2 leads."));
    for (const { id, name } of claimed) {
      const result = await ana.textContent(`#${id} td.result`);
      check(result.includes("Claimed"), `${name}'s row should say claimed: ${result}`);
    }
    await shot(ana, "04-a-claimed");
    for (const { id } of claimed) await ana.waitForSelector(`#${id}`, { state: "detached", timeout: 10_000 });
    const left = await rowNames(ana);
    check(claimed.every(({ name }) => !left.includes(name)), `claimed leads should leave A's pool view: ${left}`);
    await stillSamePage(ana);
  });

  await step("A sets Lead pool = no and sees both in their own list", async () => {
    await showPool(ana, false);
    await heading(ana, "My leads");
    const own = await rowNames(ana);
    check(claimed.every(({ name }) => own.includes(name)) && own.length === 2, `A's own list: ${own}`);
    const owners = await ana.$$eval("#rows td[data-label=Owner]", (tds) => tds.map((t) => t.textContent.trim()));
    check(owners.every((o) => o === ANA.name), `A should own them: ${owners}`);
    await stillSamePage(ana);
    await shot(ana, "05-a-own-list");
  });

  await step("agent B, in the other browser context, no longer sees them in the pool", async () => {
    const fresh = await newPage(browser, "B (fresh page)", undefined, bruno.context());
    await fresh.goto(`${BASE}/leads?pool=yes`);
    await heading(fresh, "Lead pool");
    const names = await rowNames(fresh);
    check(claimed.every(({ name }) => !names.includes(name)), `B's pool should not list A's leads: ${names}`);
    check(names.length === LEADS.length - 2, `B should still see the other four: ${names}`);
    await shot(fresh, "06-b-pool-after");
  });

  await step("B's claim of a lead A holds, from the stale pool page, names A", async () => {
    const [{ id, name }] = claimed;
    await bruno.locator(`#${id} input[name=id]`).check();
    await bruno.click("#move button[type=submit]");
    await bruno.waitForFunction(() => document.querySelector("#flash .summary")?.textContent.includes("Claimed 0 of 1 lead."));
    const result = (await bruno.textContent(`#${id} td.result`)).trim();
    check(result === `Already claimed by ${ANA.name}`, `${name}'s row should name the winner: ${result}`);
    check((await bruno.locator(`#${id} input[name=id]`).count()) === 0, "a lost lead cannot be ticked again");
    await stillSamePage(bruno);
    await shot(bruno, "07-b-lost-race-names-a");
  });

  await step("the pool list fits a 375px-wide phone screen", async () => {
    const phone = await newPage(browser, "A (phone)", { width: 375, height: 812 });
    await signIn(phone, ANA);
    await showPool(phone, true);
    await heading(phone, "Lead pool");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    const filters = await phone.locator("aside.filters").boundingBox();
    const list = await phone.locator("section.list").boundingBox();
    check(filters && list && filters.y > list.y, "on a phone the filter panel sits under the list");
    const box = await phone.locator("#rows input[name=id]").first().boundingBox();
    check(box && box.width >= 24 && box.height >= 24, `a phone's checkboxes are at least 24px: ${JSON.stringify(box)}`);
    // After a Move the row's pick cell is empty, and the card keeps its two columns.
    const row = phone.locator("#rows tr[id^=lead-]").first();
    const id = await row.getAttribute("id");
    await row.locator("input[name=id]").check();
    await phone.selectOption("#move-action", "claim");
    await phone.click("#move button[type=submit]");
    await phone.waitForFunction(() => document.querySelector("#flash .summary")?.textContent.includes("Claimed 1 of 1 lead."));
    const pick = await phone.locator(`#${id} td.pick`).boundingBox();
    const name = await phone.locator(`#${id} td.lead`).boundingBox();
    check(pick && name && pick.width >= 24 && name.x >= pick.x + pick.width - 1, `the card lost its layout: pick ${JSON.stringify(pick)}, name ${JSON.stringify(name)}`);
    await shot(phone, "08-phone-375-pool", { fullPage: false });
  });

  // Live updates: the engine's decisions reach open pages through the event stream.
  let rule;
  await step("an offer reaches A's Offers page and the count on A's Leads page within a second, without a reload", async () => {
    await ana.goto(`${BASE}/offers`);
    check((await ana.textContent("section.list h1")) === "Offers", "A should be on the Offers page");
    check((await ana.textContent("#offer-list")).includes("No offers right now"), "A has no offers yet");
    await ana.evaluate(() => (window.__noReload = true));
    const anaLeads = await newPage(browser, "A (Leads)", undefined, ana.context());
    await anaLeads.goto(`${BASE}/leads`);
    check(await anaLeads.evaluate(() => document.getElementById("offer-count")?.hidden === true), "no count while A has no offers");
    await anaLeads.evaluate(() => (window.__noReload = true));
    const users = await api("GET", "/users");
    const anaId = users.items.find((u) => u.email === ANA.email)?.id;
    check(anaId, `the admin should list ${ANA.email}: ${JSON.stringify(users)}`);
    const group = await api("POST", "/groups", { name: "Openers", entries: [{ kind: "user", user_id: anaId }] }, 201);
    rule = await api("POST", "/rules", {
      name: "Website → Ana",
      plan: {
        strategy: { kind: "round_robin" }, group_id: group.id, window_secs: 900, ignore_hours: true,
        fallback: { kind: "queue" },
      },
    }, 201);
    const sent = Date.now();
    await postLead(INTAKE_KEY, { name: "Sara Nunes", email: "sara.nunes@example.com" });
    await Promise.all([
      anaLeads.waitForFunction(() => document.getElementById("offer-count")?.textContent === "1", null, { timeout: 1_000 }),
      ana.waitForFunction(() => document.querySelector("#offer-list")?.textContent.includes("Sara Nunes"), null, { timeout: 1_000 }),
    ]);
    console.log(`  count and row shown ${Date.now() - sent} ms after the intake was sent`);
    const row = (await ana.textContent("#offer-list tbody tr")).replace(/\s+/g, " ");
    check(/\d+ min \d\d s left/.test(row) && row.includes("Accept"), `the offer should count down to the second and offer Accept: ${row}`);
    await stillSamePage(ana);
    await stillSamePage(anaLeads);
    await shot(ana, "09-a-offer-arrived");
    await shot(anaLeads, "09-a-count-on-leads");
    await anaLeads.close();
  });

  await step("B's open offer turns into “Taken by Ana Silva” as soon as A accepts it", async () => {
    const users = await api("GET", "/users");
    const ids = [ANA, BRUNO].map((p) => users.items.find((u) => u.email === p.email)?.id);
    const group = await api("POST", "/groups", { name: "Shark tank", entries: ids.map((user_id) => ({ kind: "user", user_id })) }, 201);
    await api("PUT", `/rules/${rule.id}`, {
      name: "Website → everyone at once",
      enabled: true,
      plan: {
        strategy: { kind: "broadcast" }, group_id: group.id, window_secs: 900, ignore_hours: true,
        fallback: { kind: "queue" },
      },
    });
    await bruno.goto(`${BASE}/offers`);
    await bruno.evaluate(() => (window.__noReload = true));
    await postLead(INTAKE_KEY, { name: "Tiago Reis", email: "tiago.reis@example.com" });
    const arrived = (page) => page.waitForFunction(() => document.querySelector("#offer-list")?.textContent.includes("Tiago Reis"), null, { timeout: 1_000 });
    await Promise.all([arrived(ana), arrived(bruno)]);
    await ana.click("#offer-list tr:has-text('Tiago Reis') button:has-text('Accept')");
    const accepted = Date.now();
    await bruno.waitForFunction(
      () => [...document.querySelectorAll("#offer-list tr")].some((tr) => tr.textContent.includes("Tiago Reis") && tr.textContent.includes("Taken by Ana Silva")),
      null,
      { timeout: 1_000 },
    );
    console.log(`  B saw who took it ${Date.now() - accepted} ms after A clicked Accept`);
    const row = (await bruno.textContent("#offer-list tr:has-text('Tiago Reis')")).replace(/\s+/g, " ");
    check(!row.includes("Accept"), `B can no longer answer a taken offer: ${row}`);
    await stillSamePage(bruno);
    await stillSamePage(ana);
    await shot(bruno, "09b-b-taken-by-a");
  });

  // Working a lead from its page. The Lead Pool now holds a lead for 3 s after a claim,
  // so the server's own timers decide whether a claimed lead goes back.
  const poolIds = async () => {
    const pooled = await api("GET", "/leads?pool=yes");
    return pooled.items.map((l) => l.id);
  };
  const pools = await api("GET", "/pools");
  const lobby = pools.items.find((p) => p.is_default);
  let called, uncalled, raced;

  await step("A claims a pool lead from its page and logs a call; after its reserve time it is still A's", async () => {
    // The admin sets the reserve time in Settings → Pools and caps.
    await admin.goto(`${BASE}/settings/pools`);
    await admin.evaluate(() => (window.__noReload = true));
    await admin.click(`#pool-${lobby.id} summary`);
    await admin.fill(`#pool-${lobby.id} input[name=reserve_amount]`, "3");
    await admin.selectOption(`#pool-${lobby.id} select[name=reserve_unit]`, "seconds");
    await admin.click(`#pool-${lobby.id} button[type=submit]`);
    await flash(admin, `Pool “${lobby.name}” saved.`);
    check((await admin.textContent(`#pool-${lobby.id}`)).includes("3 seconds"), "the pool row shows the new reserve time");
    await stillSamePage(admin);
    await shot(admin, "10a-admin-settings-pools");
    check((await api("GET", "/pools")).items.find((p) => p.id === lobby.id).reserve_seconds === 3, "the API reads the new reserve time");
    [called, uncalled, raced] = await poolIds();
    for (const id of [called, uncalled]) {
      await ana.goto(`${BASE}/leads/${id}`);
      await ana.evaluate(() => (window.__noReload = true));
      await ana.click("#work-claim");
      await flash(ana, "Claimed: the lead is yours now.");
      await stillSamePage(ana);
    }
    await ana.goto(`${BASE}/leads/${called}`);
    await ana.evaluate(() => (window.__noReload = true));
    await ana.check("#work-contact input[name=kind][value=call]");
    await ana.selectOption("#work-outcome", "left_voicemail");
    await ana.fill("#work-note", "Left a voicemail, calling back at 5");
    await ana.click("#work-contact button[type=submit]");
    await flash(ana, "Call logged.");
    check((await ana.textContent("ol.timeline")).includes("Left a voicemail, calling back at 5"), "the call is on the timeline");
    check((await ana.textContent("ol.timeline")).includes("outcome: left voicemail"), "the timeline says how the call went");
    await stillSamePage(ana);
    await shot(ana, "10-a-called-from-lead-page");
    // The uncalled lead's reserve time runs out on the server's clock; the called one's ended with the call.
    const deadline = Date.now() + 15_000;
    let back;
    do {
      await new Promise((r) => setTimeout(r, 500));
      back = await api("GET", `/leads/${uncalled}`);
    } while (back.owner.kind !== "pool" && Date.now() < deadline);
    check(back.owner.kind === "pool", `the uncalled lead should be back in the pool: ${JSON.stringify(back.owner)}`);
    const kept = await api("GET", `/leads/${called}`);
    check(kept.owner.kind === "agent" && kept.owner.user_id !== null, `the called lead stays A's: ${JSON.stringify(kept.owner)}`);
    await ana.reload();
    check((await ana.textContent(".facts")).includes(ANA.name), "A's page still names A as the owner");
  });

  await step("A moves the lead to Working from its page", async () => {
    await ana.evaluate(() => (window.__noReload = true));
    const working = await ana.$eval("#work-status", (sel) => [...sel.options].find((o) => o.textContent === "Working")?.value);
    check(working, "the status list offers Working");
    await ana.selectOption("#work-status", working);
    await ana.fill("#work-status-reason", "Wants a viewing");
    await ana.click("#work-status-form button[type=submit]");
    await flash(ana, "Status changed to Working.");
    check((await ana.textContent(".facts")).includes("Working"), "the status shown is Working");
    await stillSamePage(ana);
    await shot(ana, "11-a-working");
  });

  await step("A adds a task to the lead, finds it in My tasks and marks it done", async () => {
    await ana.evaluate(() => (window.__noReload = true));
    await ana.fill("#task-title", "Book the viewing");
    check(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(await ana.inputValue("#task-due")), "the due time starts filled in");
    await ana.click("#task-add button[type=submit]");
    await flash(ana, "Task added, due");
    check((await ana.textContent("#tasks")).includes("Book the viewing"), "the task is listed on the lead");
    await stillSamePage(ana);
    await shot(ana, "11b-a-task-added");
    await ana.click("nav.crumbs a[href='/tasks']");
    await ana.waitForSelector(".my-tasks");
    check((await ana.textContent(".my-tasks")).includes("Book the viewing"), "My tasks lists the task");
    await shot(ana, "11c-a-my-tasks");
    await ana.click(`.my-tasks a[href='/leads/${called}#tasks']`);
    await ana.waitForSelector("#tasks");
    await ana.evaluate(() => (window.__noReload = true));
    await ana.click("#tasks .task-actions button.primary");
    await flash(ana, "Done: Book the viewing.");
    check((await ana.textContent("ol.timeline")).includes("Task completed"), "the timeline says the task was done");
    await stillSamePage(ana);
  });

  await step("B's call on a pool lead A claimed first loses and names A", async () => {
    await bruno.goto(`${BASE}/leads/${raced}`);
    await bruno.evaluate(() => (window.__noReload = true));
    check(await bruno.isVisible("#work-called"), "B is offered to log a call on the pool lead");
    await ana.goto(`${BASE}/leads/${raced}`);
    await ana.click("#work-claim");
    await flash(ana, "Claimed: the lead is yours now.");
    await bruno.fill("#work-call-note", "Tried them first");
    await bruno.click("#work-called");
    await flash(bruno, `Your call did not take this lead: Already claimed by ${ANA.name}.`);
    check((await bruno.textContent("#lead")).includes("You can no longer see this lead"), "B is told the lead is gone");
    await stillSamePage(bruno);
    await shot(bruno, "12-b-call-lost-names-a");
  });

  await step("the lead page and its forms fit a 375px-wide phone screen", async () => {
    const phone = await newPage(browser, "A (phone, lead)", { width: 375, height: 812 });
    await signIn(phone, ANA);
    await phone.goto(`${BASE}/leads/${called}`);
    await phone.click("details.work-more summary");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the lead page is ${overflow}px wider than the screen`);
    await shot(phone, "13-phone-375-lead");
  });
});
