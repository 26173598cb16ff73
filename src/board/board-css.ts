/**
 * The board's one stylesheet, inlined into every page. Light and dark come from the reader's
 * `prefers-color-scheme`; lanes differ by name, mark and border style as well as by colour.
 */
export const BOARD_CSS = `
:root{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--panel:#f6f8fa;--border:#d1d9e0;--card:#ffffff;--focus:#0969da;
--planned:#57606a;--claimed:#9a6700;--in_progress:#0969da;--for_review:#8250df;--in_review:#6639ba;--approved:#1a7f37;--done:#116329;--blocked:#cf222e;--canceled:#8c959f;--unreadable:#cf222e}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--panel:#151b23;--border:#3d444d;--card:#0d1117;--focus:#4493f8;
--planned:#9198a1;--claimed:#d29922;--in_progress:#4493f8;--for_review:#ab7df8;--in_review:#986ee2;--approved:#3fb950;--done:#56d364;--blocked:#f85149;--canceled:#656c76;--unreadable:#f85149}}
*{box-sizing:border-box}
body{margin:0;padding:0 1rem 2rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.4rem;margin:.8rem 0 .2rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}h3{font-size:.95rem;margin:0 0 .5rem}h4{margin:0;font-size:.9rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.3rem;z-index:9}
.friendly,.generated,.hint,.legend,.status{color:var(--muted);margin:.2rem 0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
progress{width:min(420px,100%);height:.8rem}
.picker{margin:.4rem 0}.picker select{max-width:min(70vw,560px)}
.lanes{display:grid;grid-auto-flow:column;gap:.5rem;align-items:start;overflow-x:auto;padding-bottom:.4rem}
.lane{background:var(--panel);border:1px solid var(--border);border-top:4px solid var(--lane,var(--border));border-radius:8px;padding:.5rem;min-height:4rem}
.lane .count{display:inline-block;min-width:1.5em;text-align:center;border:1px solid var(--border);border-radius:1em;padding:0 .4em;font-size:.8rem}
.lane.lane-blocked,.lane.lane-unreadable{border-top-style:double;border-top-width:6px}.lane.lane-canceled{border-top-style:dashed}
.cards{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.45rem}
.card{background:var(--card);border:1px solid var(--border);border-left:4px solid var(--lane,var(--border));border-radius:6px;padding:.4rem .5rem}
.card:focus{outline:3px solid var(--focus);outline-offset:2px}
.card .title{margin:.15rem 0 .3rem;overflow-wrap:anywhere}
.card dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:0 .5rem;margin:0;font-size:.8rem}.card dt{color:var(--muted)}.card dd{margin:0;overflow-wrap:break-word;min-width:0}
.card .error{color:var(--unreadable);font-size:.8rem;overflow-wrap:anywhere}.card-error{border-style:dashed}
.blocked-by{color:var(--blocked);font-size:.8rem;margin:.2rem 0 0}.warning{color:var(--blocked)}.empty{color:var(--muted);font-style:italic;margin:0}
.lane-planned{--lane:var(--planned)}.lane-claimed{--lane:var(--claimed)}.lane-in_progress{--lane:var(--in_progress)}.lane-for_review{--lane:var(--for_review)}
.lane-in_review{--lane:var(--in_review)}.lane-approved{--lane:var(--approved)}.lane-done{--lane:var(--done)}.lane-blocked{--lane:var(--blocked)}
.lane-canceled{--lane:var(--canceled)}.lane-unreadable{--lane:var(--unreadable)}
.graph-wrap{overflow:auto;border:1px solid var(--border);border-radius:8px;background:var(--panel);max-height:70vh}
.graph-wrap:focus{outline:3px solid var(--focus)}
.graph .node rect{fill:var(--card);stroke:var(--lane);stroke-width:2}.graph .node.lane-done rect{fill:var(--lane);fill-opacity:.18}
.graph .node.lane-canceled rect,.graph .node.lane-unreadable rect{stroke-dasharray:4 3}
.graph text{fill:var(--fg);font-size:11px}.graph .node-id{font-weight:600}
.graph .edge{fill:none;stroke:var(--muted);stroke-width:1.4}.graph .edge.waiting{stroke-dasharray:5 4}.arrow-head{fill:var(--muted)}
.legend-dashed{margin-left:1rem}
.history{padding-left:1.2rem}.history li{margin:.15rem 0}.history time{color:var(--muted)}.actor{color:var(--muted)}
`
