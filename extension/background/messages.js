/*
 * Every message the popup and the options page may send, by name ("noun/verb"), in one registry.
 *
 * Round trip: 1. a page calls chrome.runtime.sendMessage({type, payload});
 * 2. listen() checks the sender is one of this extension's own pages; 3. the named handler runs
 * in the service worker (the only place that talks to the service); 4. the reply is
 * {ok: true, result} or {ok: false, error, code}.
 */

import * as alerts from "./alerts.js";
import * as api from "./api.js";
import * as outbox from "./outbox.js";
import * as runner from "./runner.js";
import { getSettings, saveSettings } from "./settings.js";
import * as tasks from "./tasks.js";

const STATUS_MAX_AGE_MS = 3000;
let connection = { state: "unknown", detail: "", checkedAt: 0 };

// connected | not_running | not_paired | incompatible — checked with ping, then an authenticated call.
async function checkConnection() {
  try {
    await api.ping();
    await api.fetchTasks();
    connection = { state: "connected", detail: "", checkedAt: Date.now() };
  } catch (error) {
    const state = ["not_running", "not_paired", "incompatible"].includes(error.code) ? error.code : "not_running";
    connection = { state, detail: error.message, checkedAt: Date.now() };
  }
  return connection;
}

async function status() {
  if (Date.now() - connection.checkedAt > STATUS_MAX_AGE_MS) await checkConnection();
  const waiting = await outbox.count();
  if (connection.state === "connected" && waiting) outbox.flush({ force: true }).catch(() => {});
  const settings = await getSettings();
  return {
    connection, outbox: waiting, progress: runner.progress(), busy: runner.busy(),
    account: settings.account, serviceUrl: settings.serviceUrl,
  };
}

function startInBackground(promise) {
  // The popup may close at any time; the run goes on in the worker and reports through status/get.
  promise.catch(() => {});
  return { started: true };
}

export const handlers = {
  "status/get": () => status(),
  "connection/test": () => checkConnection(),
  "list/run": ({ kind }) => {
    if (!["following", "followers"].includes(kind)) throw new Error(`unknown list ${kind}`);
    if (runner.busy()) throw new Error("A run is already in progress.");
    return startInBackground(runner.runList(kind));
  },
  "profile/scrape": ({ tabId }) => {
    if (runner.busy()) throw new Error("A run is already in progress.");
    return startInBackground(runner.scrapeProfile({ tabId }));
  },
  "settings/get": async () => {
    const { token, ...rest } = await getSettings();
    return { ...rest, paired: Boolean(token) };
  },
  "settings/save": async (patch) => {
    const allowed = ["serviceUrl", "account", "paceMinSeconds", "paceMaxSeconds", "dailyPageCap", "renderWaitSeconds", "pollMinutes"];
    const clean = Object.fromEntries(Object.entries(patch || {}).filter(([key]) => allowed.includes(key)));
    const saved = await saveSettings(clean);
    tasks.schedule(saved.pollMinutes);
    connection.checkedAt = 0;
    return { saved: true };
  },
  "pair/submit": async ({ code }) => {
    const { token, broadcaster } = await api.pair(String(code || "").trim(), chrome.runtime.id);
    // The service knows whose lists these are: its broadcaster, unless the user already chose.
    const { account } = await getSettings();
    await saveSettings(account || !broadcaster ? { token } : { token, account: broadcaster });
    await alerts.reset(); // the alerts of this pairing start after it (the service keeps the cursor)
    connection.checkedAt = 0;
    return checkConnection();
  },
  "outbox/list": async () => (await outbox.items()).map(({ payload, ...item }) => item),
  "outbox/flush": () => outbox.flush({ force: true }),
  "tasks/poll": () => tasks.poll(),
  "alerts/poll": () => alerts.poll({ wait: 0 }),
  "alert/open": ({ id }) => {
    if (!alerts.isOurs(id)) throw new Error(`not an alert notification: ${id}`);
    return alerts.open(id);
  },
};

function fromOwnPage(sender) {
  return sender.id === chrome.runtime.id && String(sender.url || "").startsWith(`chrome-extension://${chrome.runtime.id}/`);
}

export function listen() {
  chrome.runtime.onMessage.addListener((message, sender, reply) => {
    const handler = message && handlers[message.type];
    if (!fromOwnPage(sender) || !handler) {
      reply({ ok: false, error: `unknown message ${message && message.type}` });
      return false;
    }
    Promise.resolve()
      .then(() => handler(message.payload || {}, sender))
      .then(
        (result) => reply({ ok: true, result }),
        (error) => reply({ ok: false, error: String(error.message || error), code: error.code || null }),
      );
    return true; // the reply comes asynchronously
  });
}
