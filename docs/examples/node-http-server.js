'use strict';
// Minimal HTTP server used to measure a seccomp syscall allowlist.
// Usage: node node-http-server.js [PORT]   (or PORT=... node node-http-server.js)
// Listens on 127.0.0.1 only; answers "ok\n"; exits 0 on SIGTERM/SIGINT.
const http = require('http');

const port = Number(process.argv[2] || process.env.PORT || 18080);

const server = http
  .createServer((req, res) => res.end('ok\n'))
  .listen(port, '127.0.0.1');

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Safety net: never hang on shutdown.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
