// Minimal static server for the built app (dist/), used by the Playwright tests.
// Usage: node serve.mjs <dir> <port> [prefix]. Serves only files under <dir>, on 127.0.0.1; with
// a prefix (like /gepa-playground/) only under that path, as a static host serves a sub-path.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '../../dist');
const port = Number(process.argv[3] ?? 47811);
const prefix = process.argv[4] ?? '/';
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.csv': 'text/csv; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
};

createServer(async (req, res) => {
  const full = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (!(full + '/').startsWith(prefix)) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
  const path = normalize('/' + full.slice(prefix.length));
  let file = join(root, path);
  if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}).listen(port, '127.0.0.1', () => console.log(`serving ${root} on http://127.0.0.1:${port}/`));
