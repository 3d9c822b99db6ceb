// The sheet viewer: zoom (wheel, pinch, buttons, keys) and pan (drag) over a page, previous and next
// page, a jump to a sheet by its code, the cited region outlined, and the page's references to other
// sheets as boxes that lead there (to the target page, zoomed to its region and outlined).
//
// What it has is scaled at once (the page overview, and the last sharp view), so a zoom answers in
// the same frame; once the view has been still for a moment, it reports the visible region and its
// size in device pixels to Python (state "view"), which draws just that region from the original at
// that size and sends it back (data.detail). Everything is laid out in page coordinates (0..1 of the
// page as displayed), so an image that arrives late still lands where it belongs.
//
// Text that came from files (sheet codes, a reference's words) is set as text, never as HTML.
// Images arrive inside the data as data: URLs: the viewer loads nothing from anywhere.

const MAX_ZOOM = 100; // a hundredth of the page across the stage: 8 mm of an A1 sheet
const STEP = 1.5; // one press of + or -
const SETTLE_MS = 180; // still this long, the view is reported and drawn sharp
const OVERVIEWS_KEPT = 6;

const instances = new WeakMap();

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let viewer = instances.get(parentElement);
  if (!viewer) {
    viewer = new Viewer(parentElement, setStateValue);
    instances.set(parentElement, viewer);
  }
  viewer.setStateValue = setStateValue;
  viewer.update(data);
  return () => {
    viewer.destroy();
    instances.delete(parentElement);
  };
}

class Viewer {
  constructor(root, setStateValue) {
    this.setStateValue = setStateValue;
    const find = (selector) => root.querySelector(selector);
    this.el = {
      root: find(".azv"), stage: find(".azv-stage"), overview: find(".azv-overview"), detail: find(".azv-detail"),
      mark: find(".azv-mark"), links: find(".azv-links"), page: find(".azv-page"), prev: find(".azv-prev"),
      next: find(".azv-next"), jump: find(".azv-jump"), jumpForm: find(".azv-jump-form"), codes: find(".azv-codes"),
      notice: find(".azv-notice"),
      zoomIn: find(".azv-in"), zoomOut: find(".azv-out"), zoomLabel: find(".azv-zoom"), fit: find(".azv-fit"),
      full: find(".azv-full"),
    };
    this.el.codes.id = `azv-codes-${Math.random().toString(36).slice(2)}`;
    this.el.jump.setAttribute("list", this.el.codes.id);
    this.data = null;
    this.token = null;
    this.page = 1;
    this.zoom = 1;
    this.tx = 0;
    this.ty = 0;
    this.pending = null; // a region to show once the stage has a size
    this.overviews = new Map(); // page -> data: URL, the newest last
    this.detail = null; // {page, region, url} shown now
    this.mark = null; // {page, region} outlined: the cited region, or where a reference led
    this.reported = "";
    this.timer = 0;
    this.pointers = new Map();
    this.bind();
  }

  bind() {
    const { el } = this;
    el.root.addEventListener("click", (event) => {
      const act = event.target.closest("button")?.dataset.act;
      if (act === "prev") this.goto(this.page - 1);
      else if (act === "next") this.goto(this.page + 1);
      else if (act === "in") this.zoomAt(STEP);
      else if (act === "out") this.zoomAt(1 / STEP);
      else if (act === "fit") this.fit();
      else if (act === "full") this.fullscreen();
      else if (act === "link") this.follow(Number(event.target.closest("button").dataset.index));
    });
    el.jumpForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.jump(el.jump.value);
    });
    el.stage.addEventListener("wheel", (event) => {
      event.preventDefault();
      const unit = event.deltaMode === 1 ? 0.05 : event.deltaMode === 2 ? 1 : 0.0015;
      const box = el.stage.getBoundingClientRect();
      this.zoomAt(Math.exp(-event.deltaY * unit), event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    el.stage.addEventListener("pointerdown", (event) => {
      if (event.target.closest(".azv-link")) return; // a click on a reference, not a drag
      el.stage.focus({ preventScroll: true });
      el.stage.setPointerCapture(event.pointerId);
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      el.stage.classList.add("azv-dragging");
    });
    el.stage.addEventListener("pointermove", (event) => this.drag(event));
    const release = (event) => {
      this.pointers.delete(event.pointerId);
      if (!this.pointers.size) el.stage.classList.remove("azv-dragging");
    };
    el.stage.addEventListener("pointerup", release);
    el.stage.addEventListener("pointercancel", release);
    el.stage.addEventListener("dblclick", (event) => {
      const box = el.stage.getBoundingClientRect();
      this.zoomAt(2, event.clientX - box.left, event.clientY - box.top);
    });
    el.stage.addEventListener("keydown", (event) => this.key(event));
    this.resizing = new ResizeObserver(() => this.resized());
    this.resizing.observe(el.stage);
  }

  destroy() {
    this.resizing.disconnect();
    clearTimeout(this.timer);
  }

  // -- data from Python ---------------------------------------------------------------------------

  update(data) {
    this.data = data;
    const { el } = this;
    const labels = data.labels;
    el.prev.title = labels.prev; el.prev.setAttribute("aria-label", labels.prev);
    el.next.title = labels.next; el.next.setAttribute("aria-label", labels.next);
    el.zoomIn.title = labels.zoom_in; el.zoomIn.setAttribute("aria-label", labels.zoom_in);
    el.zoomOut.title = labels.zoom_out; el.zoomOut.setAttribute("aria-label", labels.zoom_out);
    el.full.title = labels.full; el.full.setAttribute("aria-label", labels.full);
    el.fit.textContent = labels.fit;
    el.jump.placeholder = labels.jump;
    el.jump.setAttribute("aria-label", labels.jump);
    el.stage.setAttribute("aria-label", labels.stage);
    this.fillCodes(data.pages);
    if (data.overview) this.keepOverview(data.overview.page, data.overview.url);
    if (data.token !== this.token) {
      this.token = data.token;
      this.page = data.start.page;
      this.detail = null;
      this.mark = data.mark;
      this.reported = "";
      this.pending = data.start.region || "fit";
      if (data.reveal) requestAnimationFrame(() => this.el.root.scrollIntoView({ block: "start" }));
    }
    if (data.detail && data.detail.page === this.page) this.showDetail(data.detail);
    this.fillLinks(data.links);
    this.layout();
    if (!this.reported) this.report();
  }

  fillCodes(pages) {
    const signature = JSON.stringify(pages.map((p) => p.code));
    if (signature === this.codesSignature) return;
    this.codesSignature = signature;
    const options = [];
    for (const page of pages) {
      if (!page.code) continue;
      const option = document.createElement("option");
      option.value = page.code; // a property: the code is text, whatever it holds
      options.push(option);
    }
    this.el.codes.replaceChildren(...options);
  }

  fillLinks(links) {
    // One button per reference of the page, its tooltip set as text; placed by layout().
    const signature = JSON.stringify(links);
    if (signature === this.linksSignature) return;
    this.linksSignature = signature;
    const buttons = links.items.map((link, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "azv-link";
      button.dataset.act = "link";
      button.dataset.index = String(index);
      button.title = link.title;
      button.setAttribute("aria-label", link.title);
      return button;
    });
    this.el.links.replaceChildren(...buttons);
  }

  keepOverview(page, url) {
    this.overviews.delete(page);
    this.overviews.set(page, url);
    while (this.overviews.size > OVERVIEWS_KEPT) this.overviews.delete(this.overviews.keys().next().value);
  }

  showDetail(detail) {
    if (this.detail && this.detail.url === detail.url) return;
    const picture = new Image();
    picture.src = detail.url;
    picture.decode().then(() => {
      if (detail.page !== this.page) return;
      this.detail = detail;
      this.el.detail.src = detail.url;
      this.layout();
      this.sharpness();
    }, () => {});
  }

  // -- geometry -----------------------------------------------------------------------------------

  pageSize() {
    const info = this.data.pages[this.page - 1];
    return [info.width || 1, info.height || 1];
  }

  stageSize() {
    return [this.el.stage.clientWidth, this.el.stage.clientHeight];
  }

  scale() {
    const [pw, ph] = this.pageSize();
    const [w, h] = this.stageSize();
    return Math.min(w / pw, h / ph) * this.zoom;
  }

  clamp() {
    const [pw, ph] = this.pageSize();
    const [w, h] = this.stageSize();
    const s = this.scale();
    const sw = pw * s, sh = ph * s;
    this.tx = sw <= w ? (w - sw) / 2 : Math.min(0, Math.max(w - sw, this.tx));
    this.ty = sh <= h ? (h - sh) / 2 : Math.min(0, Math.max(h - sh, this.ty));
  }

  showRegion(region) {
    const [pw, ph] = this.pageSize();
    const [w, h] = this.stageSize();
    const fit = Math.min(w / pw, h / ph);
    const cx = (region[0] + region[2]) / 2, cy = (region[1] + region[3]) / 2;
    const rw = Math.max((region[2] - region[0]) * 1.4, 0.12), rh = Math.max((region[3] - region[1]) * 1.4, 0.12);
    this.zoom = Math.min(MAX_ZOOM, Math.max(1, Math.min(w / (rw * pw * fit), h / (rh * ph * fit))));
    const s = this.scale();
    this.tx = w / 2 - cx * pw * s;
    this.ty = h / 2 - cy * ph * s;
  }

  visible() {
    const [pw, ph] = this.pageSize();
    const [w, h] = this.stageSize();
    const s = this.scale();
    const sw = pw * s, sh = ph * s;
    const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1e5) / 1e5;
    const region = [round(-this.tx / sw), round(-this.ty / sh), round((w - this.tx) / sw), round((h - this.ty) / sh)];
    const dpr = window.devicePixelRatio || 1;
    const pixels = [Math.round((region[2] - region[0]) * sw * dpr), Math.round((region[3] - region[1]) * sh * dpr)];
    return { region, pixels };
  }

  fitHeight() {
    // As tall as the sheet at its width, up to data.height: no grey band over a landscape sheet.
    if (document.fullscreenElement === this.el.root) {
      this.el.stage.style.height = "";
      return;
    }
    const [pw, ph] = this.pageSize();
    const height = Math.round(Math.min(this.data.height, Math.max(240, this.el.stage.clientWidth * ph / pw)));
    if (this.el.stage.style.height !== `${height}px`) this.el.stage.style.height = `${height}px`;
  }

  layout() {
    if (!this.data) return;
    this.fitHeight();
    const [w] = this.stageSize();
    if (!w) return;
    if (this.pending) {
      if (this.pending === "fit") { this.zoom = 1; } else { this.showRegion(this.pending); }
      this.pending = null;
    }
    this.clamp();
    const { el } = this;
    const [pw, ph] = this.pageSize();
    const s = this.scale();
    const place = (node, box) => {
      node.style.left = `${this.tx + box[0] * pw * s}px`;
      node.style.top = `${this.ty + box[1] * ph * s}px`;
      node.style.width = `${(box[2] - box[0]) * pw * s}px`;
      node.style.height = `${(box[3] - box[1]) * ph * s}px`;
    };
    const overview = this.overviews.get(this.page);
    if (overview) {
      if (el.overview.getAttribute("src") !== overview) el.overview.src = overview;
      el.overview.style.display = "block";
      place(el.overview, [0, 0, 1, 1]);
    } else {
      el.overview.style.display = "none";
    }
    if (this.detail && this.detail.page === this.page) {
      el.detail.style.display = "block";
      place(el.detail, this.detail.region);
    } else {
      el.detail.style.display = "none";
    }
    const mark = this.mark;
    if (mark && mark.page === this.page) {
      el.mark.style.display = "block";
      place(el.mark, mark.region);
    } else {
      el.mark.style.display = "none";
    }
    const links = this.data.links;
    el.links.style.display = links.page === this.page ? "block" : "none";
    if (links.page === this.page) links.items.forEach((link, i) => place(el.links.children[i], link.bbox));
    this.label();
  }

  label() {
    const { el, data } = this;
    const labels = data.labels;
    const count = data.pages.length;
    const code = data.pages[this.page - 1].code;
    let text = labels.page.replace("{page}", String(this.page)).replace("{count}", String(count));
    if (code) text += ` · ${labels.sheet.replace("{code}", code)}`;
    el.page.textContent = text;
    el.prev.disabled = this.page <= 1;
    el.next.disabled = this.page >= count;
    el.zoomLabel.textContent = `${Math.round(this.zoom * 100)}%`;
    el.zoomOut.disabled = this.zoom <= 1;
    el.zoomIn.disabled = this.zoom >= MAX_ZOOM;
  }

  // -- what a person does -------------------------------------------------------------------------

  zoomAt(factor, x, y) {
    const [w, h] = this.stageSize();
    const cx = x ?? w / 2, cy = y ?? h / 2;
    const before = this.scale();
    this.zoom = Math.min(MAX_ZOOM, Math.max(1, this.zoom * factor));
    const after = this.scale();
    this.tx = cx - (cx - this.tx) * (after / before);
    this.ty = cy - (cy - this.ty) * (after / before);
    this.changed();
  }

  fit() {
    this.zoom = 1;
    this.changed();
  }

  drag(event) {
    const last = this.pointers.get(event.pointerId);
    if (!last) return;
    const others = [...this.pointers].filter(([id]) => id !== event.pointerId).map(([, p]) => p);
    const now = { x: event.clientX, y: event.clientY };
    if (others.length === 1) { // pinch: the two fingers' distance zooms, their midpoint pans
      const other = others[0];
      const before = Math.hypot(last.x - other.x, last.y - other.y) || 1;
      const after = Math.hypot(now.x - other.x, now.y - other.y) || 1;
      const box = this.el.stage.getBoundingClientRect();
      this.tx += (now.x - last.x) / 2;
      this.ty += (now.y - last.y) / 2;
      this.pointers.set(event.pointerId, now);
      this.zoomAt(after / before, (now.x + other.x) / 2 - box.left, (now.y + other.y) / 2 - box.top);
      return;
    }
    this.tx += now.x - last.x;
    this.ty += now.y - last.y;
    this.pointers.set(event.pointerId, now);
    this.changed();
  }

  key(event) {
    const pan = 80;
    const keys = {
      "+": () => this.zoomAt(STEP), "=": () => this.zoomAt(STEP), "-": () => this.zoomAt(1 / STEP),
      "0": () => this.fit(), ArrowLeft: () => this.panBy(pan, 0), ArrowRight: () => this.panBy(-pan, 0),
      ArrowUp: () => this.panBy(0, pan), ArrowDown: () => this.panBy(0, -pan),
      PageDown: () => this.goto(this.page + 1), PageUp: () => this.goto(this.page - 1),
    };
    const act = keys[event.key];
    if (act) { event.preventDefault(); act(); }
  }

  panBy(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.changed();
  }

  goto(page, region) {
    const count = this.data.pages.length;
    if (page < 1 || page > count) return;
    this.el.notice.textContent = "";
    if (page !== this.page) {
      this.page = page;
      this.detail = null;
    }
    this.pending = region || "fit";
    this.layout();
    this.report();
  }

  follow(index) {
    // A reference: its target page, zoomed to its region and outlined when it has one.
    const link = this.data.links.items[index];
    if (!link || this.data.links.page !== this.page) return;
    this.mark = link.region ? { page: link.page, region: link.region } : null;
    this.el.stage.focus({ preventScroll: true }); // the keys keep working: the boxes are redrawn
    this.goto(link.page, link.region);
  }

  jump(typed) {
    const wanted = normal(typed);
    if (!wanted) return;
    const pages = this.data.pages;
    let found = pages.filter((p) => p.code && normal(p.code) === wanted);
    if (!found.length) found = pages.filter((p) => p.code && normal(p.code).includes(wanted));
    if (found.length === 1 || (found.length > 1 && normal(found[0].code) === wanted)) {
      this.goto(found[0].n);
      this.el.jump.value = "";
    } else if (/^\d+$/.test(wanted) && Number(wanted) >= 1 && Number(wanted) <= pages.length) {
      this.goto(Number(wanted));
      this.el.jump.value = "";
    } else {
      this.el.notice.textContent = this.data.labels.no_sheet.replace("{code}", typed.trim());
    }
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else this.el.root.requestFullscreen?.();
  }

  resized() {
    if (!this.data) return;
    this.layout();
    this.changed();
  }

  changed() {
    this.layout();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.report(), SETTLE_MS);
  }

  report() {
    const [w] = this.stageSize();
    if (!w || !this.data) return;
    const { region, pixels } = this.visible();
    const view = { token: this.token, page: this.page, region, pixels, have: this.overviews.has(this.page) ? this.page : 0 };
    const text = JSON.stringify(view);
    if (text === this.reported) return;
    this.reported = text;
    this.asked = view;
    this.sharpness();
    this.setStateValue("view", view);
  }

  sharpness() {
    // "sharp" once the view shown is the one last reported, drawn at its size; "drawing" meanwhile.
    const asked = this.asked, shown = this.detail;
    const same = asked && shown && shown.page === asked.page
      && shown.region.every((v, i) => Math.abs(v - asked.region[i]) < 2e-4);
    this.el.root.dataset.view = same ? "sharp" : "drawing";
  }
}

function normal(text) {
  return String(text || "").toUpperCase().replace(/Ё/g, "Е").replace(/\s+/g, "").trim();
}
