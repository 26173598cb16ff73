let __kittyRequire; const require = (id) => (__kittyRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url))(id);
