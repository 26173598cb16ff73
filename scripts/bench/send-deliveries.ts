// The bench's webhook sender, in a process of its own: the bench process also serves git and the REST
// stand-in, whose work would otherwise delay reading the App's answers and inflate the latencies.
// Reads [{ url, headers, body }] as JSON on stdin, POSTs them all at once, each on a fresh connection
// (as GitHub does), and prints [{ status, ms }] in the same order: ms from the request's creation
// to the end of its response. With a spacing in ms as its argument, it sends them one every that long
// instead (a steady trickle, e.g. while the App works through a backlog).
import { text } from 'node:stream/consumers'
import type { Outgoing } from './post-delivery.ts'
import { postDelivery } from './post-delivery.ts'

const outgoing = JSON.parse(await text(process.stdin)) as Outgoing[]
const spacingMs = Number(process.argv[2] ?? 0)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const answers = await Promise.all(outgoing.map(async (d, i) => (await sleep(i * spacingMs), postDelivery(d))))
process.stdout.write(JSON.stringify(answers))
