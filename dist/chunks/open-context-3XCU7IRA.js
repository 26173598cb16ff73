import { createRequire as __kittyCreateRequire } from 'node:module'; const require = __kittyCreateRequire(import.meta.url);
import{a as b,b as c,c as d}from"./chunk-GF62FV5J.js";import"./chunk-KQHXXSH7.js";import{ha as a}from"./chunk-DDQMIZR3.js";import"./chunk-XJKCZYVA.js";export{c as locationFromFlags,d as openContext,a as readRef,b as remoteTimeout};
