// The console part's code cache made after a real first paint (issue 20): a child of the Node the
// executable is built from runs the SEA main as the executable would (`tui` on an empty box), with
// node:sea's answers taken from the bundle's files, in a pseudo-terminal (script(1)); once the
// Dashboard is drawn it compiles the console part again with produceCachedData. V8's compilation
// cache hands back the same function, now holding what the paint compiled: the cache holds those
// functions and leaves the rest lazy (an eager one holds every function).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The cache of `asset` (the console part, compiled by the loader as `sea:/ASSET`) after a first
 * paint of `sea-main.cjs` (`mainPath`) with the SEA assets `assets` (name → file).
 */
export function paintCodeCache(nodeBinary, mainPath, assets, asset) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-paint-cache-'));
  try {
    const out = path.join(dir, 'console.cache');
    writeFileSync(path.join(dir, 'assets.json'), JSON.stringify(assets));
    mkdirSync(path.join(dir, 'root'));
    const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = [nodeBinary, fileURLToPath(import.meta.url), '--paint', mainPath, dir, asset, out]
      .map(q)
      .join(' ');
    // A terminal: the console opens only on one. Its output is the child's; only the cache counts.
    execFileSync('script', ['-qec', cmd, '/dev/null'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { HOME: dir, TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' },
      cwd: dir,
      timeout: 60_000,
    });
    return readFileSync(out);
  } catch (err) {
    // Its signal kept: one that came from the terminal (Ctrl-C) is an interrupted build (build.mjs).
    throw Object.assign(new Error(`the console's first paint for its code cache failed: ${err.message}`), {
      signal: err.signal,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WRAPPER = ['exports', 'require', 'module', '__filename', '__dirname'];

function paint([mainPath, dir, asset, output]) {
  const fs = process.getBuiltinModule('node:fs');
  const vm = process.getBuiltinModule('node:vm');
  const assets = JSON.parse(fs.readFileSync(path.join(dir, 'assets.json'), 'utf8'));
  const sea = process.getBuiltinModule('node:sea');
  const file = (name) => {
    if (!assets[name]) throw new Error(`no SEA asset ${name}`);
    return assets[name];
  };
  sea.isSea = () => true;
  sea.getAsset = (name, encoding) =>
    encoding ? fs.readFileSync(file(name), encoding) : new Uint8Array(fs.readFileSync(file(name))).buffer;
  sea.getRawAsset = (name) => new Uint8Array(fs.readFileSync(file(name))).buffer;
  let captured;
  const compile = vm.compileFunction;
  vm.compileFunction = function (source, params, options) {
    if (options?.filename === `sea:/${asset}`) {
      if (options.cachedData)
        throw new Error('the console part came with a cache: the paint must compile it');
      captured = { source, params, filename: options.filename };
    }
    return compile.call(this, source, params, options);
  };
  let done = false;
  const write = process.stdout.write;
  process.stdout.write = function (chunk, ...rest) {
    // The Dashboard's last row, drawn once the host is read (scripts/bench/tui-ssh.mjs waits for it).
    if (!done && /Exposure/.test(String(chunk).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))) {
      done = true;
      setTimeout(() => {
        if (!captured) throw new Error('the console part was not compiled through node:vm');
        const again = compile(captured.source, captured.params, {
          filename: captured.filename,
          produceCachedData: true,
        });
        fs.writeFileSync(output, again.cachedData);
        process.exit(0);
      }, 300);
    }
    return write.call(this, chunk, ...rest);
  };
  process.argv = [process.execPath, process.execPath, '--root', path.join(dir, 'root'), 'tui'];
  const require = (id) => {
    const m = process.getBuiltinModule(id);
    if (!m) throw new Error(`the start part required ${id}, which is not a built-in`);
    return m;
  };
  // Its import() of the command part goes through Node's loader (and the SEA hooks), as in the executable.
  const main = compile(fs.readFileSync(mainPath, 'utf8'), WRAPPER, {
    filename: mainPath,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  main.call(module.exports, module.exports, require, module, mainPath, path.dirname(mainPath));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--paint')
  paint(process.argv.slice(3));
