/*
 * The popup: three buttons, the run's progress, the connection state and the outbox count.
 * It only sends messages to the service worker (background/messages.js); the worker does the work.
 * It also warns when Chaturbate is logged in as another account than the one the lists are read
 * for: read from the active tab when that is a Chaturbate page, else from the last run's check.
 */

const LABELS = {
  connected: "connected",
  not_running: "service not running",
  not_paired: "not paired",
  incompatible: "incompatible version",
  unknown: "checking…",
};
const KINDS = { following: "Following list", followers: "Followers list", profile: "Profile" };
const MHC = globalThis.MHC; // lib/site.js and lib/account-check.js, loaded before this module by popup.html
const site = MHC.site;
const LOGIN_READER = ["lib/site.js", "content/extract-profile.js"];

const $ = (id) => document.getElementById(id);
let profileTabId = null;
let tabLogin = null; // MHC.loggedInAs of the active tab, when it is a Chaturbate page

async function send(type, payload = {}) {
  const reply = await chrome.runtime.sendMessage({ type, payload });
  if (!reply || !reply.ok) throw new Error(reply ? reply.error : "no reply from the extension");
  return reply.result;
}

function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined) return "?";
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}

function showProgress(p, busy) {
  const box = $("progress");
  if (!p) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.dataset.state = p.state;
  // An account refusal's reason is a sentence, shown in the warning above.
  const reason = p.reason && !MHC.accountSentence(p.reason) ? ` — ${p.reason}` : "";
  $("progress-title").textContent = `${KINDS[p.kind] || p.kind}: ${p.state}${reason}`;
  $("progress-bar").max = p.pages || Math.max(1, p.page + 1);
  $("progress-bar").value = p.page;
  $("progress-text").textContent =
    `page ${p.page} of ${p.pages ?? "?"} · ${p.names} names found` + (busy ? ` · ${formatSeconds(p.secondsLeft)} left` : "");
}

// Who is logged in: the open Chaturbate tab knows best; else what the last run's check saw.
async function loginSeen(account) {
  if (tabLogin && tabLogin.status === "ok") return tabLogin;
  const { login } = await chrome.storage.local.get("login");
  return login && login.account === account ? login : null;
}

async function showAccountWarning(status) {
  const login = await loginSeen(status.account);
  let text = "";
  if (status.account && login && login.status === "ok" && login.viewer !== status.account) {
    text =
      `Chaturbate is logged in as ${login.viewer} in this browser, but the lists are read for ` +
      `${status.account}: a list run would be refused. Log in to Chaturbate as ${status.account}, ` +
      "or change the account in Options.";
  } else if (status.progress && status.progress.state === "refused") {
    text = MHC.accountSentence(status.progress.reason) || "";
  }
  const el = $("account-warning");
  el.textContent = text;
  el.hidden = !text;
}

async function refresh() {
  try {
    const status = await send("status/get");
    await showAccountWarning(status);
    const el = $("connection");
    el.dataset.state = status.connection.state;
    el.textContent = LABELS[status.connection.state] || status.connection.state;
    el.title = status.connection.detail || "";
    $("outbox-count").textContent = String(status.outbox);
    for (const id of ["update-following", "update-followers"]) $(id).disabled = status.busy;
    $("scrape-profile").disabled = status.busy || profileTabId === null;
    showProgress(status.progress, status.busy);
  } catch (error) {
    $("message").textContent = error.message;
  }
}

async function start(type, payload) {
  $("message").textContent = "";
  try {
    await send(type, payload);
  } catch (error) {
    $("message").textContent = error.message;
  }
  refresh();
}

async function readTabLogin(tab) {
  const u = tab && tab.url ? site.parseUrl(tab.url) : null;
  if (!u || u.origin !== site.ORIGIN) return null;
  try {
    await chrome.scripting.executeScript({ target: { tabId: tab.id }, files: LOGIN_READER });
    const [injection] = await chrome.scripting.executeScript({
      target: { tabId: tab.id },
      func: () => globalThis.MHC.loggedInAs(document, location.href),
    });
    return injection.result;
  } catch (_error) {
    return null; // a page the extension may not read (still loading, an error page): no warning from it
  }
}

async function findProfileTab() {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  profileTabId = tab && tab.url && site.roomFromUrl(tab.url) ? tab.id : null;
  tabLogin = await readTabLogin(tab);
}

$("update-following").addEventListener("click", () => start("list/run", { kind: "following" }));
$("update-followers").addEventListener("click", () => start("list/run", { kind: "followers" }));
$("scrape-profile").addEventListener("click", () => start("profile/scrape", { tabId: profileTabId }));

findProfileTab().finally(refresh);
setInterval(refresh, 1000);
