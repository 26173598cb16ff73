let __kittyRequire; const require = (id) => (__kittyRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url))(id);
var _=1048576;export{_ as a};
