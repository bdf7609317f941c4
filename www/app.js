// chatd web client: speaks the chatd.v1 WebSocket subprotocol (docs/PROTOCOLS.md).
// Plain JavaScript, no build step, no dependencies. All user text goes into the page through
// textContent, never innerHTML, and the page runs under a CSP without 'unsafe-inline'.
"use strict";

const $ = (id) => document.getElementById(id);
const els = {
  status: $("status"), me: $("me"), title: $("title"), menu: $("menu"), sidebar: $("sidebar"),
  joined: $("joined"), privateList: $("private"), allRooms: $("all-rooms"), refreshRooms: $("refresh-rooms"),
  joinForm: $("join-form"), joinInput: $("join-input"), log: $("log"), older: $("older"),
  messages: $("messages"), compose: $("compose"), input: $("input"), send: $("send"),
  nickDialog: $("nick-dialog"), nickForm: $("nick-form"), nickInput: $("nick-input"), nickError: $("nick-error"),
};

// A conversation is a room ("lobby") or a private one ("@bob").
const state = {
  nick: localStorage.getItem("chatd.nick") || "",
  socket: null,
  online: false,
  retries: 0,
  retryTimer: 0,
  conversations: new Map(), // key -> {key, room, entries: [], unread, oldestSeq, more, members}
  joined: JSON.parse(localStorage.getItem("chatd.rooms") || '["lobby"]'),
  active: localStorage.getItem("chatd.active") || "lobby",
  allRooms: [],
  history: [], historyIndex: -1, // sent-line recall with ArrowUp/ArrowDown
};

const HELP = [
  "/join ROOM — join a room (or type it in the box on the left)",
  "/part [ROOM] — leave the current room (also /leave)",
  "/nick NAME — change your nickname",
  "/me TEXT — an action: * you TEXT",
  "/msg NAME TEXT — a private message",
  "/who — who is in this room",
  "/rooms — list the rooms",
  "//TEXT — a message that starts with /",
  "Keys: Alt+↑/↓ switch conversation, Alt+R room list, Esc back to the input, PageUp at the top loads older messages",
];

// ---- connection ---------------------------------------------------------------------------

function socketURL() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

function setStatus(kind, text) {
  els.status.dataset.state = kind;
  els.status.textContent = text;
  els.input.disabled = els.send.disabled = kind !== "online";
}

function connect() {
  clearTimeout(state.retryTimer);
  setStatus("connecting", state.retries ? `reconnecting (try ${state.retries + 1})…` : "connecting…");
  let socket;
  try {
    socket = new WebSocket(socketURL(), "chatd.v1");
  } catch (error) {
    scheduleReconnect();
    return;
  }
  state.socket = socket;
  socket.addEventListener("open", () => send({ type: "hello", nick: state.nick }));
  socket.addEventListener("message", (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    handle(message);
  });
  socket.addEventListener("close", (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    state.online = false;
    const why = event.reason ? `: ${event.reason}` : "";
    if (event.code === 1008 || event.code === 1003) systemLine(`disconnected (${event.code}${why})`, "error");
    scheduleReconnect();
  });
}

// Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 30 s, so a restarted daemon
// is not hit by every browser at the same instant.
function scheduleReconnect() {
  const delay = Math.min(30000, 500 * 2 ** state.retries) * (0.75 + Math.random() * 0.5);
  state.retries += 1;
  setStatus("offline", `offline — retrying in ${Math.ceil(delay / 1000)} s`);
  state.retryTimer = setTimeout(connect, delay);
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
    return true;
  }
  return false;
}

// ---- server messages ------------------------------------------------------------------------

function handle(message) {
  switch (message.type) {
    case "welcome": {
      state.online = true;
      state.retries = 0;
      state.nick = message.nick;
      localStorage.setItem("chatd.nick", state.nick);
      els.me.textContent = state.nick;
      setStatus("online", "online");
      for (const room of state.joined) joinRoom(room, false);
      send({ type: "rooms" });
      break;
    }
    case "message": case "action": case "notice": case "join": case "part": case "nick": {
      const conv = conversation(message.room);
      addEntry(conv, message, true);
      if (message.type === "nick" && message.from === state.nick) {
        state.nick = message.nick;
        localStorage.setItem("chatd.nick", state.nick);
        els.me.textContent = state.nick;
      }
      if ((message.type === "join" || message.type === "part") && conv.members) {
        if (message.type === "join") conv.members.add(message.from); else conv.members.delete(message.from);
        renderRoomLists();
      }
      break;
    }
    case "history": {
      const conv = conversation(message.room);
      const known = new Set(conv.entries.map((e) => e.seq));
      const older = message.events.filter((e) => !known.has(e.seq));
      const atTop = conv.entries.length > 0 && older.length > 0 && older[older.length - 1].seq < conv.entries[0].seq;
      conv.entries = atTop ? older.concat(conv.entries) : conv.entries.concat(older).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
      conv.more = message.more;
      conv.loading = false;
      if (conv.key === state.active) renderMessages(atTop ? "keep" : "bottom");
      break;
    }
    case "private": {
      const other = message.from === state.nick ? message.to : message.from;
      addEntry(conversation("@" + other), message, true);
      break;
    }
    case "rooms": {
      state.allRooms = message.rooms;
      renderRoomLists();
      break;
    }
    case "who": {
      const conv = conversation(message.room);
      conv.members = new Set(message.members);
      // The server also sends the member list with every join: show it only when asked (/who).
      if (conv.whoAsked) systemLine(`in ${message.room}: ${message.members.join(", ")}`, "notice", conv);
      conv.whoAsked = false;
      renderRoomLists();
      break;
    }
    case "notice":
      systemLine(message.text, "notice");
      break;
    case "error": {
      if (!state.online && message.code && message.code.startsWith("nick")) {
        // The hello was refused: ask for another nickname.
        askNick(message.text);
      } else {
        systemLine(message.text, "error");
      }
      break;
    }
  }
}

// ---- model ----------------------------------------------------------------------------------

function conversation(key) {
  let conv = state.conversations.get(key);
  if (!conv) {
    conv = { key, isPrivate: key.startsWith("@"), entries: [], unread: 0, more: false, members: null, loading: false };
    state.conversations.set(key, conv);
    renderRoomLists();
  }
  return conv;
}

function addEntry(conv, entry, live) {
  conv.entries.push(entry);
  // Bound the page's memory: older lines can be fetched again with "Load older".
  if (conv.entries.length > 2000) { conv.entries.splice(0, conv.entries.length - 2000); conv.more = true; }
  if (conv.key === state.active && document.visibilityState === "visible") {
    appendMessage(entry);
  } else if (live && entry.type !== "join" && entry.type !== "part") {
    conv.unread += 1;
    renderRoomLists();
    if (conv.key === state.active) appendMessage(entry);
  }
}

function systemLine(text, kind, conv) {
  const target = conv || conversation(state.active);
  addEntry(target, { type: kind, local: true, from: "", text, time: Date.now() }, false);
}

function joinRoom(room, activate) {
  room = room.replace(/^#/, "").trim();
  if (!room) return;
  conversation(room);
  if (!state.joined.includes(room)) state.joined.push(room);
  saveRooms();
  send({ type: "join", room });
  if (activate) activate_(room);
}

function partRoom(room) {
  send({ type: "part", room });
  state.joined = state.joined.filter((r) => r !== room);
  state.conversations.delete(room);
  saveRooms();
  if (state.active === room) activate_(state.joined[0] || "lobby");
  renderRoomLists();
}

function saveRooms() {
  localStorage.setItem("chatd.rooms", JSON.stringify(state.joined));
}

function activate_(key) {
  state.active = key;
  localStorage.setItem("chatd.active", key);
  const conv = conversation(key);
  conv.unread = 0;
  els.title.textContent = conv.isPrivate ? `private with ${key.slice(1)}` : `#${key}`;
  document.title = `${conv.isPrivate ? key : "#" + key} — chatd`;
  els.input.placeholder = conv.isPrivate ? `Message ${key.slice(1)}` : `Message #${key}, or /help`;
  closeDrawer();
  renderRoomLists();
  renderMessages("bottom");
}

function loadOlder() {
  const conv = conversation(state.active);
  if (conv.isPrivate || !conv.more || conv.loading) return;
  const oldest = conv.entries.find((e) => typeof e.seq === "number");
  conv.loading = true;
  send({ type: "history", room: conv.key, before: oldest ? oldest.seq : null, limit: 50 });
}

// ---- input ----------------------------------------------------------------------------------

function submit(text) {
  if (!text.trim()) return;
  state.history.push(text);
  state.historyIndex = state.history.length;
  const conv = conversation(state.active);
  if (text.startsWith("//")) return say(conv, text.slice(1));
  if (!text.startsWith("/")) return say(conv, text);
  const [, command, rest = ""] = text.match(/^\/(\S+)\s*([\s\S]*)$/) || [];
  const arg = rest.trim();
  switch ((command || "").toLowerCase()) {
    case "join": return arg ? joinRoom(arg.split(/\s+/)[0], true) : systemLine("usage: /join ROOM", "error");
    case "part": case "leave": {
      const room = arg || (conv.isPrivate ? "" : conv.key);
      if (!room) return systemLine("usage: /part ROOM", "error");
      return partRoom(room.replace(/^#/, ""));
    }
    case "nick": return arg ? send({ type: "nick", nick: arg }) : systemLine("usage: /nick NAME", "error");
    case "me":
      if (!arg) return systemLine("usage: /me TEXT", "error");
      if (conv.isPrivate) return systemLine("/me works in rooms", "error");
      return send({ type: "me", room: conv.key, text: rest });
    case "msg": case "query": {
      const match = rest.match(/^(\S+)\s+([\s\S]+)$/);
      if (!match) return systemLine("usage: /msg NAME TEXT", "error");
      conversation("@" + match[1]);
      send({ type: "msg", to: match[1], text: match[2] });
      return activate_("@" + match[1]);
    }
    case "who":
      if (conv.isPrivate) return systemLine("/who works in rooms", "error");
      conv.whoAsked = true;
      return send({ type: "who", room: conv.key });
    case "rooms": send({ type: "rooms" }); return openDrawer();
    case "help": for (const line of HELP) systemLine(line, "notice"); return;
    default: return systemLine(`unknown command /${command} (try /help)`, "error");
  }
}

function say(conv, text) {
  if (conv.isPrivate) send({ type: "msg", to: conv.key.slice(1), text });
  else send({ type: "say", room: conv.key, text });
}

// ---- rendering (textContent only) -------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The same nick always gets the same of 12 colours (FNV-1a over the UTF-16 code units).
function nickClass(nick) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < nick.length; i++) hash = Math.imul(hash ^ nick.charCodeAt(i), 0x01000193);
  return `nick-${(hash >>> 0) % 12}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function messageNode(entry) {
  const item = el("li", "msg");
  const when = new Date(entry.time || Date.now());
  const time = el("time", "", timeFormat.format(when));
  time.dateTime = when.toISOString();
  time.title = fullFormat.format(when);
  item.append(time);
  const from = el("span", "from", entry.from || "");
  if (entry.from) from.classList.add(nickClass(entry.from));
  let text;
  switch (entry.type) {
    case "message": text = entry.text; break;
    case "private": item.classList.add("private"); text = entry.text; break;
    case "action": item.classList.add("action"); text = entry.text; break;
    case "join": item.classList.add("event"); text = `joined #${entry.room}`; break;
    case "part": item.classList.add("event"); text = `left #${entry.room}`; break;
    case "nick": item.classList.add("event"); text = `is now known as ${entry.nick}`; break;
    case "error": item.classList.add("error"); text = entry.text; break;
    default: item.classList.add("notice"); text = entry.text; break;
  }
  if (typeof entry.seq === "number") item.dataset.seq = String(entry.seq);
  item.append(from, el("span", "text", text));
  return item;
}

function nearBottom() {
  return els.log.scrollHeight - els.log.scrollTop - els.log.clientHeight < 40;
}

function appendMessage(entry) {
  const stick = nearBottom();
  els.messages.append(messageNode(entry));
  if (stick || entry.from === state.nick) els.log.scrollTop = els.log.scrollHeight;
}

function renderMessages(scroll) {
  const conv = conversation(state.active);
  const before = els.log.scrollHeight - els.log.scrollTop;
  els.messages.replaceChildren(...conv.entries.map(messageNode));
  els.older.hidden = conv.isPrivate || !conv.more;
  if (scroll === "keep") els.log.scrollTop = els.log.scrollHeight - before;
  else els.log.scrollTop = els.log.scrollHeight;
}

function roomButton(key, label, count, unread, onClick = () => activate_(key)) {
  const item = el("li");
  const button = el("button");
  button.type = "button";
  button.dataset.key = key;
  if (key === state.active) button.setAttribute("aria-current", "true");
  button.append(el("span", "name", label));
  if (count !== undefined) button.append(el("span", "count", String(count)));
  const badge = el("span", "unread", unread ? String(unread) : "");
  badge.setAttribute("aria-label", unread ? `${unread} unread` : "");
  button.append(badge);
  if (unread) item.classList.add("has-unread");
  button.addEventListener("click", onClick);
  item.append(button);
  return item;
}

function renderRoomLists() {
  const counts = new Map(state.allRooms.map((r) => [r.room, r.members]));
  els.joined.replaceChildren(...state.joined.map((room) => {
    const conv = state.conversations.get(room);
    const members = conv && conv.members ? conv.members.size : counts.get(room);
    return roomButton(room, `#${room}`, members, conv ? conv.unread : 0);
  }));
  const privates = [...state.conversations.values()].filter((c) => c.isPrivate);
  els.privateList.replaceChildren(...privates.map((c) => roomButton(c.key, c.key.slice(1), undefined, c.unread)));
  els.allRooms.replaceChildren(...state.allRooms.filter((r) => !state.joined.includes(r.room))
    .map((r) => roomButton(r.room, `#${r.room}`, r.members, 0, () => joinRoom(r.room, true))));
}

// ---- nickname, drawer, keyboard ---------------------------------------------------------------

function askNick(error) {
  els.nickError.textContent = error || "";
  els.nickInput.value = state.nick;
  if (!els.nickDialog.open) els.nickDialog.showModal();
  els.nickInput.focus();
}

function openDrawer() { els.sidebar.classList.add("open"); els.menu.setAttribute("aria-expanded", "true"); }
function closeDrawer() { els.sidebar.classList.remove("open"); els.menu.setAttribute("aria-expanded", "false"); }

function conversationKeys() {
  return state.joined.concat([...state.conversations.values()].filter((c) => c.isPrivate).map((c) => c.key));
}

els.nickForm.addEventListener("submit", (event) => {
  const nick = els.nickInput.value.trim();
  if (!nick) { event.preventDefault(); return; }
  state.nick = nick;
  if (state.socket) {
    // The first hello was refused: try again with the new name on the same connection.
    if (!send({ type: "hello", nick })) connect();
  } else {
    connect();
  }
  setTimeout(() => els.input.focus(), 0);
});

els.compose.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = els.input.value;
  els.input.value = "";
  submit(text);
});

els.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = els.joinInput.value.trim();
  els.joinInput.value = "";
  if (room) joinRoom(room, true);
  els.input.focus();
});

els.refreshRooms.addEventListener("click", () => send({ type: "rooms" }));
els.older.addEventListener("click", loadOlder);
els.log.addEventListener("scroll", () => { if (els.log.scrollTop === 0) loadOlder(); });
els.menu.addEventListener("click", () => (els.sidebar.classList.contains("open") ? closeDrawer() : openDrawer()));

els.input.addEventListener("keydown", (event) => {
  if (event.key === "ArrowUp" && !event.altKey && state.historyIndex > 0 && (els.input.value === "" || state.history.includes(els.input.value))) {
    state.historyIndex -= 1;
    els.input.value = state.history[state.historyIndex];
    event.preventDefault();
  } else if (event.key === "ArrowDown" && !event.altKey && state.historyIndex < state.history.length) {
    state.historyIndex += 1;
    els.input.value = state.history[state.historyIndex] || "";
    event.preventDefault();
  } else if (event.key === "PageUp" && els.log.scrollTop === 0) {
    loadOlder();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    const keys = conversationKeys();
    const index = keys.indexOf(state.active);
    const next = keys[(index + (event.key === "ArrowUp" ? -1 : 1) + keys.length) % keys.length];
    if (next) activate_(next);
    event.preventDefault();
  } else if (event.altKey && event.key.toLowerCase() === "r") {
    openDrawer();
    els.joinInput.focus();
    event.preventDefault();
  } else if (event.key === "Escape") {
    closeDrawer();
    els.input.focus();
  }
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    conversation(state.active).unread = 0;
    renderRoomLists();
    renderMessages("bottom");
  }
});

// ---- start --------------------------------------------------------------------------------------

if (!state.joined.includes(state.active) && !state.active.startsWith("@")) state.active = state.joined[0] || "lobby";
activate_(state.active);
setStatus("offline", "offline");
if (state.nick) connect(); else askNick();
