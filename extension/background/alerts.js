/*
 * Desktop notifications for the alerts the service raises (GET /api/ext/v1/alerts), each shown once.
 *
 * 1. An alarm (every 30 s while the browser is open) asks for the alerts after this browser's cursor,
 *    holding the call open up to WAIT_SECONDS so an alert shows seconds after it is raised.
 * 2. Each is shown with chrome.notifications and recorded in storage ("shown through id N") at once,
 *    so a worker killed before step 3 does not show it again.
 * 3. The ack moves the service's cursor (never backwards): a restarted extension asks from there.
 * Clicking a notification opens the panel page it names (the person's profile) and clears it.
 */

import * as api from "./api.js";

export const POLL_ALARM = "alerts-poll";
const PREFIX = "mhc-alert-";
const WAIT_SECONDS = 20;
const MAX_ROUNDS = 5; // a backlog comes 20 at a time; more than 100 waits for the next alarm
const KEPT_LINKS = 50;

let polling = null;

async function state() {
  const { alertsShown, alertLinks } = await chrome.storage.local.get(["alertsShown", "alertLinks"]);
  return { shown: Number(alertsShown || 0), links: alertLinks || {} };
}

function keepRecent(links) {
  const ids = Object.keys(links).sort((a, b) => Number(a.slice(PREFIX.length)) - Number(b.slice(PREFIX.length)));
  return Object.fromEntries(ids.slice(-KEPT_LINKS).map((id) => [id, links[id]]));
}

async function show(alert, links) {
  const id = PREFIX + alert.id;
  await chrome.notifications.create(id, {
    type: "basic",
    iconUrl: chrome.runtime.getURL("icons/icon-128.png"),
    title: alert.title,
    message: alert.body || "",
    contextMessage: "MHC Control Panel",
    priority: 1,
  });
  const next = keepRecent({ ...links, [id]: alert.url });
  await chrome.storage.local.set({ alertsShown: alert.id, alertLinks: next });
  return next;
}

async function round(wait) {
  const batch = await api.fetchAlerts(wait);
  let { shown, links } = await state();
  let count = 0;
  for (const alert of batch.alerts) {
    if (alert.id <= shown) continue; // shown before a restart that came before its ack
    links = await show(alert, links);
    shown = alert.id;
    count += 1;
  }
  if (batch.last_id > batch.cursor) await api.ackAlerts(batch.last_id);
  return { count, more: Boolean(batch.more) };
}

export function poll({ wait = WAIT_SECONDS } = {}) {
  if (polling) return polling;
  polling = (async () => {
    let shown = 0;
    try {
      for (let i = 0; i < MAX_ROUNDS; i += 1) {
        const { count, more } = await round(i === 0 ? wait : 0);
        shown += count;
        if (!more) break;
      }
    } catch (error) {
      // Service down or not paired: the popup shows the connection state; the next alarm tries again.
    }
    return { shown };
  })().finally(() => {
    polling = null;
  });
  return polling;
}

export async function open(notificationId) {
  const { links } = await state();
  const url = links[notificationId];
  if (url) await chrome.tabs.create({ url });
  await chrome.notifications.clear(notificationId);
  await forget(notificationId);
  return { opened: url || null };
}

export async function forget(notificationId) {
  const { links } = await state();
  if (!(notificationId in links)) return;
  delete links[notificationId];
  await chrome.storage.local.set({ alertLinks: links });
}

// A new pairing may be with another service (another database): its alert ids start again.
export async function reset() {
  await chrome.storage.local.remove(["alertsShown", "alertLinks"]);
}

export function isOurs(notificationId) {
  return String(notificationId).startsWith(PREFIX);
}

export function schedule() {
  chrome.alarms.create(POLL_ALARM, { periodInMinutes: 0.5, delayInMinutes: 0.1 });
}
