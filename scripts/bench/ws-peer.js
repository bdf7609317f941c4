// The WebSocket broadcast server chatd is compared with in `make bench`: the few lines a Node.js
// user would write with the `ws` library (Debian's node-ws) for chatd.v1's hello/join/say —
// rooms, and every message sent as one JSON string to each member of its room (the sender
// included, as chatd echoes it). Started and stopped by scripts/bench/run.sh; not a product.
//   node ws-peer.js PORT
"use strict";
const { WebSocketServer } = require("/usr/share/nodejs/ws");

const port = Number(process.argv[2]);
const rooms = new Map(); // room name -> Set of sockets
let seq = 0;

const server = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false, backlog: 4096 });
server.on("connection", (socket) => {
  socket.nick = "";
  socket.rooms = new Set();
  socket.on("message", (data) => {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    switch (m.type) {
      case "hello":
        socket.nick = m.nick;
        socket.send(JSON.stringify({ type: "welcome", nick: m.nick, server: "ws-peer" }));
        break;
      case "join": {
        let members = rooms.get(m.room);
        if (!members) rooms.set(m.room, (members = new Set()));
        members.add(socket);
        socket.rooms.add(m.room);
        socket.send(JSON.stringify({ type: "history", room: m.room, events: [], more: false }));
        break;
      }
      case "say": {
        const members = rooms.get(m.room);
        if (!members || !socket.rooms.has(m.room)) return;
        const text = JSON.stringify({ type: "message", room: m.room, from: socket.nick, text: m.text, time: Date.now(), seq: ++seq });
        for (const member of members) member.send(text);
        break;
      }
    }
  });
  socket.on("close", () => {
    for (const room of socket.rooms) rooms.get(room)?.delete(socket);
  });
});
