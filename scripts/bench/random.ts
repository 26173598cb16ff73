/**
 * A seeded PRNG so a generator run is a pure function of its options: the bench caches repositories
 * by those options, which is only sound when the same options always give the same bytes.
 */
export interface Rng {
  next(): number
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
}

/** mulberry32: tiny, fast and good enough for synthetic text. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  }
}

/** A stable per-item seed, so one WP's body can be re-rendered without keeping it in memory. */
export function subSeed(...parts: number[]): number {
  let h = 2166136261
  for (const p of parts) {
    h ^= p
    h = Math.imul(h, 16777619) >>> 0
  }
  return h
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A 26-char ULID (48-bit time + 80 random bits), deterministic from the rng. */
export function ulid(timeMs: number, rng: Rng): string {
  let time = ''
  let t = timeMs
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time
    t = Math.floor(t / 32)
  }
  let rand = ''
  for (let i = 0; i < 16; i++) rand += CROCKFORD[rng.int(0, 31)]!
  return time + rand
}
