// pako ships no types; we only use its streaming Inflate, which isomorphic-git drives itself.
declare module 'pako/lib/inflate.js' {
  export const Inflate: new () => unknown
}
