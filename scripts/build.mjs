// Bundle the CLI (dist/cli.js), the Action (dist/index.js, action.yml's `main`) and the App
// (dist/app.js, `npm start`) as ESM, so a cold start loads a few modules instead of hundreds and the
// Action needs no node_modules. Code they share, and code loaded only by a dynamic import() (the
// board's server, the Action's REST client), goes to dist/chunks/: a command evaluates only what its
// entry imports statically.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { isBuiltin } from 'node:module'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const local = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url))

/**
 * - isomorphic-git's `pako` import goes to our native-zlib shim (src/store/objects/pako-native.ts), and its
 *   `sha.js/sha1.js` to native SHA-1 (src/store/objects/sha1-native.ts);
 * - isomorphic-git and yaml resolve to their ES module builds (the `node` condition picks CommonJS,
 *   which cannot be tree-shaken), so only the git commands we call are bundled and evaluated.
 */
const resolveForSpeed = {
  name: 'resolve-for-speed',
  setup(b) {
    b.onResolve({ filter: /^pako$/ }, (args) =>
      args.importer.endsWith('pako-native.ts') ? undefined : { path: local('src/store/objects/pako-native.ts') },
    )
    b.onResolve({ filter: /^sha\.js\/sha1\.js$/ }, () => ({ path: local('src/store/objects/sha1-native.ts') }))
    b.onResolve({ filter: /^isomorphic-git$/ }, () => ({ path: local('node_modules/isomorphic-git/index.js') }))
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: local('node_modules/yaml/browser/index.js') }))
  },
}

/**
 * `@actions/core` imports its OIDC client, and with it `@actions/http-client` and undici (~400 KiB),
 * for `getIDToken`, which the Action never calls. The packages do not declare themselves free of side
 * effects, so esbuild keeps (and Node evaluates) them on every start; marking the HTTP client's entry
 * so lets the unused import go. Octokit still gets it, loaded on the first REST call.
 */
const httpClientWithoutSideEffects = {
  name: 'http-client-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /^@actions\/http-client(\/lib\/auth)?$/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'inner',
      })
      return { ...resolved, sideEffects: false }
    })
  },
}

/**
 * A builtin imported as an ES module gets a facade that reads every export once, and the lazy getters
 * behind those exports load what a command never uses: `node:http`'s load undici (~45 ms),
 * `node:fs`'s the stream classes, `node:util`'s worker_threads. Here an import of a builtin becomes a
 * module holding the CommonJS object (`process.getBuiltinModule`: no facade) and one export per name,
 * each read only if the importer uses that name (esbuild drops the pure ones nobody uses).
 *
 * One such module per importing module, not one per builtin: esbuild puts a module shared by code that
 * different `import()`s reach in a chunk of its own, so a module per builtin became a chunk per
 * builtin (four 300-byte files on every read, each one more file to load and resolve). Per importer,
 * it sits in its importer's chunk.
 *
 * Builtins that take milliseconds to load and that a read command never calls: these functions load
 * their module on their first call (child_process brings net and dgram, ~3 ms; crypto ~5 ms, which
 * reads need only to hash a file the index says changed, and writes for every object and temporary
 * file); so does the module's default import, on its first property read. Importing any other name
 * from such a module loads it at start, as before: the list only affects speed. A wrapper forwards the function's `util.promisify.custom` too
 * (execFile's resolves with { stdout, stderr }), read on use like the rest.
 */
const LOAD_ON_FIRST_CALL = {
  child_process: ['execFile', 'execFileSync', 'spawn', 'spawnSync'],
  crypto: ['createHash', 'createHmac', 'randomBytes', 'randomUUID', 'timingSafeEqual'],
}

const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) =>
      args.kind === 'import-statement' && isBuiltin(args.path)
        ? {
            // Relative, so the build (and its chunk hashes) does not depend on where the project lies.
            path: `${args.path.replace(/^node:/, '')}|${relative(local(''), args.importer).replaceAll('\\', '/')}`,
            namespace: 'builtin',
            sideEffects: false,
          }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const builtin = args.path.slice(0, args.path.indexOf('|'))
      const id = JSON.stringify(`node:${builtin}`)
      const names = Object.keys(process.getBuiltinModule(`node:${builtin}`)).filter(
        (name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default',
      )
      const onCall = LOAD_ON_FIRST_CALL[builtin] ?? []
      const lines = onCall.length
        ? [
            `let m`,
            `const load = () => (m ??= process.getBuiltinModule(${id}))`,
            // The default import too (ulid's `import crypto from 'node:crypto'`): loaded when a property is read.
            `export default /* @__PURE__ */ new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() })`,
          ]
        : [`const m = process.getBuiltinModule(${id})`, 'export default m']
      const custom = `Symbol.for('nodejs.util.promisify.custom')`
      for (const name of names)
        lines.push(
          onCall.includes(name)
            ? `export function ${name}(...args) { return load().${name}(...args) }\n` +
                `Object.defineProperty(${name}, ${custom}, { get: () => load().${name}[${custom}] })`
            : `export const ${name} = /* @__PURE__ */ (() => ${onCall.length ? 'load()' : 'm'}.${name})()`,
        )
      return { contents: lines.join('\n'), loader: 'js' }
    })
  },
}

/**
 * The CLI prints its version, and importing package.json would put all of it (scripts included) in
 * the bundle; only the fields read at run time go in.
 */
const packageJsonVersionOnly = {
  name: 'package-json-version-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]package\.json$/ }, (args) => {
      if (args.path !== local('package.json')) return undefined
      const { version } = JSON.parse(readFileSync(args.path, 'utf8'))
      return { contents: JSON.stringify({ version }), loader: 'json' }
    })
  },
}

// `--outdir` lets the tests build their own bundles (.test-dist/) without rewriting the tracked dist/;
// `--metafile` writes esbuild's account of which source files went into which output (the start-up
// module test reads it to name what a command evaluated).
const { values: options } = parseArgs({
  options: { outdir: { type: 'string', default: 'dist' }, metafile: { type: 'string' } },
})

/**
 * One build for the three entries, so the code they share is written once, to one set of chunks: with a
 * build per entry, dist/ (and the npm package) held the engine, isomorphic-git and yaml three times
 * over (2.4 MB in 66 files; one build: 1.3 MB). esbuild cuts shared code by which entries and
 * `import()`s reach it, so the Action's and the App's entries cut the CLI's code into a few more chunks
 * than a CLI-only build would; a command pays the ESM loader for each chunk it loads (BENCHMARKS.md,
 * "Start-up", measures both).
 */
const ENTRIES = { cli: 'src/cli/index.ts', index: 'src/action/index.ts', app: 'src/app/index.ts' }

const { metafile } = await build({
  entryPoints: ENTRIES,
  // The App is deployed with its node_modules (npm ci): Probot, prom-client and the queue's BullMQ and
  // ioredis load from there as published (pino transports, optional peers); only our code and git are bundled.
  external: ['probot', 'prom-client', 'bullmq', 'ioredis'],
  outdir: options.outdir,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node22',
  format: 'esm',
  minify: process.env.KITTY_BUILD_NO_MINIFY !== '1',
  keepNames: true,
  sourcemap: false,
  plugins: [resolveForSpeed, httpClientWithoutSideEffects, builtinsWithoutFacade, packageJsonVersionOnly],
  // isomorphic-git deflates through the web CompressionStream when it exists, which loads Node's
  // whole web-streams stack (~25 ms) to compress a few hundred bytes; without it, it uses `pako`,
  // which our shim maps to native zlib.
  // Likewise it hashes through WebCrypto when it can: one awaited digest per object. Without
  // crypto.subtle it takes its synchronous path, which the shim above makes native.
  define: { CompressionStream: 'undefined', 'crypto.subtle': 'undefined' },
  // Bundled CommonJS code (undici, @actions/core) requires builtins through esbuild's `__require`, which
  // wants a `require`. Made on first use: creating one per chunk at start cost a node_modules path walk each.
  banner: {
    js: "let __kittyRequire; const require = (id) => (__kittyRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url))(id);",
  },
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
})

// esbuild escapes non-ASCII characters in strings but leaves regular expression literals as written
// (`[:\-–—]`, isomorphic-git's `[\ud800-\uffff]` spelled raw). One such character makes Node decode the
// whole chunk as UTF-8 and V8 hold and scan it as a two-byte string: ~15% of a command's start.
// In a regular expression, as in a string, `\uXXXX` means the character itself.
for (const path of Object.keys(metafile.outputs)) {
  const text = readFileSync(path, 'utf8')
  if (/[^\x00-\x7f]/.test(text))
    writeFileSync(
      path,
      text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    )
}

if (options.metafile) writeFileSync(options.metafile, JSON.stringify(metafile))

// Chunk names carry a content hash: remove the chunks this build did not write, or dist/ would keep
// every chunk ever built. (After the build, not before: a test run may be using the previous ones.)
const written = new Set(Object.keys(metafile.outputs).map((path) => resolve(path)))
const chunks = resolve(options.outdir, 'chunks')
for (const name of existsSync(chunks) ? readdirSync(chunks) : [])
  if (!written.has(join(chunks, name))) rmSync(join(chunks, name))
