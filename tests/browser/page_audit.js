// Page helpers and audits for the report's browser test (evaluated in the page).
window.__center = (selector) => {
  const el = document.querySelector(selector);
  el.scrollIntoView({block: "center"});
  const box = el.getBoundingClientRect();
  return {x: box.left + box.width / 2, y: box.top + box.height / 2};
};

// WCAG 2 contrast of every visible text run against the first opaque background behind it.
window.__contrast = () => {
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("svg")) continue;
    if (!el.getClientRects().length) continue;  // not rendered (closed panel or details)
    const style = getComputedStyle(el);
    const fg = lum(rgb(style.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) bad.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${node.textContent.trim().slice(0, 30)}"`);
  }
  return bad;
};

// Headings never skip a level; buttons, sections, tables and summaries are labelled.
window.__structure = () => {
  const problems = [];
  const headings = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")];
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  let last = 0;
  for (const h of headings) {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push(`${h.tagName} "${h.textContent.slice(0, 40)}" skips a level after h${last}`);
    last = level;
  }
  for (const b of document.querySelectorAll("button")) {
    const name = b.getAttribute("aria-label") || b.textContent.trim();
    if (!name) problems.push("a button without a name");
    if (!document.getElementById(b.getAttribute("aria-controls"))) problems.push("a button controls nothing");
  }
  for (const s of document.querySelectorAll("section[aria-labelledby]")) {
    if (!document.getElementById(s.getAttribute("aria-labelledby"))) problems.push(`section ${s.id} unlabelled`);
  }
  for (const t of document.querySelectorAll("table")) {
    if (!t.querySelector("caption")) problems.push("a table without a caption");
    if (!t.querySelector("th[scope]")) problems.push("a table without header cells");
  }
  for (const s of document.querySelectorAll("summary")) {
    if (!s.textContent.trim()) problems.push("an unlabelled summary");
  }
  if (!document.documentElement.lang) problems.push("no lang");
  return {problems, headings: headings.length};
};

window.__cell = (selector) => {
  const b = document.querySelector(selector);
  const panel = document.getElementById(b.getAttribute("aria-controls"));
  return [b.getAttribute("aria-expanded"), panel.hidden];
};
