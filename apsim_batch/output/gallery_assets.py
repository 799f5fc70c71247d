"""The gallery pages' inline CSS and script (no network assets, so a page works from disk or a zip)."""

from __future__ import annotations

CSS = """
:root{color-scheme:light dark;--fg:#1d2330;--muted:#505866;--bg:#f5f6f8;--card:#fff;--line:#c9ced8;--accent:#1a56b0;
--bad:#b3261e;--badbg:#fdecea}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#b3bac6;--bg:#14171c;--card:#1d2128;--line:#3c4350;
--accent:#8cb8ff;--bad:#ffb4ab;--badbg:#3b1d1b}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.vh{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);
white-space:nowrap;border:0}
.skip{position:absolute;left:.5rem;top:-3rem;z-index:2;background:var(--card);color:var(--accent);padding:.3rem .6rem}
.skip:focus{top:.5rem}
header{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;
padding:.7rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:1.2rem;margin:0}h1 small{font-weight:normal;color:var(--muted);font-size:.85rem}
.summary{margin:0;color:var(--muted);flex:1 1 14rem}
#filter{font:inherit;padding:.35rem .6rem;border:1px solid var(--muted);border-radius:6px;min-width:0;
flex:0 1 16rem;background:var(--bg);color:var(--fg)}
button{font:inherit;color:var(--accent);background:var(--card);border:1px solid var(--accent);border-radius:6px;
padding:.3rem .7rem;cursor:pointer;min-height:2rem}
main{padding:1rem;max-width:1600px;margin:0 auto}
h2{font-size:1.05rem;margin:1.2rem 0 .6rem}
.exercise{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.2rem 1rem;max-width:60rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,300px),1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden;display:flex;
flex-direction:column}
.media{background:#fff;border-bottom:1px solid var(--line);color:#1d2330}
.media img,.media canvas,.media video{display:block;width:100%;height:auto}
.media .toggle{margin:.4rem .6rem}
.media .none{padding:2rem 1rem;margin:0;text-align:center}
.video{padding:0 .6rem .4rem}.video summary{cursor:pointer;color:#1a56b0;padding:.2rem 0}
.body{padding:.6rem .8rem .8rem}
h3{font-size:1rem;margin:0 0 .2rem;overflow-wrap:anywhere}
.desc{margin:0 0 .4rem;font-size:.85rem}
.name{margin:0 0 .5rem;color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:auto 1fr;gap:.05rem .7rem;margin:.4rem 0;font-size:.85rem}
dt{color:var(--muted);overflow-wrap:anywhere}dd{margin:0;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
dl.measures{border-top:1px dashed var(--line);padding-top:.4rem}
dl.varied{grid-template-columns:1fr}dl.varied dd{font-weight:600;margin-bottom:.2rem}
.notes{font-size:.8rem;color:var(--muted)}
.links{margin:.5rem 0 0;display:flex;flex-wrap:wrap;gap:.4rem}
.links a{padding:.15rem .55rem;border:1px solid var(--line);border-radius:999px;text-decoration:none;
color:var(--accent);font-size:.85rem}
.more{font-size:.8rem;color:var(--muted)}.more summary{cursor:pointer}
.failures{margin-bottom:1rem;background:var(--badbg);border:1px solid var(--bad);border-radius:8px;
padding:.2rem 1rem .6rem}
.failures h2{color:var(--bad)}.failures ul{padding-left:1.1rem;margin:0}
.failures pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0 .6rem;font-size:.8rem}
.answers{margin:0 0 1rem}.answers summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.82rem;margin-top:.4rem}
th,td{border:1px solid var(--line);padding:.2rem .5rem;text-align:left;white-space:nowrap}
.empty,.none-match{color:var(--muted);padding:0 1rem}
code{font-size:.9em}
"""

# Everything here is a convenience on top of a page that works without scripts: cards show their
# posters, and every file is a link. Animations start only when the reader has not asked for reduced
# motion; each has a Play/Pause button, and one button pauses or plays them all.
JS = """
(function(){
var reduce=window.matchMedia?matchMedia("(prefers-reduced-motion: reduce)"):null,
anims=[].slice.call(document.querySelectorAll(".anim")),all=document.getElementById("pause-all");
function playing(a){return a.dataset.playing==="1";}
function freeze(a,img){var c=document.createElement("canvas");c.width=img.naturalWidth;c.height=img.naturalHeight;
c.getContext("2d").drawImage(img,0,0);c.setAttribute("role","img");c.setAttribute("aria-label",img.alt);
img.hidden=true;a.appendChild(c);}
function set(a,play){var img=a.querySelector("img"),c=a.querySelector("canvas");
if(c){c.remove();img.hidden=false;}
if(play){if(img.getAttribute("src")!==a.dataset.gif)img.src=a.dataset.gif;}
else if(a.dataset.poster){img.src=a.dataset.poster;}
else if(img.complete&&img.naturalWidth){freeze(a,img);}
else{img.addEventListener("load",function(){if(!playing(a)&&!a.querySelector("canvas"))freeze(a,img);},{once:true});}
a.dataset.playing=play?"1":"0";a.nextElementSibling.querySelector(".state").textContent=play?"Pause":"Play";
if(all)all.textContent=anims.some(playing)?"Pause all animations":"Play all animations";}
anims.forEach(function(a){var b=a.nextElementSibling;b.hidden=false;
b.addEventListener("click",function(){set(a,!playing(a));});set(a,!(reduce&&reduce.matches));});
if(all&&anims.length){all.hidden=false;all.addEventListener("click",function(){var p=!anims.some(playing);
anims.forEach(function(a){set(a,p);});});}
if(reduce&&reduce.addEventListener)reduce.addEventListener("change",function(){
if(reduce.matches)anims.forEach(function(a){set(a,false);});});
var box=document.getElementById("filter");if(!box)return;
var cards=document.querySelectorAll(".card"),none=document.querySelector(".none-match");
box.addEventListener("input",function(){var q=box.value.trim().toLowerCase(),shown=0;
cards.forEach(function(c){var hit=!q||c.dataset.search.indexOf(q)>=0;c.hidden=!hit;if(hit)shown++;});
document.querySelectorAll("section").forEach(function(s){if(s.querySelector(".card"))
s.hidden=!s.querySelector(".card:not([hidden])");});none.hidden=shown>0||!q;});})();
"""
