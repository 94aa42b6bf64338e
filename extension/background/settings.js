/*
 * The extension's settings in chrome.storage.local, with defaults (linkding's {...DEFAULTS, ...stored}).
 * The bearer token lives here too; it never leaves the extension except to the paired service.
 */

export const DEFAULTS = Object.freeze({
  serviceUrl: "http://127.0.0.1:8756",
  token: "",
  account: "", // the Chaturbate username the lists belong to (the service checks it)
  paceMinSeconds: 3, // human pacing between list pages: a random wait in [min, max]
  paceMaxSeconds: 6,
  dailyPageCap: 400, // pages read per day, all runs together
  renderWaitSeconds: 10, // how long a page may take to render its list before it counts as unrecognised
  pollMinutes: 1, // how often to ask the service for tasks while the browser is open
});

// Only the service origins the manifest grants; anything else could not be reached anyway.
const SERVICE_URL = /^http:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?\/?$/;

export function validServiceUrl(url) {
  return SERVICE_URL.test(String(url || "").trim());
}

export async function getSettings() {
  const { settings } = await chrome.storage.local.get("settings");
  return { ...DEFAULTS, ...(settings || {}) };
}

export async function saveSettings(patch) {
  const current = await getSettings();
  const next = { ...current, ...patch };
  if (!validServiceUrl(next.serviceUrl)) throw new Error("The service URL must be http://127.0.0.1:PORT or http://localhost:PORT");
  next.serviceUrl = next.serviceUrl.trim().replace(/\/$/, "");
  next.account = String(next.account || "").trim().toLowerCase();
  for (const key of ["paceMinSeconds", "paceMaxSeconds", "dailyPageCap", "renderWaitSeconds", "pollMinutes"]) {
    const value = Number(next[key]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${key} must be a number ≥ 0`);
    next[key] = value;
  }
  if (next.paceMaxSeconds < next.paceMinSeconds) next.paceMaxSeconds = next.paceMinSeconds;
  await chrome.storage.local.set({ settings: next });
  return next;
}

// Pages read today, all runs together: the daily cap keeps the account's traffic human.
export async function takeDailyPage(cap) {
  const today = new Date().toISOString().slice(0, 10);
  const { daily } = await chrome.storage.local.get("daily");
  const used = daily && daily.date === today ? daily.pages : 0;
  if (used >= cap) return false;
  await chrome.storage.local.set({ daily: { date: today, pages: used + 1 } });
  return true;
}
