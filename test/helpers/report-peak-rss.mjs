// Preloaded (node --import) into a CLI run whose work a test bounds: counts the bytes the process
// inflates (every zlib inflate, the object reader's and isomorphic-git's) and reports them on exit,
// with its peak resident set size (informational: memory depends on the machine, bytes do not).
// The CLI itself knows nothing of this.
import zlib from 'node:zlib'
import { syncBuiltinESMExports } from 'node:module'

let inflated = 0
for (const name of ['inflateSync', 'inflateRawSync', 'unzipSync', 'gunzipSync']) {
  const original = zlib[name]
  zlib[name] = function (...args) {
    const out = original.apply(this, args)
    inflated += out.length
    return out
  }
}
syncBuiltinESMExports()

process.on('exit', () => {
  process.stderr.write(`\nkitty-peak-rss-kb=${process.resourceUsage().maxRSS}\nkitty-inflated-bytes=${inflated}\n`)
})
