import { createRequire as __kittyCreateRequire } from 'node:module'; const require = __kittyCreateRequire(import.meta.url);
import{c as b,d as c,e as d}from"./chunk-4CTASITG.js";import"./chunk-DKLA4NCH.js";import{wa as a}from"./chunk-4UHEQB7K.js";import"./chunk-DGVZ5XUR.js";export{c as locationFromFlags,d as openContext,a as readRef,b as remoteTimeout};
