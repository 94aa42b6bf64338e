/*
 * List runs and profile scrapes in a background tab, at human pace.
 *
 * Pages are rendered by the site's JavaScript, so each page is read from a real tab once it has
 * loaded, with the extractors injected by chrome.scripting (lib/site.js, then content/extract-*.js,
 * which build on it). Which page to read
 * next, and whether the run is complete, is lib/list-run.js's pure logic; a login page, a challenge,
 * an unrecognised page or a repeated page ends the run at once with that reason.
 *
 * Test URLs: https://chaturbate.com/followed-cams/, .../accounts/followers/?page=1,
 * https://chaturbate.com/<room>/. How to test: tests/browser/extension_e2e/.
 */

import "../lib/list-run.js"; // classic script: defines globalThis.MHC.nextListUrl & co.
import "../lib/account-check.js"; // classic script: MHC.accountCheckUrl, MHC.accountProblem
import * as api from "./api.js";
import * as badge from "./badge.js";
import * as outbox from "./outbox.js";
import { getSettings, takeDailyPage } from "./settings.js";

const MHC = globalThis.MHC;
const SITE_SCRIPT = "lib/site.js"; // shared by both extractors: injected first, every time
const LIST_SCRIPT = "content/extract-list.js";
const PROFILE_SCRIPT = "content/extract-profile.js";
const RENDER_POLL_MS = 500;

// What the popup shows: one run at a time.
let current = null;

export function progress() {
  return current;
}

export function busy() {
  return Boolean(current && current.state === "running");
}

// The run's state changed: the action icon's badge follows it.
function changed() {
  badge.refresh(current).catch(() => {});
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function paceMs(settings) {
  const min = settings.paceMinSeconds;
  const max = Math.max(min, settings.paceMaxSeconds);
  return (min + Math.random() * (max - min)) * 1000;
}

// Resolves with the tab once it has finished loading (redirects included). `start` begins the
// navigation and returns the tab id; the listener is attached first so no "complete" is missed.
function loaded(start, url, timeoutMs = 45000) {
  return new Promise((resolve, reject) => {
    let tabId = null;
    const early = new Map();
    const timer = setTimeout(() => done(new Error(`page did not load in time: ${url}`)), timeoutMs);
    function listener(id, info, tab) {
      if (info.status !== "complete" || !tab.url || tab.url === "about:blank") return;
      if (tabId === null) early.set(id, tab);
      else if (id === tabId) done(null, tab);
    }
    function done(error, tab) {
      clearTimeout(timer);
      chrome.tabs.onUpdated.removeListener(listener);
      if (error) reject(error);
      else resolve(tab);
    }
    chrome.tabs.onUpdated.addListener(listener);
    start().then(
      (id) => {
        tabId = id;
        if (early.has(id)) done(null, early.get(id));
      },
      (error) => done(error),
    );
  });
}

function navigate(tabId, url) {
  return loaded(() => chrome.tabs.update(tabId, { url }).then(() => tabId), url);
}

// A background tab opened directly at the first URL: opening about:blank and navigating away
// makes Chrome swap the tab's renderer, which test harnesses (and extensions watching it) lose.
async function openBackgroundTab(url) {
  const tab = await loaded(() => chrome.tabs.create({ url, active: false }).then((t) => t.id), url);
  return tab.id;
}

// Runs MHC[fn](document, location.href) in the tab; retries while the list has not rendered yet.
async function extractIn(tabId, file, fn, renderWaitSeconds) {
  const deadline = Date.now() + renderWaitSeconds * 1000;
  for (;;) {
    await chrome.scripting.executeScript({ target: { tabId }, files: [SITE_SCRIPT, file] });
    const [injection] = await chrome.scripting.executeScript({
      target: { tabId },
      func: (name) => ({ href: location.href, result: globalThis.MHC[name](document, location.href) }),
      args: [fn],
    });
    const { href, result } = injection.result;
    const unrendered = result && result.status === "unrecognised";
    if (!unrendered || Date.now() >= deadline) return { href, result };
    await sleep(RENDER_POLL_MS);
  }
}

function listProgress(kind, run, startedMs, settings) {
  const { pages: read, names, lastPages } = run.progress();
  const lists = kind === "following" ? ["online", "offline"] : ["followers"];
  const known = lists.every((list) => lastPages[list]);
  const total = known ? lists.reduce((sum, list) => sum + lastPages[list], 0) : null;
  // The first pages come without a wait, so the average so far underestimates; the pace is a floor.
  const pace = ((settings.paceMinSeconds + settings.paceMaxSeconds) / 2) * 1000;
  const perPage = Math.max(read ? (Date.now() - startedMs) / read : 0, pace);
  const left = total === null ? null : Math.max(0, Math.round(((total - read) * perPage) / 1000));
  return { page: read, pages: total, names, secondsLeft: left };
}

// Reads the list page by page; each page goes to `onPage` as it is read (and is not kept here).
async function readList(kind, settings, run, onPage) {
  let stop = null;
  let tabId = null;
  let reads = 0;
  try {
    for (let url = run.nextUrl(); url; url = run.nextUrl()) {
      if (reads) await sleep(paceMs(settings));
      if (!(await takeDailyPage(settings.dailyPageCap))) {
        stop = "daily_cap";
        break;
      }
      let read;
      try {
        if (tabId === null) tabId = await openBackgroundTab(url);
        else await navigate(tabId, url);
        const { href, result } = await extractIn(tabId, LIST_SCRIPT, "extractListPage", settings.renderWaitSeconds);
        read = { url, final_url: href, result };
      } catch (error) {
        // A page that would not load or be read: stop, and still send what was read (as partial).
        stop = `page_error: ${error.message}`.slice(0, 200);
        break;
      }
      reads += 1;
      await onPage(run.add(read));
    }
  } finally {
    if (tabId !== null) await chrome.tabs.remove(tabId).catch(() => {});
  }
  return { stop };
}

// How many pages one request may carry, as the service announces it; null when it takes lists
// whole only (an older service) or cannot be asked now (the list then goes whole, as before).
async function partPages() {
  try {
    const answer = await api.ping();
    const pages = Number(answer.list_parts?.max_pages);
    return Number.isInteger(pages) && pages >= 1 ? pages : null;
  } catch (error) {
    return null;
  }
}

// Where a run's pages go: a list that fits in one part is sent whole (POST lists, as always);
// a longer one leaves in parts as it is read, so neither the worker nor the outbox ever holds it
// whole, then a finish that counts the parts.
function listSender(kind, account, started_at, maxPages, taskId) {
  const upload = crypto.randomUUID();
  let pages = [];
  let parts = 0;
  async function sendPart() {
    parts += 1;
    const payload = { upload, part: parts, kind, account, started_at, pages };
    pages = [];
    await outbox.enqueue({ id: `${upload}:part:${parts}`, kind: "list-part", upload, payload });
    outbox.flush().catch(() => {});
  }
  return {
    async add(page) {
      if (page === null) return;
      pages.push(page);
      if (maxPages !== null && pages.length >= maxPages) await sendPart();
    },
    async finish(end) {
      if (!parts) {
        const snapshot = { kind, account, started_at, ...end, pages };
        await outbox.enqueue({ id: crypto.randomUUID(), kind: "list", payload: snapshot, taskId });
      } else {
        if (pages.length) await sendPart();
        const payload = { upload, parts, kind, account, started_at, ...end };
        await outbox.enqueue({ id: `${upload}:finish`, kind: "list-finish", upload, payload, taskId });
      }
      outbox.flush().catch(() => {});
    },
  };
}


// Who is logged in to Chaturbate, read on the account's own room page (list pages do not say):
// null when it is the configured account, else the refusal code (lib/account-check.js). What was
// seen is kept for the popup's warning.
async function accountRefusal(settings) {
  if (!(await takeDailyPage(settings.dailyPageCap))) return "daily_cap";
  let tabId = null;
  let seen;
  try {
    tabId = await openBackgroundTab(MHC.accountCheckUrl(settings.account));
    ({ result: seen } = await extractIn(tabId, PROFILE_SCRIPT, "loggedInAs", settings.renderWaitSeconds));
  } catch (error) {
    return `page_error: ${error.message}`.slice(0, 200);
  } finally {
    if (tabId !== null) await chrome.tabs.remove(tabId).catch(() => {});
  }
  await chrome.storage.local.set({ login: { ...seen, account: settings.account, at: new Date().toISOString() } });
  return MHC.accountProblem(settings.account, seen);
}

// One list run; what it read goes to the outbox (then to the service) whatever its verdict.
// A run under another Chaturbate account is refused before any list page is read: what it sends
// carries no page and only the reason, so the panel's list run history says why.
export async function runList(kind, { taskId = null } = {}) {
  if (busy()) throw new Error("A run is already in progress.");
  const settings = await getSettings();
  if (!settings.account) throw new Error("Set your Chaturbate username in the extension's options first.");
  const startedMs = Date.now();
  const started_at = new Date(startedMs).toISOString();
  current = { kind, state: "running", page: 0, pages: null, names: 0, secondsLeft: null, reason: null };
  changed();
  try {
    const refusal = await accountRefusal(settings);
    const run = MHC.startListRun(kind);
    const sender = listSender(kind, settings.account, started_at, refusal ? null : await partPages(), taskId);
    let stop = refusal;
    if (!refusal) {
      await sleep(paceMs(settings));
      ({ stop } = await readList(kind, settings, run, async (page) => {
        await sender.add(page);
        Object.assign(current, listProgress(kind, run, startedMs, settings));
        changed();
      }));
    }
    const verdict = run.verdict();
    const end = {
      finished_at: new Date().toISOString(),
      expected_total: verdict.expected_total,
      complete: verdict.complete,
      abort_reason: verdict.abort_reason,
    };
    // A refused run read nothing, so it can never be complete (an empty complete list would
    // make every follower missing).
    if (refusal) Object.assign(end, { complete: false, abort_reason: refusal });
    else if (stop && !end.complete) end.abort_reason = stop;
    await sender.finish(end);
    const state = refusal ? "refused" : end.complete ? "complete" : "partial";
    Object.assign(current, { state, reason: end.abort_reason });
    return end;
  } catch (error) {
    Object.assign(current, { state: "failed", reason: error.message });
    throw error;
  } finally {
    changed();
  }
}

function profilePayload(href, r) {
  return {
    username: r.username, url: href, scraped_at: new Date().toISOString(), follow_status: r.follow_status,
    online: r.online, bio: r.bio, social_links: r.social_links, wishlist: r.wishlist, photosets: r.photosets,
    header_following: r.header_following, dossier_matches_page: r.dossier_matches_page,
  };
}

async function readProfileIn(tabId, settings) {
  const { href, result } = await extractIn(tabId, PROFILE_SCRIPT, "extractProfile", settings.renderWaitSeconds);
  const [status] = await chrome.scripting.executeScript({
    target: { tabId },
    func: () => globalThis.MHC.profilePageStatus(document, location.href),
  });
  if (status.result !== "ok") throw new Error(`not a readable profile page (${status.result})`);
  if (!result || !result.username) throw new Error("not a readable profile page (unrecognised)");
  return profilePayload(href, result);
}

// A profile: in the given tab (the popup's "Scrape This Profile"), or a background tab for `username`.
export async function scrapeProfile({ tabId = null, username = null, taskId = null } = {}) {
  if (busy()) throw new Error("A run is already in progress.");
  const settings = await getSettings();
  current = { kind: "profile", state: "running", page: 0, pages: 1, names: 0, secondsLeft: null, reason: null };
  changed();
  let ownTab = null;
  try {
    if (tabId === null) {
      if (!(await takeDailyPage(settings.dailyPageCap))) throw new Error("daily page cap reached");
      ownTab = await openBackgroundTab(`https://chaturbate.com/${username}/`);
    }
    const payload = await readProfileIn(tabId ?? ownTab, settings);
    await outbox.enqueue({ id: `${payload.username}@${payload.scraped_at}`, kind: "profiles", payload: [payload], taskId });
    Object.assign(current, { state: "complete", page: 1, names: 1 });
    outbox.flush().catch(() => {});
    return payload;
  } catch (error) {
    Object.assign(current, { state: "failed", reason: error.message });
    throw error;
  } finally {
    if (ownTab !== null) await chrome.tabs.remove(ownTab).catch(() => {});
    changed();
  }
}
