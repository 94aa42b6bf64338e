/*
 * The only code that talks to the MHC service (DESIGN.md "Extension ↔ service protocol").
 *
 * Every call sends X-MHC-Protocol; every call but ping and pair sends the bearer token. A reply
 * without X-MHC-Version did not come from our service (another program on the port, or nothing),
 * so it counts as "service not running" (Zotero's connector does the same). 412 means the two
 * sides speak different protocol versions.
 */

import { getSettings } from "./settings.js";

export const PROTOCOL = "1";

export class ApiError extends Error {
  // code: "not_running" | "not_paired" | "incompatible" | "rejected"
  constructor(code, message, status = 0, details = []) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

async function request(method, path, { body, auth = true, headers = {} } = {}) {
  const settings = await getSettings();
  if (auth && !settings.token) throw new ApiError("not_paired", "The extension is not paired yet (Options → Pair).");
  const sent = { "X-MHC-Protocol": PROTOCOL, ...headers };
  if (auth) sent.Authorization = `Bearer ${settings.token}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(settings.serviceUrl + path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError("not_running", `The MHC service is not running at ${settings.serviceUrl}.`);
  }
  if (!response.headers.get("X-MHC-Version")) {
    throw new ApiError("not_running", `Something answered at ${settings.serviceUrl}, but it is not the MHC service.`);
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 412) throw new ApiError("incompatible", data.error || "Incompatible versions.", 412);
  if (response.status === 401) throw new ApiError("not_paired", data.error || "Not paired.", 401);
  if (!response.ok) throw new ApiError("rejected", data.error || `HTTP ${response.status}`, response.status, data.details || []);
  return data;
}

export async function ping() {
  const data = await request("GET", "/api/ext/v1/ping", { auth: false });
  if (String(data.protocol) !== PROTOCOL) {
    throw new ApiError("incompatible", `The service speaks protocol ${data.protocol}; this extension speaks ${PROTOCOL}.`);
  }
  return data;
}

export function pair(code, extensionId) {
  return request("POST", "/api/ext/v1/pair", { auth: false, body: { code, extension_id: extensionId } });
}

export function postList(snapshot, key) {
  return request("POST", "/api/ext/v1/lists", { body: snapshot, headers: { "Idempotency-Key": key } });
}

// A list too long for one request goes in parts (each idempotent per upload and part number),
// then the finish, which makes them one snapshot; the ping answer's `list_parts.max_pages` says how
// many pages a part may hold (a service without it takes lists whole only).
export function postListPart(part) {
  return request("POST", "/api/ext/v1/lists/parts", { body: part });
}

export function postListFinish(finish) {
  return request("POST", "/api/ext/v1/lists/finish", { body: finish });
}

export function postProfiles(profiles) {
  return request("POST", "/api/ext/v1/profiles", { body: profiles });
}

export function fetchTasks() {
  return request("GET", "/api/ext/v1/tasks");
}

export function reportTask(taskId, state, { reason = null, resultRef = null } = {}) {
  return request("POST", `/api/ext/v1/tasks/${taskId}`, { body: { state, reason, result_ref: resultRef } });
}

// Desktop alerts after this browser's cursor; `wait` seconds (≤ 25) holds the call until one is raised.
export function fetchAlerts(wait = 0) {
  return request("GET", `/api/ext/v1/alerts?wait=${Math.max(0, Math.min(25, Math.floor(wait)))}`);
}

export function ackAlerts(lastId) {
  return request("POST", "/api/ext/v1/alerts/ack", { body: { last_id: lastId } });
}
