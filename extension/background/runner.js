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

function listProgress(kind, reads, startedMs, settings) {
  const lastPages = {};
  const names = new Set();
  for (const read of reads) {
    const r = read.result;
    if (r.list && r.last_page) lastPages[r.list] = Math.max(lastPages[r.list] || 0, r.last_page);
    for (const name of r.usernames || []) names.add(name);
  }
  const lists = kind === "following" ? ["online", "offline"] : ["followers"];
  const known = lists.every((list) => lastPages[list]);
  const total = known ? lists.reduce((sum, list) => sum + lastPages[list], 0) : null;
  // The first pages come without a wait, so the average so far underestimates; the pace is a floor.
  const pace = ((settings.paceMinSeconds + settings.paceMaxSeconds) / 2) * 1000;
  const perPage = Math.max(reads.length ? (Date.now() - startedMs) / reads.length : 0, pace);
  const left = total === null ? null : Math.max(0, Math.round(((total - reads.length) * perPage) / 1000));
  return { page: reads.length, pages: total, names: names.size, secondsLeft: left };
}

async function readList(kind, settings, onPage) {
  const reads = [];
  let stop = null;
  let tabId = null;
  try {
    for (let url = MHC.nextListUrl(kind, reads); url; url = MHC.nextListUrl(kind, reads)) {
      if (reads.length) await sleep(paceMs(settings));
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
      reads.push(read);
      onPage(reads);
    }
  } finally {
    if (tabId !== null) await chrome.tabs.remove(tabId).catch(() => {});
  }
  return { reads, stop };
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

// One list run; the snapshot goes to the outbox (then to the service) whatever its verdict.
// A run under another Chaturbate account is refused before any list page is read: its snapshot
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
    let reads = [];
    let stop = refusal;
    if (!refusal) {
      await sleep(paceMs(settings));
      ({ reads, stop } = await readList(kind, settings, (sofar) => {
        Object.assign(current, listProgress(kind, sofar, startedMs, settings));
        changed();
      }));
    }
    const snapshot = MHC.buildListSnapshot({
      kind, account: settings.account, started_at, finished_at: new Date().toISOString(), reads,
    });
    if (stop && !snapshot.complete) snapshot.abort_reason = stop;
    await outbox.enqueue({ id: crypto.randomUUID(), kind: "list", payload: snapshot, taskId });
    const state = refusal ? "refused" : snapshot.complete ? "complete" : "partial";
    Object.assign(current, { state, reason: snapshot.abort_reason });
    outbox.flush().catch(() => {});
    return snapshot;
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
