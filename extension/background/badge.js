/*
 * The action icon's badge: while a run reads pages, the page it is on (blue); otherwise how many
 * results wait in the outbox to be sent to the service (amber); nothing when all is sent.
 * The title (the icon's tooltip) says the same in words.
 */

import * as outbox from "./outbox.js";

const RUNNING = "#1565c0";
const WAITING = "#b26a00";

// `run` is the runner's progress ({state, page, …}) or null.
export async function refresh(run) {
  const active = Boolean(run && run.state === "running");
  const waiting = active ? 0 : await outbox.count();
  let text = "";
  let title = "MHC Control Panel";
  if (active) {
    text = run.page ? String(run.page).slice(0, 4) : "…";
    title = `MHC Control Panel: reading ${run.kind === "profile" ? "a profile" : `page ${run.page || 1}`}`;
  } else if (waiting) {
    text = String(Math.min(waiting, 999));
    title = `MHC Control Panel: ${waiting} result${waiting === 1 ? "" : "s"} waiting to be sent`;
  }
  await chrome.action.setBadgeBackgroundColor({ color: active ? RUNNING : WAITING });
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title });
}
