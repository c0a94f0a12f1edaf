/**
 * Hostile message HTML: each entry is one trick mail has used to run script, load something
 * remote, or trap a click. Every payload that would work reports to `base` (a URL the test
 * listens on), so a browser test can tell whether anything ran or loaded.
 */
export function hostileHtml(base: string): readonly (readonly [string, string])[] {
  const ping = (what: string) => `${base}/${what}`;
  const js = (what: string) => `fetch('${ping(what)}');window.top.__pwned='${what}'`;
  return [
    ["script tag", `<p>hi</p><script>${js("script")}</script>`],
    ["script with src", `<script src="${ping("script-src.js")}"></script>`],
    ["event handler on img", `<img src="x" onerror="${js("onerror")}">`],
    ["event handler on body", `<body onload="${js("onload")}"><p>x</p></body>`],
    ["handler, odd case and spacing", `<div OnMouseOver = "${js("mouseover")}">x</div>`],
    ["javascript: link", `<a id="js" href="javascript:${js("js-link")}">click</a>`],
    ["javascript: link, entity-encoded", `<a href="jav&#x09;ascript:${js("js-entity")}">click</a>`],
    ["javascript: link, upper case", `<a href="JAVASCRIPT:${js("js-upper")}">click</a>`],
    ["vbscript: link", `<a href="vbscript:msgbox(1)">click</a>`],
    ["data: html link", `<a href="data:text/html,<script>${js("data-link")}</script>">click</a>`],
    ["CSS expression", `<div style="width: expression(alert(1))">x</div>`],
    ["CSS remote background", `<div style="background: url(${ping("css-bg.png")})">x</div>`],
    [
      "CSS escaped url",
      `<div style="background-image: u\\72l(${ping("css-escaped.png")})">x</div>`,
    ],
    ["style element with import", `<style>@import url(${ping("import.css")});</style><p>x</p>`],
    // Style sheets are kept (sanitized, scoped): each of these must still load nothing.
    [
      "style: remote background",
      `<style>.bg{background:#eee url(${ping("style-bg.png")})}</style><div class="bg">x</div>`,
    ],
    [
      "style: font-face",
      `<style>@font-face{font-family:f;src:url(${ping("font.woff")})}p{font-family:f}</style><p>x</p>`,
    ],
    [
      "style: escaped url",
      `<style>.e{background:u\\72l(${ping("style-escaped.png")})}</style><div class="e">x</div>`,
    ],
    [
      "style: expression, behavior, binding",
      `<style>.x{width:expression(alert(1));behavior:url(${ping("b.htc")});-moz-binding:url(${ping("b.xml")})}</style><div class="x">x</div>`,
    ],
    [
      "style: cursor, list and content images",
      `<style>a{cursor:url(${ping("c.cur")}),auto}li{list-style-image:url(${ping("li.png")})}p::before{content:url(${ping("before.png")})}</style><ul><li><a href="https://example.com/">x</a></li></ul><p>x</p>`,
    ],
    [
      "style: image-set",
      `<style>.s{background-image:image-set("${ping("set.png")}" 1x)}</style><div class="s">x</div>`,
    ],
    [
      "style: media and nested rules",
      `<style>@media screen{.m{background:url(${ping("media.png")})}}.n{color:red;& p{background:url(${ping("nested.png")})}}</style><div class="m n"><p>x</p></div>`,
    ],
    [
      "style: variables",
      `<style>.v{--u:url(${ping("var.png")});background:var(--u)}</style><div class="v">x</div>`,
    ],
    [
      "style: closes its element",
      `<style>p{color:red}</style ><style>.c{font-family:"</style><script>${js("style-close")}</script>"}</style><p class="c">x</p>`,
    ],
    [
      "style: fixed overlay",
      `<style>.o{position:fixed;top:0;left:0;width:100%;height:100%;background:#fff;z-index:99}</style><div class="o">Session expired: log in again</div>`,
    ],
    ["SVG with script", `<svg><script>${js("svg-script")}</script><circle r="5"/></svg>`],
    ["SVG onload", `<svg onload="${js("svg-onload")}"></svg>`],
    ["meta refresh", `<meta http-equiv="refresh" content="0;url=${ping("refresh")}">`],
    [
      "form",
      `<form action="${ping("form")}"><input name="password"><button>Log in</button></form>`,
    ],
    ["remote image", `<img src="${ping("pixel.gif")}" width="1" height="1">`],
    ["protocol-relative image", `<img src="${ping("relative.gif").replace(/^https?:/, "")}">`],
    ["iframe", `<iframe src="${ping("iframe")}"></iframe>`],
    ["iframe srcdoc", `<iframe srcdoc="<script>${js("srcdoc")}</script>"></iframe>`],
    [
      "object and embed",
      `<object data="${ping("object")}"></object><embed src="${ping("embed")}">`,
    ],
    ["base href", `<base href="${ping("base/")}"><a href="x">x</a>`],
    ["link stylesheet", `<link rel="stylesheet" href="${ping("link.css")}">`],
    [
      "table background attribute",
      `<table background="${ping("table-bg.png")}"><tr><td>x</td></tr></table>`,
    ],
    ["mXSS comment", `<!--<img src="--><img src=x onerror=${js("mxss")}//">`],
    ["unclosed attribute", `<img src="x" alt="a onerror=${js("unclosed")} x="`],
    [
      "noscript trick",
      `<noscript><p title="</noscript><img src=x onerror=${js("noscript")}>"></noscript>`,
    ],
  ];
}
