// Trunk post-build hook: splits the page's wasm at its split functions (`#[lazy]` and
// `wasm_split`), so the first load carries what the first screen needs and the rest arrives as chunks
// fetched when first called (right after the first paint, for the run and tree regions).
//
// Trunk has no step between cargo and wasm-bindgen, so this redoes the page's last steps from
// cargo's own output (linked with --emit-relocs, see .cargo/config.toml):
//   1. wasm-split-cli cuts it into a main module, one chunk per split point (plus chunks of code
//      they share) and the loader `__wasm_split.js`;
//   2. wasm-bindgen makes the main module's glue under the very name Trunk gave the page's
//      script, so Trunk's loader and preload links in index.html stay as they are;
//   3. in release builds wasm-opt -Oz shrinks every module, as Trunk does for one.
// Everything lands beside the page's script: the loader fetches chunks relative to itself, so the
// split page works at the root of a host or under a sub-path alike.
// The engine worker is linked with the same flags; wasm-bindgen keeps the linker's sections, which
// stop wasm-opt from shrinking it, so they are dropped here before its wasm-opt (Trunk's is off
// for both binaries, see index.html).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BIN = 'gepa-playground';
const staging = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
const source = process.env.TRUNK_SOURCE_DIR ?? '.';
const release = (process.env.TRUNK_PROFILE ?? 'release') === 'release';
if (!staging) throw new Error('wasm-split.mjs: run as a Trunk hook (TRUNK_STAGING_DIR is not set)');

const targetDir = process.env.CARGO_TARGET_DIR ?? join(source, 'target');
const raw = join(targetDir, 'wasm32-unknown-unknown', release ? 'release' : 'debug', `${BIN}.wasm`);
const script = readdirSync(staging).find((f) => new RegExp(`^${BIN}(-[0-9a-f]+)?\\.js$`).test(f));
if (!script) throw new Error(`wasm-split.mjs: no ${BIN} script in ${staging}`);
const stem = script.slice(0, -'.js'.length);

const work = join(targetDir, 'wasm-split');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'bindgen'), { recursive: true });
const run = (tool, args) => {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    const why = e.code === 'ENOENT' ? `${tool} is not installed (./dev bootstrap installs it)` : e.message;
    throw new Error(`wasm-split.mjs: ${why}`);
  }
};

const worker = readdirSync(staging).find((f) => /^gepa-worker(-[0-9a-f]+)?_bg\.wasm$/.test(f));
if (worker) optimise(join(staging, worker));

run('wasm-split-cli', [raw, work, '--out-name', stem]);
const chunks = readdirSync(work).filter((f) => f.endsWith('.wasm') && f !== `${stem}.wasm`);
if (chunks.length === 0) throw new Error(`wasm-split.mjs: no split points found in ${raw}`);
run('wasm-bindgen', ['--target=web', `--out-dir=${join(work, 'bindgen')}`, `--out-name=${stem}`, '--no-typescript', '--keep-lld-exports', join(work, `${stem}.wasm`)]);
const main = join(work, 'bindgen', `${stem}_bg.wasm`);
const modules = [main, ...chunks.map((c) => join(work, c))];
for (const m of modules) optimise(m);

copyFileSync(join(work, 'bindgen', `${stem}.js`), join(staging, `${stem}.js`));
copyFileSync(main, join(staging, `${stem}_bg.wasm`));
copyFileSync(join(work, '__wasm_split.js'), join(staging, '__wasm_split.js'));
for (const c of chunks) copyFileSync(join(work, c), join(staging, c));
const snippets = join(work, 'bindgen', 'snippets');
if (existsSync(snippets)) copyTree(snippets, join(staging, 'snippets'));

const kb = (f) => Math.round(statSync(f).size / 1024);
console.log(`wasm-split.mjs: ${stem}_bg.wasm ${kb(join(staging, `${stem}_bg.wasm`))} KB up front; ${chunks.length} chunk(s) on demand: ${chunks.map((c) => `${c} ${kb(join(staging, c))} KB`).join(', ')}`);

/** Drops the linker's sections from a module, then (in release builds) runs wasm-opt -Oz on it. */
function optimise(file) {
  writeFileSync(file, withoutLinkerSections(readFileSync(file)));
  if (release) run('wasm-opt', ['-Oz', file, `--output=${file}`]);
}

/** The module without its `linking` and `reloc.*` custom sections (left by --emit-relocs) and, in
 *  release builds, its `name` section (wasm-opt drops it anyway, after warning about the
 *  subsections it does not know). */
function withoutLinkerSections(bytes) {
  const leb = (at) => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return [value, at];
    }
  };
  const kept = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const [size, body] = leb(at + 1);
    const end = body + size;
    let drop = false;
    if (bytes[at] === 0) {
      const [len, name] = leb(body);
      const title = bytes.subarray(name, name + len).toString('utf8');
      drop = title === 'linking' || title.startsWith('reloc.') || (release && title === 'name');
    }
    if (!drop) kept.push(bytes.subarray(at, end));
    at = end;
  }
  return Buffer.concat(kept);
}

function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [a, b] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) copyTree(a, b);
    else copyFileSync(a, b);
  }
}
