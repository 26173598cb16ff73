let __kittyRequire; const require = (id) => (__kittyRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url))(id);
import{e as c}from"./chunk-UIOGEYKW.js";import{a as t}from"./chunk-M2PNUJBE.js";var a=/^---[ \t]*$/;function m(n,o){let e=n.indexOf(`
`,o);return e===-1?n.length:e+1}t(m,"lineEnd");function F(n){return n.replace(/\r?\n$/,"")}t(F,"stripEol");function d(n,o){let e=n.startsWith("\uFEFF")?"\uFEFF":"",g=e.length,s=m(n,g),l=n.slice(g,s);if(!a.test(F(l)))throw new c(o,"it does not start with a --- frontmatter fence",1);let r=s,f=2;for(;r<n.length;){let i=m(n,r);if(a.test(F(n.slice(r,i)))){let u=/\r\n/.test(l)?`\r
`:`
`;return{bom:e,opener:l,yaml:n.slice(s,r),closer:n.slice(r,i),body:n.slice(i),eol:u}}r=i,f++}throw new c(o,"the frontmatter has no closing --- fence",f-1)}t(d,"splitFrontmatter");function h(n){return n.bom+n.opener+n.yaml+n.closer+n.body}t(h,"joinFile");export{d as a,h as b};
