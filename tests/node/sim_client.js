// The vendor's own client library (socket.io-client 0.9.16) against the simulator.
// Usage: node sim_client.js '<json config>'  — prints one JSON object per line on stdout.
// Config: {url, key, domain, subscribe: {...}|null, commands: [{name, data, hash}], duration_ms,
//          resubscribe: bool}. Commands are sent after the first subscribe, like onpbx_ws_api_2.js.
var io = require('socket.io-client');
var cfg = JSON.parse(process.argv[2]);
var EVENTS = ['channel_create', 'channel_destroy', 'channel_answer', 'channel_bridge',
  'channel_application', 'blf', 'registration', 'message', 'callback'];

function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

var query = 'key=' + encodeURIComponent(cfg.key) + '&domain=' + encodeURIComponent(cfg.domain);
var socket = io.connect(cfg.url, {
  query: query, transports: ['websocket'], 'force new connection': true,
  'reconnection delay': 100, 'max reconnection attempts': 5
});
var connects = 0;

socket.on('connect', function () {
  connects += 1;
  out({ev: 'connect', n: connects});
  if (cfg.subscribe && (connects === 1 || cfg.resubscribe)) {
    socket.emit('subscribe', {events: cfg.subscribe, callback_hash: 'sub' + connects + 'aaaaaaaaaaaaa'});
  }
  if (connects === 1) {
    (cfg.commands || []).forEach(function (c) {
      var data = JSON.parse(JSON.stringify(c.data || {}));
      data.callback_hash = c.hash === undefined ? false : c.hash;
      socket.emit(c.name, data);
    });
  }
});
socket.on('disconnect', function (reason) { out({ev: 'disconnect', reason: String(reason)}); });
socket.on('reconnect', function () { out({ev: 'reconnect'}); });
socket.on('error', function (err) { out({ev: 'error', data: String(err)}); });
socket.on('connect_failed', function () { out({ev: 'connect_failed'}); });
EVENTS.forEach(function (name) {
  socket.on(name, function (data) { out({ev: 'event', name: name, data: data}); });
});
setTimeout(function () {
  out({ev: 'done'});
  if (socket.socket.connected) socket.disconnect();  // 0.9.16 throws when never connected
  setTimeout(function () { process.exit(0); }, 50);
}, cfg.duration_ms || 1000);
