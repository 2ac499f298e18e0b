/*
 * The status page of one floor agent: plain JavaScript, no framework, no build.
 *
 * Data: /api/stream (Server-Sent Events: `status` every second, `event` per
 * stored event) read with fetch() and the SSE parser below, because
 * EventSource cannot send an Authorization header; /api/history every 10 s
 * for the charts. A 401 shows the token form; the token lives in
 * sessionStorage and goes out as `Authorization: Bearer ...` on every call.
 *
 * Rules:
 * - text from the agent is only ever set with textContent, never as HTML;
 * - rows are updated in place (keyed by line, machine and sink name), so
 *   a page open all shift does not churn the DOM or lose a text selection;
 * - a dropped stream is shown at once ("DISCONNECTED", greyed data) and
 *   retried with backoff; a stream silent for WATCHDOG_MS counts as dropped;
 * - states are colour AND icon AND word, for colour-blind readers.
 *
 * Stable hooks for tests: [data-machine][data-online][data-state] rows,
 * #tail rows with data-event / data-machine / data-seq / data-channel,
 * #health[data-health], #conn[data-state], [data-sink][data-state],
 * #buffer[data-state], svg#chart-*[data-points].
 */
"use strict";

(() => {
  const TOKEN_KEY = "floor-agent.token";
  const TAIL_MAX = 200;
  const HISTORY_EVERY_MS = 10_000;
  const WATCHDOG_MS = 10_000; // statuses come every second; keepalives every 15 s
  const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  const DEGRADED_WINDOW_MS = 60_000; // timeouts or CRC errors this recent: amber
  const BACKLOG_WARN_S = 60; // oldest undelivered / unconfirmed older than this: amber

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- auth

  class AuthNeeded extends Error {}
  class Forbidden extends Error {}

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function headers(extra) {
    const h = { ...extra };
    const t = token();
    if (t) h.Authorization = `Bearer ${t}`;
    return h;
  }

  async function api(path, init) {
    const response = await fetch(path, {
      cache: "no-store",
      ...init,
      headers: headers(init && init.headers),
    });
    if (response.status === 401) throw new AuthNeeded(path);
    if (response.status === 403) throw new Forbidden(path);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response;
  }

  function askForToken() {
    stopStream();
    clearTimeout(historyTimer);
    if (!$("auth").hidden) return; // already asking (several calls can answer 401)
    const had = token() !== null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("auth-message").textContent = had
      ? "The agent did not accept that token. Enter a valid one."
      : "This agent needs an access token to show its status.";
    $("auth").hidden = false;
    $("forget-token").hidden = true;
    setConn("auth", "SIGN-IN NEEDED");
    $("token").focus();
  }

  function forbidden() {
    stopStream();
    setConn("auth", "NOT ALLOWED");
    showBanner("This token's role may not view the status. Sign in with another token.");
    $("forget-token").hidden = token() === null;
  }

  $("auth").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $("token").value = "";
    $("auth").hidden = true;
    start();
  });

  $("forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });

  // ---------------------------------------------------------------- SSE

  /**
   * An SSE parser (WHATWG HTML, "Parsing an event stream"): feed() it decoded
   * text in chunks of any size; it calls onMessage(type, data) per dispatched
   * message and onComment(text) per comment line. Lines end in CRLF, LF or
   * CR; a CR at the end of a chunk waits for the next one (it may be CRLF).
   */
  function sseParser(onMessage, onComment) {
    let buffer = "";
    let type = "";
    let data = [];
    let first = true;
    const state = { retry: null, lastId: "" };

    function line(text) {
      if (text === "") {
        if (data.length) onMessage(type || "message", data.join("\n"));
        type = "";
        data = [];
        return;
      }
      if (text[0] === ":") {
        onComment(text.slice(1));
        return;
      }
      const colon = text.indexOf(":");
      const field = colon === -1 ? text : text.slice(0, colon);
      let value = colon === -1 ? "" : text.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id" && !value.includes("\0")) state.lastId = value;
      else if (field === "retry" && /^\d+$/.test(value)) state.retry = Number(value);
    }

    state.feed = (chunk) => {
      buffer += chunk;
      if (first && buffer.length) {
        if (buffer[0] === "\uFEFF") buffer = buffer.slice(1);
        first = false;
      }
      let pos = 0;
      for (;;) {
        const lf = buffer.indexOf("\n", pos);
        const cr = buffer.indexOf("\r", pos);
        let end;
        let next;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          if (cr === buffer.length - 1) break; // maybe the first half of CRLF
          end = cr;
          next = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
        } else if (lf !== -1) {
          end = lf;
          next = lf + 1;
        } else {
          break;
        }
        line(buffer.slice(pos, end));
        pos = next;
      }
      buffer = buffer.slice(pos);
    };
    return state;
  }

  let controller = null; // the AbortController of the running stream
  let firstRetryMs = BACKOFF_MS[0]; // the server may change it with `retry:`
  let attempt = 0;
  let retryTimer = null;
  let lastByteAt = 0;
  let everLive = false;
  let lastStatusAt = null; // this browser's clock when the last status arrived
  let lastNow = null; // the agent's clock in the last status (ISO 8601)
  let historyTimer = null;
  let historyRound = 0;

  function stopStream() {
    if (controller) controller.abort();
    controller = null;
    clearTimeout(retryTimer);
    retryTimer = null;
  }

  async function stream() {
    stopStream();
    const mine = new AbortController();
    controller = mine;
    setConn(everLive ? "reconnecting" : "connecting", everLive ? "RECONNECTING" : "CONNECTING");
    let gotStatus = false;
    try {
      const response = await api("api/stream", {
        headers: { Accept: "text/event-stream" },
        signal: mine.signal,
      });
      const kind = response.headers.get("Content-Type") || "";
      if (!kind.startsWith("text/event-stream")) throw new Error(`api/stream sent ${kind}`);
      const reader = response.body.getReader();
      const decoder = new TextDecoder("utf-8");
      const parser = sseParser(
        (type, data) => {
          if (type === "status") {
            if (!gotStatus) {
              gotStatus = true;
              attempt = 0;
              connected();
            }
            onStatus(JSON.parse(data));
          } else if (type === "event") {
            addEvent(JSON.parse(data));
          }
        },
        () => {},
      );
      lastByteAt = Date.now();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastByteAt = Date.now();
        parser.feed(decoder.decode(value, { stream: true }));
      }
      if (parser.retry !== null) firstRetryMs = Math.max(250, parser.retry);
      throw new Error("the agent closed the stream");
    } catch (error) {
      if (controller !== mine) return; // stopped on purpose, or replaced
      if (error instanceof AuthNeeded) return askForToken();
      if (error instanceof Forbidden) return forbidden();
      disconnected(error);
    }
  }

  function connected() {
    hideBanner();
    setConn("live", "LIVE");
    document.body.dataset.conn = "live";
    everLive = true;
    refreshHistory();
  }

  function disconnected(error) {
    controller = null;
    const delay = attempt === 0 ? firstRetryMs : BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    attempt += 1;
    setConn("disconnected", "DISCONNECTED");
    document.body.dataset.conn = "disconnected";
    setHealth("unknown", "?", "NO DATA", []);
    const since = lastStatusAt ? ` Showing data from ${clock(lastStatusAt)}.` : "";
    showBanner(
      `Disconnected from the agent (${error.message || error}).${since} ` +
        `Retrying in ${Math.round(jittered / 1000)} s…`,
    );
    retryTimer = setTimeout(stream, jittered);
  }

  setInterval(() => {
    if (controller && lastByteAt && Date.now() - lastByteAt > WATCHDOG_MS) {
      const stale = controller;
      controller = null;
      stale.abort();
      disconnected(new Error(`nothing heard for ${WATCHDOG_MS / 1000} s`));
    }
  }, 2000);

  // ---------------------------------------------------------------- formatting

  function num(n) {
    return n === null || n === undefined ? "—" : n.toLocaleString("en-US");
  }

  function age(seconds) {
    if (seconds === null || seconds === undefined) return "never";
    if (seconds < 10) return `${seconds.toFixed(1)} s`;
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
    return `${Math.round(seconds / 86400)} d`;
  }

  function duration(seconds) {
    const s = Math.floor(seconds);
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d) return `${d} d ${h} h`;
    if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
    return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  }

  function clock(date) {
    return date.toLocaleTimeString("en-GB", { hour12: false });
  }

  function ms(value) {
    return value === null || value === undefined ? "—" : `${Math.round(value)} ms`;
  }

  function since(iso, nowIso) {
    if (!iso) return null;
    return Math.max(0, (Date.parse(nowIso) - Date.parse(iso)) / 1000);
  }

  function summarize(data) {
    const parts = [];
    for (const [key, value] of Object.entries(data || {})) {
      if (value === null || value === undefined) continue;
      if (key.endsWith("_cents") && typeof value === "number") {
        parts.push(`${key.slice(0, -6)} ${(value / 100).toFixed(2)}`);
      } else if (typeof value === "object") {
        parts.push(`${key} ${JSON.stringify(value)}`);
      } else {
        parts.push(`${key} ${value}`);
      }
    }
    return parts.join(" · ");
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  }

  // ---------------------------------------------------------------- header and banner

  function setConn(state, text) {
    const conn = $("conn");
    conn.dataset.state = state;
    setText(conn, text);
  }

  function showBanner(text) {
    const banner = $("banner");
    setText(banner, text);
    banner.hidden = false;
  }

  function hideBanner() {
    $("banner").hidden = true;
  }

  function setHealth(level, icon, text, reasons) {
    const health = $("health");
    health.dataset.health = level;
    setText(health.querySelector(".icon"), icon);
    setText(health.querySelector(".text"), text);
    setText($("health-reasons"), reasons.slice(0, 4).join(" · ") + (reasons.length > 4 ? " …" : ""));
    $("health-reasons").title = reasons.join("\n");
  }

  // ---------------------------------------------------------------- status

  const STATES = {
    online: { icon: "●", text: "ONLINE" },
    degraded: { icon: "▲", text: "DEGRADED" },
    offline: { icon: "✖", text: "OFFLINE" },
  };

  const errorSamples = new Map(); // machine id -> [{t, timeouts, crc}] over DEGRADED_WINDOW_MS

  /** Timeouts and CRC errors of one machine within the last DEGRADED_WINDOW_MS. */
  function recentErrors(machine, now) {
    const samples = errorSamples.get(machine.id) || [];
    samples.push({ t: now, timeouts: machine.timeouts, crc: machine.crc_errors });
    while (samples.length > 1 && now - samples[1].t >= DEGRADED_WINDOW_MS) samples.shift();
    errorSamples.set(machine.id, samples);
    const first = samples[0];
    return {
      timeouts: Math.max(0, machine.timeouts - first.timeouts),
      crc: Math.max(0, machine.crc_errors - first.crc),
    };
  }

  function onStatus(status) {
    lastStatusAt = new Date();
    lastNow = status.now;
    document.body.dataset.conn = "live";
    setText($("agent-id"), status.agent_id);
    document.title = `${status.agent_id} — floor-agent`;
    setText($("version"), status.version);
    setText($("uptime"), duration(status.uptime_s));

    const problems = [];
    const warnings = [];
    const now = Date.now();
    const counts = { online: 0, degraded: 0, offline: 0 };
    const states = new Map();
    for (const m of status.machines) {
      const recent = recentErrors(m, now);
      const state = !m.online ? "offline" : recent.timeouts + recent.crc > 0 ? "degraded" : "online";
      states.set(m.id, { state, recent });
      counts[state] += 1;
    }
    renderMachines(status, states);

    for (const line of status.lines) {
      if (!line.connected) problems.push(`line ${line.name}: port not open`);
    }
    if (counts.offline) problems.push(`${counts.offline} machine${counts.offline > 1 ? "s" : ""} offline`);
    if (counts.degraded) warnings.push(`${counts.degraded} machine${counts.degraded > 1 ? "s" : ""} with recent errors`);
    renderMachineSummary(counts);

    renderBuffer(status.store, problems, warnings);
    renderSinks(status.sinks, problems, warnings);

    if (problems.length) setHealth("failing", "✖", "ATTENTION", problems.concat(warnings));
    else if (warnings.length) setHealth("degraded", "▲", "DEGRADED", warnings);
    else setHealth("ok", "●", "ALL OK", []);
  }

  function renderMachineSummary(counts) {
    const summary = $("machine-summary");
    summary.replaceChildren();
    for (const state of ["online", "degraded", "offline"]) {
      if (!counts[state] && state !== "online") continue;
      summary.append(
        el("span", { class: `count ${state}`, "data-count": state }, `${STATES[state].icon} ${counts[state]} ${state}`),
      );
    }
  }

  const lineBodies = new Map(); // line name -> tbody
  const machineRows = new Map(); // machine id -> tr

  function renderMachines(status, states) {
    const table = $("machines");
    const placeholder = table.querySelector("tbody.placeholder");
    if (placeholder) placeholder.remove();
    const byId = new Map(status.machines.map((m) => [m.id, m]));
    const lines = status.lines.map((l) => ({ ...l }));
    const listed = new Set(lines.flatMap((l) => l.machines));
    for (const m of status.machines) {
      if (listed.has(m.id)) continue;
      let line = lines.find((l) => l.name === m.line);
      if (!line) {
        line = { name: m.line, port: "", connected: true, last_error: "", reopen_count: 0, machines: [] };
        lines.push(line);
      }
      line.machines.push(m.id);
    }
    const seenLines = new Set();
    const seenMachines = new Set();
    let previous = table.tHead;
    for (const line of lines) {
      seenLines.add(line.name);
      let body = lineBodies.get(line.name);
      if (!body) {
        body = lineBody(line.name);
        lineBodies.set(line.name, body);
      }
      if (previous.nextSibling !== body) previous.after(body);
      previous = body;
      updateLineHead(body, line);
      let after = body.rows[0];
      for (const id of line.machines) {
        const machine = byId.get(id);
        if (!machine) continue;
        seenMachines.add(id);
        let row = machineRows.get(id);
        if (!row) {
          row = machineRow(id);
          machineRows.set(id, row);
        }
        if (after.nextSibling !== row) after.after(row);
        after = row;
        updateMachine(row, machine, states.get(id), status.now);
      }
    }
    for (const [name, body] of lineBodies) {
      if (!seenLines.has(name)) {
        body.remove();
        lineBodies.delete(name);
      }
    }
    for (const [id, row] of machineRows) {
      if (!seenMachines.has(id)) {
        row.remove();
        machineRows.delete(id);
      }
    }
  }

  function lineBody(name) {
    const head = el(
      "tr",
      { class: "line-head" },
      el(
        "th",
        { colspan: "9", scope: "rowgroup" },
        el("span", { class: "line-label" }, "LINE"),
        el("span", { class: "line-name" }, name),
        el("span", { class: "line-port" }),
        el("span", { class: "line-state badge" }),
        el("span", { class: "line-error" }),
      ),
    );
    return el("tbody", { "data-line": name }, head);
  }

  function updateLineHead(body, line) {
    body.dataset.connected = String(line.connected);
    const th = body.rows[0].cells[0];
    setText(th.querySelector(".line-port"), line.port);
    const state = th.querySelector(".line-state");
    state.dataset.state = line.connected ? "ok" : "fail";
    setText(state, line.connected ? "● PORT OPEN" : "✖ PORT DOWN");
    const detail = [];
    if (!line.connected && line.last_error) detail.push(line.last_error);
    if (line.reopen_count) detail.push(`reopened ${line.reopen_count}×`);
    if (line.notice) detail.push(line.notice);
    setText(th.querySelector(".line-error"), detail.join(" · "));
  }

  const MACHINE_CELLS = ["state", "id", "address", "poll_rate", "poll_p99", "timeouts", "crc_errors", "last_reply", "last_event"];

  function machineRow(id) {
    const row = el("tr", { "data-machine": id });
    for (const field of MACHINE_CELLS) {
      const numeric = !["state", "id", "last_event"].includes(field);
      row.append(el("td", { "data-field": field, class: numeric ? "num" : "" }));
    }
    row.cells[0].append(el("span", { class: "badge state" }));
    return row;
  }

  function updateMachine(row, m, { state, recent }, nowIso) {
    row.dataset.online = String(m.online);
    row.dataset.state = state;
    const [badge, id, address, rate, p99, timeouts, crc, reply, last] = row.cells;
    const look = STATES[state];
    const stateBadge = badge.firstChild;
    stateBadge.dataset.state = state;
    setText(stateBadge, `${look.icon} ${look.text}`);
    setText(id, m.id);
    setText(address, String(m.address));
    setText(rate, m.poll_rate_hz === null ? "—" : `${m.poll_rate_hz.toFixed(1)} /s`);
    setText(p99, ms(m.poll_interval_p99_ms));
    setText(timeouts, num(m.timeouts));
    setText(crc, num(m.crc_errors));
    timeouts.classList.toggle("recent", recent.timeouts > 0);
    crc.classList.toggle("recent", recent.crc > 0);
    timeouts.title = `${recent.timeouts} in the last minute; ${m.polls} polls, ${m.replies} replies, ${m.nacks} NACKs, ${m.busy} busy, ${m.failed_polls} failed polls`;
    crc.title = `${recent.crc} in the last minute`;
    setText(reply, age(m.last_reply_age_s));
    const eventAge = since(m.last_event_at, nowIso);
    if (!last.firstChild) last.append(el("span", { class: "ev-name" }), " ", el("span", { class: "ev-age" }));
    setText(last.firstChild, m.last_event || "—");
    setText(last.lastChild, m.last_event ? `${age(eventAge)} ago` : "");
  }

  function renderBuffer(store, problems, warnings) {
    const box = $("buffer");
    let state = "ok";
    let label = "● OK";
    if (store.full) {
      state = "fail";
      label = "✖ FULL";
      problems.push("store full");
    } else if (!store.healthy) {
      state = "fail";
      label = "✖ FAILING";
      problems.push("store failing");
    } else if ((store.oldest_undelivered_age_s || 0) > BACKLOG_WARN_S) {
      state = "warn";
      label = "▲ BACKLOG";
      warnings.push(`undelivered for ${age(store.oldest_undelivered_age_s)}`);
    }
    box.dataset.state = state;
    $("buffer-state").dataset.state = state;
    setText($("buffer-state"), label);
    setText($("buffer-depth"), num(store.undelivered));
    setText($("buffer-age"), store.oldest_undelivered_age_s === null ? "none" : age(store.oldest_undelivered_age_s));
    setText($("buffer-seq"), num(store.last_seq));
    const error = $("buffer-error");
    error.hidden = !store.last_error;
    setText(error, store.last_error || "");
  }

  const sinkCards = new Map(); // sink name -> div

  function sinkCard(name) {
    return el(
      "div",
      { class: "sink", "data-sink": name },
      el("div", { class: "sink-head" }, el("span", { class: "badge state" }), el("span", { class: "sink-name" }, name)),
      el("div", { class: "sink-endpoint muted" }),
      el(
        "dl",
        { class: "sink-facts" },
        el("div", {}, el("dt", {}, "Lag"), el("dd", { "data-field": "lag" })),
        el("div", {}, el("dt", {}, "Oldest unconfirmed"), el("dd", { "data-field": "oldest" })),
        el("div", {}, el("dt", {}, "Latency p50 / p99"), el("dd", { "data-field": "latency" })),
      ),
      el("div", { class: "sink-error error-text" }),
    );
  }

  function renderSinks(sinks, problems, warnings) {
    const box = $("sinks");
    $("no-sinks").hidden = sinks.length > 0;
    const seen = new Set();
    for (const sink of sinks) {
      seen.add(sink.name);
      let card = sinkCards.get(sink.name);
      if (!card) {
        card = sinkCard(sink.name);
        sinkCards.set(sink.name, card);
        box.append(card);
      }
      let state = "connected";
      let look = "● CONNECTED";
      if (!sink.connected) {
        state = "down";
        look = "✖ DOWN";
        problems.push(`sink ${sink.name} down`);
      } else if (sink.blocked) {
        state = "blocked";
        look = "▲ BLOCKED";
        warnings.push(`sink ${sink.name} blocked`);
      } else if ((sink.oldest_unconfirmed_age_s || 0) > BACKLOG_WARN_S) {
        warnings.push(`sink ${sink.name} lagging`);
      }
      card.dataset.state = state;
      const badge = card.querySelector(".state");
      badge.dataset.state = state;
      setText(badge, look);
      setText(card.querySelector(".sink-endpoint"), sink.endpoint || "no endpoint");
      const field = (name) => card.querySelector(`[data-field="${name}"]`);
      setText(field("lag"), `${num(sink.lag_events)} events`);
      setText(field("oldest"), sink.oldest_unconfirmed_age_s === null ? "none" : age(sink.oldest_unconfirmed_age_s));
      setText(field("latency"), `${ms(sink.latency_p50_ms)} / ${ms(sink.latency_p99_ms)}`);
      const errors = [];
      if (sink.blocked) errors.push(`blocked: ${sink.blocked}`);
      if (sink.last_error) {
        const ago = sink.last_error_at && lastNow ? ` (${age(since(sink.last_error_at, lastNow))} ago)` : "";
        errors.push(`last error: ${sink.last_error}${ago}`);
      }
      setText(card.querySelector(".sink-error"), errors.join(" · "));
    }
    for (const [name, card] of sinkCards) {
      if (!seen.has(name)) {
        card.remove();
        sinkCards.delete(name);
      }
    }
  }

  // ---------------------------------------------------------------- live tail

  let paused = false;
  let pending = [];
  let shownSeq = 0; // the highest seq the tail has taken

  /** One stored event from the stream, on top. A new stream starts with the recent events
   * again: those already taken are skipped, and a jump in seq leaves a gap row. */
  function addEvent(ev) {
    if (ev.seq <= shownSeq) return;
    if (shownSeq && ev.seq > shownSeq + 1) addGap(shownSeq + 1, ev.seq - 1);
    shownSeq = ev.seq;
    if (paused) {
      pending.push(ev);
      if (pending.length > TAIL_MAX) pending.shift();
      setText($("tail-pause"), `Resume (${pending.length} new)`);
      return;
    }
    const tail = $("tail");
    const row = eventRow(ev);
    applyFilter(row);
    tail.prepend(row);
    while (tail.rows.length > TAIL_MAX) tail.lastElementChild.remove();
    $("tail-empty").hidden = true;
  }

  function eventRow(ev) {
    const time = new Date(ev.timestamp);
    const summary = summarize(ev.data);
    const details = el("td", { class: "details", title: summary }, summary);
    if (ev.replayed) details.prepend(el("span", { class: "tag" }, "replayed"));
    if (ev.possible_duplicate) details.prepend(el("span", { class: "tag" }, "dup?"));
    return el(
      "tr",
      {
        "data-seq": String(ev.seq),
        "data-event": ev.event,
        "data-machine": ev.machine,
        "data-channel": ev.channel,
      },
      el("td", { class: "time", title: ev.timestamp }, isNaN(time) ? ev.timestamp : clock(time)),
      el("td", { class: "machine" }, ev.machine),
      el("td", { class: "event" }, el("span", { class: `chan chan-${ev.channel}` }, ev.channel), ev.event),
      details,
    );
  }

  function addGap(from, to) {
    const tail = $("tail");
    if (!tail.rows.length) return;
    const count = to - from + 1;
    const text = `${count} event${count === 1 ? "" : "s"} not shown here (seq ${from}–${to}): see /api/events.`;
    const row = el("tr", { class: "gap" }, el("td", { colspan: "4" }, text));
    tail.prepend(row);
  }

  function applyFilter(row) {
    const words = $("tail-filter").value.trim().toLowerCase();
    if (row.dataset.event === undefined) return;
    const text = `${row.dataset.machine} ${row.dataset.event} ${row.dataset.channel}`.toLowerCase();
    row.hidden = words !== "" && !words.split(/\s+/).every((w) => text.includes(w));
  }

  $("tail-filter").addEventListener("input", () => {
    for (const row of $("tail").rows) applyFilter(row);
  });

  $("tail-pause").addEventListener("click", () => {
    paused = !paused;
    const button = $("tail-pause");
    button.setAttribute("aria-pressed", String(paused));
    setText(button, paused ? "Resume" : "Pause");
    if (!paused) {
      const queued = pending;
      pending = [];
      for (const ev of queued) addEvent(ev);
    }
  });

  // ---------------------------------------------------------------- charts

  const SVG = "http://www.w3.org/2000/svg";
  const CHARTS = [
    { id: "chart-events", key: "events_per_s", fmt: (v) => `${v.toFixed(v < 10 ? 1 : 0)} /s` },
    { id: "chart-buffer", key: "buffer_depth", fmt: (v) => num(Math.round(v)) },
    { id: "chart-poll", key: "poll_latency_p99_ms", fmt: (v) => ms(v) },
  ];

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function drawChart(chart, history) {
    const box = $(chart.id);
    const W = 300;
    const H = 60;
    const span = 3600;
    const points = history.points;
    const end = points.length ? Date.parse(points[points.length - 1].at) / 1000 : 0;
    const endAt = lastNow ? Math.max(end, Date.parse(lastNow) / 1000) : end;
    const values = points.map((p) => p[chart.key]).filter((v) => v !== null);
    const max = Math.max(1, ...values);
    const x = (t) => ((t - (endAt - span)) / span) * W;
    const y = (v) => H - 2 - (v / (max * 1.1)) * (H - 4);
    // split the line where a value is missing or the agent was not sampling
    const segments = [];
    let current = [];
    let previous = null;
    for (const p of points) {
      const t = Date.parse(p.at) / 1000;
      const v = p[chart.key];
      const broken = previous !== null && t - previous > history.step_s * 2.5;
      if (v === null || broken) {
        if (current.length) segments.push(current);
        current = [];
      }
      if (v !== null && t >= endAt - span) current.push([x(t), y(v)]);
      previous = t;
    }
    if (current.length) segments.push(current);

    const children = [svg("line", { x1: 0, y1: H - 1, x2: W, y2: H - 1, class: "baseline" })];
    for (const seg of segments) {
      const coords = seg.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ");
      if (seg.length > 1) {
        const area = `${seg[0][0].toFixed(1)},${H} ${coords} ${seg[seg.length - 1][0].toFixed(1)},${H}`;
        children.push(svg("polygon", { points: area, class: "area" }));
        children.push(svg("polyline", { points: coords, class: "stroke" }));
      } else {
        children.push(svg("circle", { cx: seg[0][0], cy: seg[0][1], r: 1.5, class: "dot" }));
      }
    }
    box.replaceChildren(...children);
    box.dataset.points = String(values.length);
    const last = points.length ? points[points.length - 1][chart.key] : null;
    setText($(`${chart.id}-now`), last === null ? "—" : `now ${chart.fmt(last)}`);
    setText($(`${chart.id}-max`), values.length ? `max ${chart.fmt(Math.max(...values))}` : "no data yet");
  }

  async function refreshHistory() {
    clearTimeout(historyTimer);
    const round = ++historyRound;
    try {
      const response = await api("api/history");
      const history = await response.json();
      for (const chart of CHARTS) drawChart(chart, history);
    } catch (error) {
      if (error instanceof AuthNeeded) return askForToken();
      // the stream reports connection trouble; the charts just wait for the next round
    }
    if (round === historyRound) historyTimer = setTimeout(refreshHistory, HISTORY_EVERY_MS);
  }

  // ---------------------------------------------------------------- start

  function start() {
    hideBanner();
    $("forget-token").hidden = token() === null;
    stream();
  }

  start();
})();
