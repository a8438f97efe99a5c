// The API 3.0 side of bench/b_ingest.py: a `ws` server that answers `subscribe` and, on
// {"cmd":"flood","n":N} from stdin, sends the same N channel_* events as sio_server.js's flood,
// shaped as 3.0 JSON frames. Prints {"event":"listening","port"}, {"event":"command"}, {"event":"flooded"}.
// Usage: node ws_flood_server.js KEY
'use strict';
var readline = require('readline');
var WebSocket = require('ws');

var key = process.argv[2];
var out = function (obj) { process.stdout.write(JSON.stringify(obj) + '\n'); };
var sockets = new Set();
var wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: 0 }, function () {
  out({ event: 'listening', port: wss.address().port });
});
wss.on('connection', function (ws, req) {
  if (new URL(req.url, 'http://x').searchParams.get('key') !== key) { ws.close(4401, 'invalid key'); return; }
  sockets.add(ws);
  ws.on('close', function () { sockets.delete(ws); out({ event: 'disconnect' }); });
  ws.on('message', function (data) {
    var msg = JSON.parse(data.toString());
    var reply = { event: msg.command === 'subscribe' ? 'subscribed' : 'error_' + msg.command, reqId: msg.reqId,
      data: msg.data };
    ws.send(JSON.stringify(reply));
    out({ event: 'command', name: msg.command });
  });
});

function frame(i) {
  var uuid = 'a1b2c3d4-0000-4000-8000-' + ('000000000000' + i).slice(-12);
  var call = 'c0c0c0c0-0000-4000-8000-' + ('000000000000' + Math.floor(i / 3)).slice(-12);
  var kind = i % 3;
  if (kind === 0) {
    return { event: 'channel_create', data: { uuid: uuid, call_uuid: call, direction: i % 2 ? 'outbound' : 'inbound',
      created_stamp: 1700000000000 + i, state: 'CS_INIT', domain: 'demo.onpbx.ru', caller_number: '+74951234567',
      caller_name: 'Caller ' + i, destination_number: '201', destination_host: 'demo.onpbx.ru', gateway_id: '1',
      gateway_number: '1', origin: '' } };
  }
  if (kind === 1) {
    return { event: 'channel_answer', data: { uuid: uuid, call_uuid: call, answered_stamp: 1700000001000 + i,
      read_codec: 'PCMA', read_rate: '8000', read_bitrate: '64000', write_codec: 'PCMA', write_rate: '8000',
      write_bitrate: '64000' } };
  }
  return { event: 'channel_destroy', data: { uuid: uuid, call_uuid: call, direction: 'inbound',
    created_stamp: 1700000000000 + i, state: 'CS_DESTROY', hangup_cause: 'NORMAL_CLEARING' } };
}

function flood(n) {
  var start = Date.now();
  sockets.forEach(function (ws) { for (var i = 0; i < n; i++) { ws.send(JSON.stringify(frame(i))); } });
  out({ event: 'flooded', n: n, ms: Date.now() - start });
}

readline.createInterface({ input: process.stdin }).on('line', function (line) {
  var msg = JSON.parse(line);
  if (msg.cmd === 'flood') { flood(msg.n || 1000); }
  out({ event: 'done', cmd: msg.cmd });
}).on('close', function () { process.exit(0); });
