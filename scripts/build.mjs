// Bundle the CLI (dist/cli.js), the Action (dist/index.js, action.yml's `main`) and the App
// (dist/app.js, `npm start`) into one ESM file each, so a cold start loads one module instead of hundreds and the Action needs no node_modules.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

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

// `--outdir` lets the tests build their own bundles (.test-dist/) without rewriting the tracked dist/.
const { values: options } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } })

await build({
  entryPoints: { cli: 'src/cli/index.ts', index: 'src/action/index.ts', app: 'src/app/index.ts' },
  // The App is deployed with its node_modules (npm ci): Probot and prom-client load from there as
  // published (pino transports, optional peers), and only our own code plus git is bundled.
  external: ['probot', 'prom-client', 'bullmq', 'ioredis'],
  outdir: options.outdir,
  bundle: true,
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node22',
  format: 'esm',
  minify: process.env.KITTY_BUILD_NO_MINIFY !== '1',
  keepNames: true,
  sourcemap: false,
  plugins: [resolveForSpeed, httpClientWithoutSideEffects],
  // isomorphic-git deflates through the web CompressionStream when it exists, which loads Node's
  // whole web-streams stack (~25 ms) to compress a few hundred bytes; without it, it uses `pako`,
  // which our shim maps to native zlib.
  // Likewise it hashes through WebCrypto when it can: one awaited digest per object. Without
  // crypto.subtle it takes its synchronous path, which the shim above makes native.
  define: { CompressionStream: 'undefined', 'crypto.subtle': 'undefined' },
  banner: {
    js: "import { createRequire as __kittyCreateRequire } from 'node:module'; const require = __kittyCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
})
