let __kittyRequire; const require = (id) => (__kittyRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url))(id);
var e="kitty-app-worker",t="kitty-app-warm-up";export{e as a,t as b};
