import { createRequire as __kittyCreateRequire } from 'node:module'; const require = __kittyCreateRequire(import.meta.url);
import{a as t}from"./chunk-M2XRQWVV.js";var o=[];function s(e){o.push(e)}t(s,"doWhileWaiting");function i(){if(o.length===0)return;let e=o.splice(0);setImmediate(()=>{for(let n of e)try{Promise.resolve(n()).catch(()=>{})}catch{}})}t(i,"runIdleWork");export{s as a,i as b};
