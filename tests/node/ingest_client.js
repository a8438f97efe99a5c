// The Node socket.io-client 0.9.16 side of bench/b_ingest.py: connects, counts channel_* events,
// and prints {"event":"connected"} then {"event":"counted","n":N,"ms":elapsed from first to last}.
// Usage: node ingest_client.js URL KEY DOMAIN N
'use strict';
var io = require('socket.io-client');
var url = process.argv[2], key = process.argv[3], domain = process.argv[4], n = Number(process.argv[5]);
var out = function (obj) { process.stdout.write(JSON.stringify(obj) + '\n'); };
var socket = io.connect(url, { query: 'key=' + encodeURIComponent(key) + '&domain=' + encodeURIComponent(domain),
  transports: ['websocket'], 'force new connection': true, reconnect: false });
var count = 0, first = 0;
function onEvent() {
  if (count === 0) { first = process.hrtime.bigint(); }
  count += 1;
  if (count === n) {
    out({ event: 'counted', n: count, ms: Number(process.hrtime.bigint() - first) / 1e6 });
    process.exit(0);
  }
}
['channel_create', 'channel_answer', 'channel_destroy'].forEach(function (name) { socket.on(name, onEvent); });
socket.on('connect', function () { out({ event: 'connected' }); });
socket.on('error', function (e) { out({ event: 'error', error: String(e) }); process.exit(1); });
