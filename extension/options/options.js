/* Options: service URL, account, pairing, connection test and pacing. All work goes through the worker. */

const $ = (id) => document.getElementById(id);
const FIELDS = {
  "service-url": "serviceUrl",
  account: "account",
  "pace-min": "paceMinSeconds",
  "pace-max": "paceMaxSeconds",
  "daily-cap": "dailyPageCap",
  "poll-minutes": "pollMinutes",
};
const STATES = {
  connected: "Connected.",
  not_running: "Service not running",
  not_paired: "Not paired",
  incompatible: "Incompatible version",
};

async function send(type, payload = {}) {
  const reply = await chrome.runtime.sendMessage({ type, payload });
  if (!reply || !reply.ok) throw new Error(reply ? reply.error : "no reply from the extension");
  return reply.result;
}

function collect() {
  const patch = {};
  for (const [id, key] of Object.entries(FIELDS)) patch[key] = $(id).value;
  return patch;
}

async function load() {
  const settings = await send("settings/get");
  for (const [id, key] of Object.entries(FIELDS)) $(id).value = settings[key];
  $("pair-result").textContent = settings.paired ? "Paired." : "Not paired yet.";
}

async function save(target) {
  try {
    await send("settings/save", collect());
    $(target).textContent = "Saved.";
    return true;
  } catch (error) {
    $(target).textContent = error.message;
    return false;
  }
}

function describe(connection) {
  const label = STATES[connection.state] || connection.state;
  return connection.detail ? `${label}: ${connection.detail}` : label;
}

$("save").addEventListener("click", () => save("save-result"));

$("pair").addEventListener("click", async () => {
  $("pair-result").textContent = "Pairing…";
  if (!(await save("pair-result"))) return;
  try {
    const connection = await send("pair/submit", { code: $("pair-code").value });
    $("pair-code").value = "";
    await load(); // pairing may have filled in the account (the service's broadcaster): show it
    $("pair-result").textContent = connection.state === "connected" ? "Paired." : describe(connection);
  } catch (error) {
    $("pair-result").textContent = `Pairing failed: ${error.message}`;
  }
});

$("test-connection").addEventListener("click", async () => {
  $("connection-result").textContent = "Testing…";
  if (!(await save("connection-result"))) return;
  $("connection-result").textContent = describe(await send("connection/test"));
});

load();
