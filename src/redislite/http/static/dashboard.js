// The RedisLite dashboard: polls the JSON API (/api/info, /api/keys, /api/command) and draws what it gets.
// Plain browser JavaScript, no libraries and no build step.
"use strict";

const FAST_POLL_MS = 1000;   // /api/info: the two charts and the cards
const SLOW_POLL_MS = 2000;   // INFO text and the slow log
const HISTORY = 120;         // points kept per chart
const SCAN_PAGE = 200;       // COUNT for each SCAN call
const SCAN_WANTED = 100;     // keys to gather before stopping a scan (More goes on)
const ITEMS_SHOWN = 100;     // elements shown for a list, hash, set or sorted set

const $ = (id) => document.getElementById(id);

// -- the API -----------------------------------------------------------------------------------------------

async function api(method, path, body) {
  const options = {method, headers: {}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  // Same-origin fetches carry the credentials the browser asked for after a 401 (Basic): the page keeps none
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

// A key is {text, encoding}: encoding "base64" when its bytes are not UTF-8 (as /api/keys sends them).
function keyFromJson(item) {
  return typeof item === "string" ? {text: item, encoding: "utf-8"} : {text: item.data, encoding: "base64"};
}

function toBase64(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// Commands are arrays of strings and keys; when any key is binary, every argument goes as base64.
async function pipeline(commands) {
  const binary = commands.some((argv) => argv.some((arg) => arg.encoding === "base64"));
  const asText = (arg) => (typeof arg === "object" ? arg.text : String(arg));
  const asBase64 = (arg) => (typeof arg === "object"
    ? (arg.encoding === "base64" ? arg.text : toBase64(arg.text)) : toBase64(String(arg)));
  return api("POST", "/api/command", {
    commands: commands.map((argv) => argv.map(binary ? asBase64 : asText)),
    encoding: binary ? "base64" : "utf-8",
  });
}

async function command(...argv) {
  const [reply] = await pipeline([argv]);
  if (reply.error) throw new Error(reply.error);
  return reply.result;
}

function keyPath(key) {
  return encodeURIComponent(key.text) + (key.encoding === "base64" ? "?encoding=base64" : "");
}

// -- formatting --------------------------------------------------------------------------------------------

function show(value) {
  if (value === null || value === undefined) return "(nil)";
  if (typeof value === "object" && value.encoding === "base64") return `base64:${value.data}`;
  if (Array.isArray(value)) return value.map(show).join(", ");
  return String(value);
}

function humanBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

function humanNumber(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return String(value >= 100 ? Math.round(value) : Math.round(value * 10) / 10);
}

function displayKey(key) {
  return key.encoding === "base64" ? `base64:${key.text}` : key.text;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function setMessage(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "message error" : "message";
}

// -- charts ------------------------------------------------------------------------------------------------

class Chart {
  constructor(canvas, color, format) {
    this.canvas = canvas;
    this.color = color;
    this.format = format;
    this.values = [];
    this.limit = 0;  // a dashed line (maxmemory), 0 for none
  }

  push(value) {
    this.values.push(value);
    if (this.values.length > HISTORY) this.values.shift();
    this.draw();
  }

  draw() {
    const {canvas, values} = this;
    const context = canvas.getContext("2d");
    const width = canvas.width;
    const height = canvas.height;
    const left = 70;
    const top = 10;
    const bottom = height - 20;
    const ceiling = Math.max(1, this.limit, ...values) * 1.1;
    const y = (value) => bottom - (value / ceiling) * (bottom - top);
    const x = (index) => left + (index / (HISTORY - 1)) * (width - left - 10);

    context.clearRect(0, 0, width, height);
    context.font = "11px system-ui, sans-serif";
    context.fillStyle = "#667085";
    context.strokeStyle = "#e4e7ec";
    context.lineWidth = 1;
    for (let step = 0; step <= 4; step += 1) {
      const value = (ceiling * step) / 4;
      context.beginPath();
      context.moveTo(left, y(value));
      context.lineTo(width - 10, y(value));
      context.stroke();
      context.fillText(this.format(value), 4, y(value) + 4);
    }
    context.fillText(`last ${HISTORY} s`, left, height - 4);

    if (this.limit > 0) {
      context.strokeStyle = cssColor("--limit");
      context.setLineDash([6, 4]);
      context.beginPath();
      context.moveTo(left, y(this.limit));
      context.lineTo(width - 10, y(this.limit));
      context.stroke();
      context.setLineDash([]);
    }

    if (values.length) {
      const offset = HISTORY - values.length;  // the newest point is at the right edge
      context.strokeStyle = this.color;
      context.lineWidth = 2;
      context.beginPath();
      values.forEach((value, index) => {
        if (index === 0) context.moveTo(x(offset + index), y(value));
        else context.lineTo(x(offset + index), y(value));
      });
      context.stroke();
      context.lineTo(x(HISTORY - 1), bottom);
      context.lineTo(x(offset), bottom);
      context.closePath();
      context.globalAlpha = 0.12;
      context.fillStyle = this.color;
      context.fill();
      context.globalAlpha = 1;
    }

    // what the chart shows, readable by tests and scripts
    canvas.dataset.points = String(values.length);
    canvas.dataset.last = String(values.length ? values[values.length - 1] : 0);
    canvas.dataset.max = String(values.length ? Math.max(...values) : 0);
  }
}

const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const opsChart = new Chart($("ops-chart"), cssColor("--ops"), humanNumber);
const memoryChart = new Chart($("memory-chart"), cssColor("--memory"), humanBytes);

// -- polling -----------------------------------------------------------------------------------------------

let previous = null;  // {operations, time} of the last /api/info sample

async function pollInfo() {
  const info = await api("GET", "/api/info");
  const now = performance.now();
  if (previous) {
    const seconds = (now - previous.time) / 1000;
    const rate = Math.max(0, info.operations_total - previous.operations) / seconds;
    opsChart.push(rate);
    $("ops-value").textContent = humanNumber(rate);
    $("ops-legend").textContent = `${info.operations_total} commands since start`;
  }
  previous = {operations: info.operations_total, time: now};

  memoryChart.limit = info.max_memory_bytes;
  memoryChart.push(info.memory_bytes);
  $("memory-value").textContent = humanBytes(info.memory_bytes);
  $("memory-legend").textContent = info.max_memory_bytes
    ? `${humanBytes(info.memory_bytes)} of maxmemory ${humanBytes(info.max_memory_bytes)} ` +
      `(${info.eviction_policy}), dashed line`
    : `${humanBytes(info.memory_bytes)}, no maxmemory limit`;
  $("keys-value").textContent = String(info.keys);
  $("evicted-value").textContent = String(info.evictions_total);
  $("expired-value").textContent = String(info.expirations_total);
  renderReplication(info.replication);
}

// The role in the header; the master link (on a replica) and the connected replicas in their section.
function renderReplication(replication) {
  const {role, master, replicas} = replication;
  const count = replication.connected_replicas;
  $("role").textContent = `role ${role}` + (master ? ` of ${master.host}:${master.port} (link ${master.link_status})` : "") +
    (count ? `, ${count} replica(s)` : "");
  $("replication-summary").textContent = `${role === "slave" ? "replica" : "master"}, ` +
    `offset ${replication.master_repl_offset}, replication id ${replication.replication_id}`;

  const link = $("master-link");
  link.hidden = !master;
  if (master) {
    const up = master.link_status === "up";
    let text = `master ${master.host}:${master.port}: link ${master.link_status}`;
    if (up) text += `, last I/O ${master.last_io_seconds_ago} s ago`;
    else if (master.link_down_since_seconds >= 0) text += ` for ${master.link_down_since_seconds} s`;
    if (master.sync_in_progress) text += ", full sync in progress";
    link.textContent = `${text}, applied offset ${master.offset}`;
    link.className = up ? "link up" : "link down";
    link.dataset.status = master.link_status;
  }

  const body = $("replicas");
  body.replaceChildren();
  for (const replica of replicas) {
    const row = body.insertRow();
    row.dataset.replica = `${replica.ip}:${replica.port}`;
    row.dataset.state = replica.state;
    [row.dataset.replica, replica.state, replica.offset, replica.offset_lag, replica.lag]
      .forEach((value) => cell(row, String(value)));
  }
  if (!replicas.length) cell(body.insertRow(), "no replicas");
}

function parseInfo(text) {
  const fields = {};
  const keyspace = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith("#") || !line.includes(":")) continue;
    const at = line.indexOf(":");
    const name = line.slice(0, at);
    const value = line.slice(at + 1);
    if (/^db\d+$/.test(name)) {
      const parts = Object.fromEntries(value.split(",").map((part) => part.split("=")));
      keyspace.push({db: name, ...parts});
    } else {
      fields[name] = value;
    }
  }
  return {fields, keyspace};
}

function renderKeyspace({fields, keyspace}) {
  const body = $("keyspace");
  body.replaceChildren();
  for (const db of keyspace) {
    const row = body.insertRow();
    [db.db, db.keys, db.expires, db.avg_ttl].forEach((text) => cell(row, text ?? ""));
  }
  if (!keyspace.length) cell(body.insertRow(), "no keys");
  const hits = Number(fields.keyspace_hits || 0);
  const misses = Number(fields.keyspace_misses || 0);
  $("keyspace-stats").textContent = `hits ${hits}, misses ${misses}, expired ${fields.expired_keys || 0}, ` +
    `evicted ${fields.evicted_keys || 0}`;
  $("hit-ratio-value").textContent = hits + misses ? `${((100 * hits) / (hits + misses)).toFixed(1)}%` : "–";
  $("clients-value").textContent = fields.connected_clients || "0";
}

function renderSlowlog(entries) {
  const body = $("slowlog");
  body.replaceChildren();
  for (const [id, timestamp, micros, argv, client] of entries) {
    const row = body.insertRow();
    cell(row, String(id));
    cell(row, new Date(timestamp * 1000).toLocaleTimeString());
    cell(row, String(micros));
    const line = argv.map(show).join(" ");
    cell(row, line.length > 200 ? `${line.slice(0, 200)}…` : line);
    cell(row, show(client));
  }
  if (!entries.length) cell(body.insertRow(), "empty");
}

async function pollServer() {
  const [info, slowlog] = await pipeline([["INFO"], ["SLOWLOG", "GET", "10"]]);
  if (info.error) throw new Error(info.error);
  $("info").textContent = info.result;
  renderKeyspace(parseInfo(info.result));
  if (!slowlog.error) renderSlowlog(slowlog.result);
}

// Run `task` every `interval` ms, never two at once; errors show in the header.
function every(interval, task) {
  let running = false;
  let timer;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
      $("status").textContent = `live, updated ${new Date().toLocaleTimeString()}`;
      $("status").className = "status";
    } catch (error) {
      $("status").textContent = `error: ${error.message}`;
      $("status").className = "status error";
      if (error.status === 401) {  // the sign-in prompt was cancelled: don't raise it again every second
        clearInterval(timer);
        $("status").textContent += " (reload the page to sign in)";
      }
    } finally {
      running = false;
    }
  };
  tick();
  timer = setInterval(tick, interval);
}

// -- key browser -------------------------------------------------------------------------------------------

let scanCursor = 0;
let scanPattern = "*";
let selected = null;  // the key shown in the detail pane

async function scan(fromStart) {
  if (fromStart) {
    scanCursor = 0;
    scanPattern = $("pattern").value || "*";
    $("key-list").replaceChildren();
  }
  let found = 0;
  do {
    const query = new URLSearchParams({pattern: scanPattern, cursor: scanCursor, count: SCAN_PAGE});
    const page = await api("GET", `/api/keys?${query}`);
    scanCursor = page.cursor;
    for (const item of page.keys) addKeyToList(keyFromJson(item));
    found += page.keys.length;
  } while (scanCursor !== 0 && found < SCAN_WANTED);
  $("scan-more").hidden = scanCursor === 0;
  const shown = $("key-list").children.length;
  $("scan-count").textContent = `${shown} key(s)` + (scanCursor === 0 ? "" : ", more to scan");
}

function addKeyToList(key) {
  const item = document.createElement("li");
  item.textContent = displayKey(key);
  item.dataset.key = displayKey(key);
  if (key.encoding === "base64") item.classList.add("binary");
  item.addEventListener("click", () => openKey(key).catch((error) => setMessage(error.message, true)));
  $("key-list").appendChild(item);
}

const TEMPLATES = {
  string: "APPEND {key} text",
  list: "RPUSH {key} value",
  hash: "HSET {key} field value",
  set: "SADD {key} member",
  zset: "ZADD {key} 1 member",
};

function quote(text) {
  return /^[^\s"']+$/.test(text) ? text : `"${text.replace(/["\\]/g, "\\$&")}"`;
}

async function openKey(key) {
  const another = !selected || displayKey(selected) !== displayKey(key);  // not a refresh of the same key
  selected = key;
  for (const item of $("key-list").children) {
    item.classList.toggle("selected", item.dataset.key === displayKey(key));
  }
  const [type, ttl] = await pipeline([["TYPE", key], ["TTL", key]]);
  $("key-detail").hidden = false;
  $("key-name").textContent = displayKey(key);
  $("key-type").textContent = type.result;
  $("key-ttl").textContent = ttl.result === -1 ? "none" : ttl.result === -2 ? "–" : `${ttl.result} s`;
  $("key-size").textContent = "";
  $("string-form").hidden = true;
  $("key-items").hidden = true;
  if (another) {  // a command for this key's type to start from
    setMessage("");
    $("command-result").hidden = true;
    const template = key.encoding === "utf-8" && TEMPLATES[type.result];
    $("command-line").value = template ? template.replace("{key}", quote(key.text)) : "";
  }
  switch (type.result) {
    case "none":
      setMessage("the key does not exist (deleted or expired)");
      return;
    case "string":
      return showString(key);
    case "list":
      return showItems(["index", "element"], await command("LLEN", key),
        (await command("LRANGE", key, 0, ITEMS_SHOWN - 1)).map((element, index) => [index, element]));
    case "hash":
      return showItems(["field", "value"], await command("HLEN", key),
        pairs((await command("HSCAN", key, 0, "COUNT", ITEMS_SHOWN))[1]));
    case "set":
      return showItems(["member"], await command("SCARD", key),
        (await command("SSCAN", key, 0, "COUNT", ITEMS_SHOWN))[1].map((member) => [member]));
    case "zset":
      return showItems(["member", "score"], await command("ZCARD", key),
        await command("ZRANGE", key, 0, ITEMS_SHOWN - 1, "WITHSCORES"));
    default:
      setMessage(`no viewer for type ${type.result}; use the command line`);
  }
}

function pairs(flat) {
  const rows = [];
  for (let index = 0; index + 1 < flat.length; index += 2) rows.push([flat[index], flat[index + 1]]);
  return rows;
}

async function showString(key) {
  const value = await command("GET", key);
  const binary = typeof value === "object" && value !== null;  // {encoding: base64, data}
  $("string-value").value = binary ? value.data : (value ?? "");
  $("string-base64").checked = binary;
  $("key-size").textContent = binary ? "binary value, shown as base64" : `${(value ?? "").length} chars`;
  $("string-form").hidden = false;
}

function showItems(columns, total, rows) {
  $("key-size").textContent = `${total} element(s)` + (rows.length < total ? `, first ${rows.length} shown` : "");
  const head = $("key-items-head");
  head.replaceChildren();
  const headRow = head.insertRow();
  for (const name of columns) {
    const th = document.createElement("th");
    th.textContent = name;
    headRow.appendChild(th);
  }
  const body = $("key-items-body");
  body.replaceChildren();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const value of row) cell(tr, show(value));
  }
  $("key-items").hidden = false;
}

async function saveString() {
  const key = selected;
  const text = $("string-value").value;
  const binary = key.encoding === "base64" || $("string-base64").checked;
  const ttl = await command("TTL", key);  // SET clears the TTL; carry it over
  const body = {
    key: binary && key.encoding !== "base64" ? toBase64(key.text) : key.text,
    value: binary && !$("string-base64").checked ? toBase64(text) : text,
    encoding: binary ? "base64" : "utf-8",
  };
  if (ttl > 0) body.ttl = ttl;
  await api("POST", "/api/set", body);
  setMessage(`saved ${displayKey(key)}`);
  await openKey(key);
}

async function setTtl() {
  const seconds = Number.parseInt($("ttl-seconds").value, 10);
  if (Number.isNaN(seconds)) throw new Error("TTL: enter a number of seconds");
  await api("POST", `/api/expire/${keyPath(selected)}`, {seconds});
  setMessage(seconds > 0 ? `expires in ${seconds} s` : "deleted (a TTL of 0 or less deletes the key)");
  await openKey(selected);
}

async function persist() {
  await command("PERSIST", selected);
  setMessage("TTL removed");
  await openKey(selected);
}

async function deleteKey() {
  await api("DELETE", `/api/delete/${keyPath(selected)}`);
  setMessage(`deleted ${displayKey(selected)}`);
  $("key-detail").hidden = true;
  selected = null;
  await scan(true);
}

// Split a command line as redis-cli does: whitespace between arguments, "double" or 'single' quotes.
function splitArguments(line) {
  const args = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let match;
  while ((match = pattern.exec(line)) !== null) {
    if (match[1] !== undefined) args.push(match[1].replace(/\\(.)/g, "$1"));
    else if (match[2] !== undefined) args.push(match[2]);
    else args.push(match[3]);
  }
  return args;
}

async function runCommandLine() {
  const argv = splitArguments($("command-line").value);
  if (!argv.length) return;
  const output = $("command-result");
  try {
    const result = await command(...argv);
    output.textContent = JSON.stringify(result, null, 2);
    setMessage(`${argv[0].toUpperCase()} ok`);
  } catch (error) {
    output.textContent = "";
    setMessage(error.message, true);
  }
  output.hidden = !output.textContent;
  if (selected) await openKey(selected);
}

// -- wiring ------------------------------------------------------------------------------------------------

function onSubmit(formId, action) {
  $(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    action().catch((error) => setMessage(error.message, true));
  });
}

function onClick(buttonId, action) {
  $(buttonId).addEventListener("click", () => action().catch((error) => setMessage(error.message, true)));
}

onSubmit("scan-form", () => scan(true));
onSubmit("string-form", saveString);
onSubmit("ttl-form", setTtl);
onSubmit("command-form", runCommandLine);
onClick("scan-more", () => scan(false));
onClick("ttl-persist", persist);
onClick("key-delete", deleteKey);
onClick("key-refresh", () => openKey(selected));

opsChart.draw();
memoryChart.draw();
every(FAST_POLL_MS, pollInfo);
every(SLOW_POLL_MS, pollServer);
scan(true).catch((error) => setMessage(error.message, true));
