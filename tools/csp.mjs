// Trunk post-build hook: adds the app's Content-Security-Policy to the built index.html.
//
// Trunk's loader is an inline module script; rather than allowing inline scripts, the policy
// names that exact script by its SHA-256 hash, computed here from the built file. Scripts and
// wasm come only from the app's own origin ('wasm-unsafe-eval' is what compiling WebAssembly
// needs); styles, images and fonts only from the origin; nothing may be framed, posted or
// embedded. connect-src is as open as the endpoints users configure: any https origin, and http
// for loopback and LAN servers (Ollama, llama.cpp, vLLM, LM Studio) — CSP cannot name private IP
// ranges, so that takes the http: scheme.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? 'dist';
const file = join(dir, 'index.html');
let html = readFileSync(file, 'utf8');
const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
if (inline.length === 0) throw new Error(`csp.mjs: no inline loader script in ${file}`);
const hashes = inline.map((body) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
export const policy = [
  "default-src 'none'",
  `script-src 'self' ${hashes.join(' ')} 'wasm-unsafe-eval'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' https: http:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, '');
html = html.replace(/<head>/, `<head>\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
writeFileSync(file, html);
console.log(`csp.mjs: policy with ${hashes.length} script hash(es) written to ${file}`);
