import { createRequire as __kittyCreateRequire } from 'node:module'; const require = __kittyCreateRequire(import.meta.url);
import{b as t}from"./chunk-S4D46VSH.js";var e=t("node:http"),o=e;var r=e.createServer;export{o as a,r as b};
