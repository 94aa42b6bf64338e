/*
 * The popup: three buttons, the run's progress, the connection state and the outbox count.
 * It only sends messages to the service worker (background/messages.js); the worker does the work.
 */

const LABELS = {
  connected: "connected",
  not_running: "service not running",
  not_paired: "not paired",
  incompatible: "incompatible version",
  unknown: "checking…",
};
const KINDS = { following: "Following list", followers: "Followers list", profile: "Profile" };
const site = globalThis.MHC.site; // lib/site.js, loaded before this module by popup.html

const $ = (id) => document.getElementById(id);
let profileTabId = null;

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
  $("progress-title").textContent = `${KINDS[p.kind] || p.kind}: ${p.state}${p.reason ? ` — ${p.reason}` : ""}`;
  $("progress-bar").max = p.pages || Math.max(1, p.page + 1);
  $("progress-bar").value = p.page;
  $("progress-text").textContent =
    `page ${p.page} of ${p.pages ?? "?"} · ${p.names} names found` + (busy ? ` · ${formatSeconds(p.secondsLeft)} left` : "");
}

async function refresh() {
  try {
    const status = await send("status/get");
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

async function findProfileTab() {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  profileTabId = tab && tab.url && site.roomFromUrl(tab.url) ? tab.id : null;
}

$("update-following").addEventListener("click", () => start("list/run", { kind: "following" }));
$("update-followers").addEventListener("click", () => start("list/run", { kind: "followers" }));
$("scrape-profile").addEventListener("click", () => start("profile/scrape", { tabId: profileTabId }));

findProfileTab().finally(refresh);
setInterval(refresh, 1000);
