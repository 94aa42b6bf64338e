/*
 * Results waiting to be sent. Every result is written to chrome.storage.local first, then sent;
 * if the service is down or the worker is killed mid-send, the next flush (alarm, popup, startup)
 * sends it again. Each item keeps the idempotency key it was created with, so a repeat the
 * service already stored is answered "duplicate" and changes nothing.
 *
 * Item: {id, kind: "list"|"profiles", payload, taskId, attempts, nextAttemptAt, lastError, createdAt}
 */

import * as api from "./api.js";

const KEY = "outbox";
const ALARM = "outbox-retry";
const FIRST_RETRY_SECONDS = 15;
const MAX_RETRY_SECONDS = 30 * 60;

// storage has no transactions: one queue of read-modify-write steps keeps them from interleaving.
let chain = Promise.resolve();
function locked(step) {
  const run = chain.then(step, step);
  chain = run.catch(() => {});
  return run;
}

async function load() {
  const stored = await chrome.storage.local.get(KEY);
  return stored[KEY] || [];
}

export function items() {
  return load();
}

export async function count() {
  return (await load()).length;
}

export function enqueue(item) {
  const full = { attempts: 0, nextAttemptAt: 0, lastError: null, createdAt: Date.now(), taskId: null, ...item };
  return locked(async () => {
    const all = await load();
    if (!all.some((x) => x.id === full.id)) all.push(full);
    await chrome.storage.local.set({ [KEY]: all });
  });
}

function update(id, change) {
  return locked(async () => {
    const all = await load();
    const next = [];
    for (const item of all) {
      if (item.id !== id) next.push(item);
      else if (change) next.push({ ...item, ...change });
    }
    await chrome.storage.local.set({ [KEY]: next });
  });
}

function send(item) {
  return item.kind === "list" ? api.postList(item.payload, item.id) : api.postProfiles(item.payload);
}

// What the task queue should hear once the service has the result.
async function reportDelivered(item, answer) {
  if (!item.taskId) return;
  const ref =
    item.kind === "list" ? `snapshot:${answer.snapshot_id}` : `profile:${answer.profiles?.[0]?.scrape_id ?? 0}`;
  const partial = item.kind === "list" && !answer.complete;
  const state = partial ? "failed" : "done";
  const reason = partial ? `partial run: ${answer.reason}` : null;
  await api.reportTask(item.taskId, state, { reason, resultRef: ref }).catch(() => {});
}

async function deliver(item, outcome) {
  try {
    const answer = await send(item);
    await update(item.id, null);
    await reportDelivered(item, answer);
    outcome.sent += 1;
  } catch (error) {
    if (error.code === "rejected" && error.status >= 400 && error.status < 500 && error.status !== 429) {
      // The service refused the content; sending it again would be refused again.
      await update(item.id, null);
      if (item.taskId) await api.reportTask(item.taskId, "failed", { reason: `refused: ${error.message}` }).catch(() => {});
      outcome.refused.push(error.message);
      return;
    }
    const attempts = item.attempts + 1;
    const wait = Math.min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS);
    await update(item.id, { attempts, nextAttemptAt: Date.now() + wait * 1000, lastError: error.message });
    outcome.failed += 1;
    outcome.stop = error.code !== "rejected"; // service down or unpaired: the rest would fail too
  }
}

let flushing = null;

// Send every due item (all of them when `force`); resolves to {sent, failed, refused}.
export function flush({ force = false } = {}) {
  if (flushing) return flushing;
  flushing = (async () => {
    const outcome = { sent: 0, failed: 0, refused: [], stop: false };
    for (const item of await load()) {
      if (!force && item.nextAttemptAt > Date.now()) continue;
      await deliver(item, outcome);
      if (outcome.stop) break;
    }
    await scheduleRetry();
    return outcome;
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function scheduleRetry() {
  const pending = await load();
  if (!pending.length) return chrome.alarms.clear(ALARM);
  const due = Math.min(...pending.map((x) => x.nextAttemptAt));
  chrome.alarms.create(ALARM, { when: Math.max(due, Date.now() + 30 * 1000) });
}

export const RETRY_ALARM = ALARM;
