// The `ws` package (the WebSocket client public API 3.0 integrations use) against the simulator.
// Usage: node ws_client.js '<json config>'  — prints one JSON object per line on stdout.
// Config: {url, subscribe: [groups]|null, commands: [{command, data, reqId}], ping: bool,
//          duration_ms}. Commands go out after the `subscribed` reply (or at once without subscribe).
var WebSocket = require('ws');
var cfg = JSON.parse(process.argv[2]);

function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

var ws = new WebSocket(cfg.url);
function sendCommands() {
  (cfg.commands || []).forEach(function (c) {
    var frame = {command: c.command, data: c.data || {}};
    if (c.reqId !== undefined) frame.reqId = c.reqId;
    ws.send(JSON.stringify(frame));
  });
}
ws.on('open', function () {
  out({ev: 'open'});
  if (cfg.ping) ws.ping('p1');
  if (cfg.subscribe) {
    ws.send(JSON.stringify({command: 'subscribe', reqId: 'sub-1', data: {eventGroups: cfg.subscribe}}));
  } else {
    sendCommands();
  }
});
ws.on('message', function (data) {
  var obj;
  try { obj = JSON.parse(data.toString()); } catch (e) { out({ev: 'bad', text: data.toString()}); return; }
  out({ev: 'message', data: obj});
  if (obj.event === 'subscribed' || obj.event === 'error_subscribe') sendCommands();
});
ws.on('pong', function (data) { out({ev: 'pong', data: data.toString()}); });
ws.on('close', function (code, reason) { out({ev: 'close', code: code, reason: reason.toString()}); });
ws.on('unexpected-response', function (req, res) { out({ev: 'unexpected-response', status: res.statusCode}); });
ws.on('error', function (err) { out({ev: 'error', data: String(err.message || err)}); });
setTimeout(function () {
  out({ev: 'done'});
  try { ws.close(); } catch (e) { /* never opened */ }
  setTimeout(function () { process.exit(0); }, 50);
}, cfg.duration_ms || 1000);
