// A real socket.io@0.9.19 server for the PBX client conformance tests and the ingest benchmark.
// Usage: node sio_server.js '{"port":0,"key":"K","domain":"D","heartbeatInterval":1,"heartbeatTimeout":3}'
// Stdout: one JSON object per line ({"event":"listening","port":N}, "connection", "command", ...).
// Stdin: one JSON command per line: {"cmd":"emit","name":..,"args":[..]}, {"cmd":"raw","frame":".."},
// {"cmd":"disconnect"}, {"cmd":"flood","n":N} (channel_* events as fast as possible, then "flooded"),
// {"cmd":"subscribe_reply","reply":{..}|null} (answer later subscribes with exactly this reply; null = normal).
'use strict';
var http = require('http');
var readline = require('readline');
var sio = require('socket.io');

var cfg = JSON.parse(process.argv[2] || '{}');
var out = function (obj) { process.stdout.write(JSON.stringify(obj) + '\n'); };
var server = http.createServer(function (req, res) { res.writeHead(404); res.end(); });
var io = sio.listen(server, { log: false });
io.set('transports', ['websocket']);
io.set('heartbeat interval', cfg.heartbeatInterval || 25);
io.set('heartbeat timeout', cfg.heartbeatTimeout || 60);
io.set('close timeout', cfg.heartbeatTimeout || 60);
io.set('authorization', function (hs, done) {
  var q = hs.query || {};
  done(null, q.key === cfg.key && q.domain === cfg.domain);
});

var sockets = {};
var subscribeReply = null;
var COMMANDS = ['make_call', 'transfer', 'bridge', 'eavesdrop', 'hangup_call', 'subscribe', 'reboot_phone',
  'reloadgw', 'sip_message', 'flush_reg', 'trunk_list', 'user_list', 'message'];

function reply(name, data) {
  var values = Object.keys(data || {}).map(function (k) { return data[k]; });
  if (values.indexOf('SILENT') >= 0) { return null; }
  if (values.indexOf('FAIL') >= 0) { return { status: false, text: 'CALL_REJECTED' }; }
  if (name === 'subscribe' && subscribeReply) { return JSON.parse(JSON.stringify(subscribeReply)); }
  if (name === 'subscribe') {
    var ev = data.events || {};
    var res = { fax: false, conference: false };
    Object.keys(ev).forEach(function (k) { res[k] = !!ev[k]; });
    return { status: true, data: res, text: 'Subscriptions are updated' };
  }
  if (name === 'make_call' || name === 'eavesdrop') { return { status: true, data: { uuid: 'uuid-' + name } }; }
  if (name === 'trunk_list') {
    return { status: true, data: [{ extension: 1, desc: 'Main', dest: '201', uri: 'sip:a@b', status: 'REGED' }] };
  }
  if (name === 'user_list') {
    return { status: true, data: [{ name: 'Anna', uid: 201, ip: '1.2.3.4', port: '5060', local_ip: '10.0.0.2',
      local_port: 5060, exp: '1700000000000', realm: 'd.onpbx.ru', agent: 'Yealink' }] };
  }
  return { status: true, data: null };
}

io.sockets.on('connection', function (socket) {
  sockets[socket.id] = socket;
  out({ event: 'connection', sid: socket.id });
  COMMANDS.forEach(function (name) {
    socket.on(name, function (data) {
      out({ event: 'command', name: name, data: data });
      var r = reply(name, data);
      if (r && data && data.callback_hash) { r.hash = data.callback_hash; socket.emit('callback', r); }
    });
  });
  socket.on('disconnect', function () { delete sockets[socket.id]; out({ event: 'disconnect', sid: socket.id }); });
});

function each(fn) { Object.keys(sockets).forEach(function (id) { fn(sockets[id]); }); }

function flood(n) {
  var start = Date.now();
  var legs = ['inbound', 'outbound'];
  each(function (socket) {
    var t = io.transports[socket.id];
    for (var i = 0; i < n; i++) {
      var uuid = 'a1b2c3d4-0000-4000-8000-' + ('000000000000' + i).slice(-12);
      var kind = i % 3;
      var packet;
      if (kind === 0) {
        packet = { type: 'event', name: 'channel_create', args: [{ uuid: uuid, direction: legs[i % 2],
          created_stamp: String(1700000000000 + i), state: 'CS_INIT', endpoint: '201@demo.onpbx.ru',
          domain: 'demo.onpbx.ru', caller_number: '+74951234567', caller_name: 'Caller ' + i,
          destination_number: '201', destination_host: 'demo.onpbx.ru', gate: '1', diversion: '' }] };
      } else if (kind === 1) {
        packet = { type: 'event', name: 'channel_answer', args: [{ uuid: uuid, answered_stamp: 1700000001000 + i,
          read_codec: 'PCMA', read_rate: '8000', read_bitrate: '64000', write_codec: 'PCMA',
          write_rate: 8000, write_bitrate: 64000 }] };
      } else {
        packet = { type: 'event', name: 'channel_destroy', args: [{ uuid: uuid, direction: 'inbound',
          created_stamp: 1700000000000 + i, state: 'CS_DESTROY', endpoint: '201@demo.onpbx.ru',
          hangup_cause: 'NORMAL_CLEARING' }] };
      }
      t.packet(packet);
    }
  });
  out({ event: 'flooded', n: n, ms: Date.now() - start });
}

readline.createInterface({ input: process.stdin }).on('line', function (line) {
  var msg;
  try { msg = JSON.parse(line); } catch (e) { out({ event: 'error', error: String(e) }); return; }
  if (msg.cmd === 'emit') { each(function (s) { s.emit.apply(s, [msg.name].concat(msg.args || [])); }); }
  else if (msg.cmd === 'raw') { each(function (s) { io.transports[s.id].write(msg.frame); }); }
  else if (msg.cmd === 'disconnect') { each(function (s) { s.disconnect(); }); }
  else if (msg.cmd === 'flood') { flood(msg.n || 1000); }
  else if (msg.cmd === 'subscribe_reply') { subscribeReply = msg.reply || null; }
  out({ event: 'done', cmd: msg.cmd });
}).on('close', function () { process.exit(0); });

server.listen(cfg.port || 0, '127.0.0.1', function () { out({ event: 'listening', port: server.address().port }); });
