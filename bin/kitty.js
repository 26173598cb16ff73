#!/usr/bin/env node
// Cache V8's compiled code for the bundle between runs: most of a cold start is compiling it.
// A namespace import: a named one would be a link error on a Node without enableCompileCache (20)
// or registerHooks (before 22.15).
import * as nodeModule from 'node:module'

nodeModule.enableCompileCache?.()

// The bundle's files import each other by relative name (`./chunks/chunk-….js`), a hundred imports
// for a read. Node's resolver does a stat, a realpath and two path normalisations for each, enough
// that V8 optimises its path code mid-start (~5 MiB of peak RSS, BENCHMARKS.md "Start-up"). These
// names are exact files esbuild wrote beside each other, all ES modules: join them to the importer's
// URL and go on. Every other specifier takes Node's own way.
const dist = new URL('../dist/', import.meta.url).href
nodeModule.registerHooks?.({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('./') && context.parentURL?.startsWith(dist))
      return { url: new URL(specifier, context.parentURL).href, format: 'module', shortCircuit: true }
    return nextResolve(specifier, context)
  },
})

await import('../dist/cli.js')
