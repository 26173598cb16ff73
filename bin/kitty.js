#!/usr/bin/env node
// Cache V8's compiled code for the bundle between runs: most of a cold start is compiling it.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
await import('../dist/cli.js')
