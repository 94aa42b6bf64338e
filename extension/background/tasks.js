/*
 * Tasks queued by the panel, the CLI or a schedule (GET /api/ext/v1/tasks), run one after the
 * other at the same human pace as the popup's buttons. Polled by an alarm while the browser is open.
 */

import * as api from "./api.js";
import * as runner from "./runner.js";

export const POLL_ALARM = "tasks-poll";

let polling = null;

async function runTask(task) {
  await api.reportTask(task.id, "running");
  try {
    if (task.kind === "profile") await runner.scrapeProfile({ username: task.username, taskId: task.id });
    else await runner.runList(task.kind, { taskId: task.id });
    // "done" (or "failed: partial run") is reported by the outbox once the service has the result.
  } catch (error) {
    await api.reportTask(task.id, "failed", { reason: error.message }).catch(() => {});
  }
}

export function poll() {
  if (polling || runner.busy()) return polling || Promise.resolve({ ran: 0 });
  polling = (async () => {
    let ran = 0;
    try {
      const { tasks } = await api.fetchTasks();
      for (const task of tasks) {
        await runTask(task);
        ran += 1;
      }
    } catch (error) {
      // Service down or not paired: the popup shows the connection state; try again next alarm.
    }
    return { ran };
  })().finally(() => {
    polling = null;
  });
  return polling;
}

export function schedule(minutes) {
  chrome.alarms.create(POLL_ALARM, { periodInMinutes: Math.max(0.5, minutes), delayInMinutes: 0.1 });
}
