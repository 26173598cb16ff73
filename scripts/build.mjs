// Bundle the CLI into one ESM file so a cold start loads one module instead of hundreds.
import { build } from 'esbuild'

await build({
  entryPoints: { cli: 'src/cli/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node22',
  format: 'esm',
  outExtension: { '.js': '.js' },
  banner: { js: "import { createRequire as __kittyCreateRequire } from 'node:module'; const require = __kittyCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
})
