/*
 * Results waiting to be sent. Every result is written to chrome.storage.local first, then sent;
 * if the service is down or the worker is killed mid-send, the next flush (alarm, popup, startup)
 * sends it again. Each item keeps the idempotency key it was created with, so a repeat the
 * service already stored is answered "duplicate" and changes nothing.
 *
 * Item: {id, kind: "list"|"list-part"|"list-finish"|"profiles", payload, upload, taskId, attempts,
 *        nextAttemptAt, lastError, createdAt}
 *
 * A long list goes as parts then a finish (runner.js); items are sent in the order they were queued,
 * and a finish waits while a part of its upload is still queued, so the service counts the list
 * once every part it could get has arrived (a part it refused is dropped: the finish then makes
 * the snapshot partial, never an unfollow).
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
  if (item.kind === "list") return api.postList(item.payload, item.id);
  if (item.kind === "list-part") return api.postListPart(item.payload);
  if (item.kind === "list-finish") return api.postListFinish(item.payload);
  return api.postProfiles(item.payload);
}

const SNAPSHOT_KINDS = new Set(["list", "list-finish"]);

// What the task queue should hear once the service has the result.
async function reportDelivered(item, answer) {
  if (!item.taskId) return;
  const snapshot = SNAPSHOT_KINDS.has(item.kind);
  const ref = snapshot ? `snapshot:${answer.snapshot_id}` : `profile:${answer.profiles?.[0]?.scrape_id ?? 0}`;
  const partial = snapshot && !answer.complete;
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

async function partsWaiting(upload) {
  return (await load()).some((item) => item.kind === "list-part" && item.upload === upload);
}

let flushing = null;

// Send every due item (all of them when `force`); resolves to {sent, failed, refused}.
export function flush({ force = false } = {}) {
  if (flushing) return flushing;
  flushing = (async () => {
    const outcome = { sent: 0, failed: 0, refused: [], stop: false };
    const tried = new Set();
    // Items queued while this flush runs (the next part of a list being read) are sent by it too.
    for (let pass = true; pass && !outcome.stop; ) {
      pass = false;
      const queued = await load();
      for (const item of queued) {
        if (tried.has(item.id) || (!force && item.nextAttemptAt > Date.now())) continue;
        if (item.kind === "list-finish" && (await partsWaiting(item.upload))) continue;
        tried.add(item.id);
        pass = true;
        await deliver(item, outcome);
        if (outcome.stop) break;
      }
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
