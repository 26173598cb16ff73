import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { PROJECT_ROOT } from '../helpers/git-repo.ts'

/**
 * The Dockerfile and the Kubernetes example cannot be built or applied here (no Docker engine, no
 * cluster): this checks what can be checked without them, so they do not drift from the App.
 */

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8')

interface Instruction {
  op: string
  args: string
}

/** Dockerfile instructions by stage (continuation lines joined, comments dropped). */
function dockerStages(text: string): Instruction[][] {
  const stages: Instruction[][] = []
  const lines = text.replace(/\\\n/g, ' ').split('\n')
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))) {
    const [op, ...rest] = line.split(/\s+/)
    const instruction = { op: op!.toUpperCase(), args: rest.join(' ') }
    if (instruction.op === 'FROM') stages.push([])
    stages.at(-1)?.push(instruction)
  }
  return stages
}

const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op)
const one = (stage: Instruction[], op: string) => all(stage, op).at(-1)?.args

function manifests(path: string): any[] {
  return parseAllDocuments(read(path)).map((doc) => {
    expect(doc.errors, path).toEqual([])
    return doc.toJS()
  })
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'))
  const runtime = stages.at(-1)!

  it('Node 24 in every stage; the runtime runs `node dist/app.js` under tini as PID 1, as a non-root user', () => {
    for (const stage of stages) expect(one(stage, 'FROM')).toMatch(/^node:24[-.\w]*( AS \w+)?$/)
    expect(JSON.parse(one(runtime, 'ENTRYPOINT')!)).toEqual(['/usr/bin/tini', '--'])
    expect(JSON.parse(one(runtime, 'CMD')!)).toEqual(['node', 'dist/app.js'])
    // What `npm start` runs is the same file.
    expect(JSON.parse(read('package.json')).scripts.start).toBe('node dist/app.js')
    expect(one(runtime, 'USER')).toMatch(/^(?!root$|0$)\w+$/)
    const installs = all(runtime, 'RUN').map((r) => r.args)
    expect(installs.some((r) => /apt-get install .*\bgit\b.*\btini\b/.test(r))).toBe(true)
    expect(installs.some((r) => r.includes('npm ci --omit=dev'))).toBe(true)
  })

  it('copies only files that exist, including the bundle the build stage makes', () => {
    const build = stages[0]!
    expect(all(build, 'RUN').some((r) => r.args === 'node scripts/build.mjs')).toBe(true)
    for (const stage of stages)
      for (const copy of all(stage, 'COPY')) {
        if (copy.args.startsWith('--from=')) {
          expect(copy.args).toBe('--from=build /src/dist dist')
          continue
        }
        const sources = copy.args.split(/\s+/).slice(0, -1)
        for (const source of sources) expect(existsSync(join(PROJECT_ROOT, source)), source).toBe(true)
      }
  })

  it('listens where it says: PORT, EXPOSE and the manifests agree', () => {
    const port = /PORT=(\d+)/.exec(
      all(runtime, 'ENV')
        .map((e) => e.args)
        .join(' '),
    )?.[1]
    expect(port).toBe('3000')
    expect(one(runtime, 'EXPOSE')).toBe(port)
    const app = manifests('deploy/kubernetes/app.yaml').find((m) => m.kind === 'Deployment')
    const container = app.spec.template.spec.containers[0]
    expect(container.ports).toEqual([{ name: 'http', containerPort: Number(port) }])
    expect(container.env).toContainEqual({ name: 'PORT', value: port })
    expect(container.env).toContainEqual({ name: 'HOST', value: '0.0.0.0' })
  })
})

describe('deploy/kubernetes', () => {
  const app = manifests('deploy/kubernetes/app.yaml')
  const redis = manifests('deploy/kubernetes/redis.yaml')
  const deployment = app.find((m) => m.kind === 'Deployment')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0]
  const env = (name: string) => container.env.find((e: { name: string }) => e.name === name)

  it('the documents and kinds an operator applies', () => {
    expect(app.map((m) => m.kind)).toEqual(['Deployment', 'Service', 'PodDisruptionBudget'])
    expect(redis.map((m) => m.kind)).toEqual(['ConfigMap', 'StatefulSet', 'Service'])
    expect(manifests('deploy/kubernetes/secret.example.yaml').map((m) => m.kind)).toEqual(['Secret'])
    const kustomization = manifests('deploy/kubernetes/kustomization.yaml')[0]
    for (const file of kustomization.resources)
      expect(existsSync(join(PROJECT_ROOT, 'deploy/kubernetes', file)), file).toBe(true)
  })

  it('start-up and liveness /healthz, readiness /readyz, on the container port', () => {
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' })
    // The warm-up's own bound is 15 s; the start-up allowance must cover it with room for a slow node.
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(30)
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' })
    const service = app.find((m) => m.kind === 'Service')
    expect(service.spec.ports[0].targetPort).toBe('http')
  })

  it('the grace period outlasts preStop plus the drain bound', () => {
    const preStop = container.lifecycle.preStop.exec.command
    expect(preStop[0]).toBe('sleep')
    const drainS = Number(env('KITTY_DRAIN_TIMEOUT_MS').value) / 1000
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + drainS)
  })

  it('credentials from the Secret, the cache on a volume, Redis for N replicas, a disruption budget', () => {
    expect(env('APP_ID').valueFrom.secretKeyRef.name).toBe('kitty-github-app')
    expect(env('WEBHOOK_SECRET').valueFrom.secretKeyRef.name).toBe('kitty-github-app')
    const key = pod.volumes.find((v: any) => v.secret)
    expect(key.secret.items[0].key).toBe('PRIVATE_KEY')
    expect(env('PRIVATE_KEY_PATH').value).toBe(
      `${container.volumeMounts.find((m: any) => m.name === key.name).mountPath}/${key.secret.items[0].path}`,
    )
    const cache = container.volumeMounts.find((m: any) => m.mountPath === env('KITTY_CACHE_DIR').value)
    expect(pod.volumes.find((v: any) => v.name === cache.name).emptyDir).toBeDefined()
    expect(deployment.spec.replicas).toBeGreaterThan(1)
    const redisService = redis.find((m) => m.kind === 'Service')
    expect(env('REDIS_URL').value).toBe(`redis://${redisService.metadata.name}:${redisService.spec.ports[0].port}`)
    const conf = redis.find((m) => m.kind === 'ConfigMap').data['redis.conf']
    expect(conf).toMatch(/^appendonly yes$/m)
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m)
    const pdb = app.find((m) => m.kind === 'PodDisruptionBudget')
    expect(pdb.spec.selector).toEqual(deployment.spec.selector)
  })
})
