/*
 * The service worker: wires the message registry, the outbox retry, the task poll and the desktop
 * alerts together.
 * Listeners are registered synchronously at the top level, as MV3 requires for a worker that
 * Chrome stops and restarts at will.
 */

import * as alerts from "./alerts.js";
import * as badge from "./badge.js";
import { listen } from "./messages.js";
import * as outbox from "./outbox.js";
import * as runner from "./runner.js";
import { getSettings } from "./settings.js";
import * as tasks from "./tasks.js";

listen();

// Results queued or sent: the badge's count follows the outbox.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.outbox) badge.refresh(runner.progress()).catch(() => {});
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === outbox.RETRY_ALARM) outbox.flush().catch(() => {});
  if (alarm.name === tasks.POLL_ALARM) {
    outbox.flush().catch(() => {});
    tasks.poll().catch(() => {});
  }
  if (alarm.name === alerts.POLL_ALARM) alerts.poll().catch(() => {});
});

chrome.notifications.onClicked.addListener((id) => {
  if (alerts.isOurs(id)) alerts.open(id).catch(() => {});
});
chrome.notifications.onClosed.addListener((id) => {
  if (alerts.isOurs(id)) alerts.forget(id).catch(() => {});
});

async function start() {
  const settings = await getSettings();
  tasks.schedule(settings.pollMinutes);
  alerts.schedule();
  // Whatever a killed worker left unsent goes out now.
  badge.refresh(null).catch(() => {});
  outbox.flush().catch(() => {});
}

chrome.runtime.onInstalled.addListener(() => start());
chrome.runtime.onStartup.addListener(() => start());
