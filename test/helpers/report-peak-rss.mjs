// Preloaded (node --import) into a CLI run whose memory a test measures: on exit, the process's peak
// resident set size goes to stderr, where the test reads it. The CLI itself knows nothing of this.
process.on('exit', () => {
  process.stderr.write(`\nkitty-peak-rss-kb=${process.resourceUsage().maxRSS}\n`)
})
