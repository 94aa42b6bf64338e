/*
 * The service worker: wires the message registry, the outbox retry and the task poll together.
 * Listeners are registered synchronously at the top level, as MV3 requires for a worker that
 * Chrome stops and restarts at will.
 */

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
});

async function start() {
  const settings = await getSettings();
  tasks.schedule(settings.pollMinutes);
  // Whatever a killed worker left unsent goes out now.
  badge.refresh(null).catch(() => {});
  outbox.flush().catch(() => {});
}

chrome.runtime.onInstalled.addListener(() => start());
chrome.runtime.onStartup.addListener(() => start());
