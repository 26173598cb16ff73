#!/usr/bin/env node
// Cache V8's compiled code for the bundle between runs: most of a cold start is compiling it.
// A namespace import: a named one would be a link error on a Node without enableCompileCache (20).
import * as nodeModule from 'node:module'

nodeModule.enableCompileCache?.()
await import('../dist/cli.js')
