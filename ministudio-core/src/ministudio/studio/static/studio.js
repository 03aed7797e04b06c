// MiniStudio Studio: the pages' behaviour. Plain JS, no build step; everything goes through
// the HTTP API (/api/...), authorised by the studio's HttpOnly cookie.
"use strict";

const film = document.body.dataset.film;
const filmUrl = film ? film.split("/").map(encodeURIComponent).join("/") : "";

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(method, path, body) {
  const opts = {method, headers: {}};
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch("/api/" + path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = {error: res.statusText}; }
  return {status: res.status, ok: res.ok, data};
}

function money(v, currency) {
  if (v === null || v === undefined) return "?";
  return Number(v).toFixed(2) + (currency ? " " + currency : "");
}

function badge(state) {
  return h("span", {class: "badge state-" + state}, state);
}

function showProblems(list, problems, onPick) {
  list.replaceChildren(...(problems || []).map((p) => h("li", {
    class: "problem", "data-line": p.line || "",
    onclick: onPick && p.line ? () => onPick(p.line) : null,
  }, p.line ? h("span", {class: "where"}, "line " + p.line) : null,
     p.path ? h("code", {}, p.path) : null, " ", p.message)));
}

// -- projects --------------------------------------------------------------------------------

async function projectsPage() {
  const box = document.getElementById("projects");
  const {data} = await api("GET", "projects");
  const films = data.films || [];
  if (!films.length) {
    box.replaceChildren(h("p", {class: "muted"}, "No films here yet: draft one below, or run ",
      h("code", {}, "ministudio init FOLDER"), "."));
  } else {
    box.replaceChildren(...films.map((f) => {
      const u = f.film.split("/").map(encodeURIComponent).join("/");
      const last = f.last_render;
      return h("article", {class: "card project", "data-film": f.film},
        h("a", {href: "/watch/" + u, class: "thumb"},
          f.thumbnail ? h("img", {src: f.thumbnail, alt: ""}) : h("div", {class: "noimg"}, "no image")),
        h("h3", {}, f.title), h("p", {class: "muted path"}, f.film),
        h("p", {}, f.rendering ? badge("running") : last ? badge(last.status) : badge("never rendered"),
          last && last.cost ? " " + money(last.cost.actual, last.cost.currency) : "",
          last && last.created ? h("span", {class: "muted"}, " · " + last.created.slice(0, 16).replace("T", " ")) : ""),
        h("nav", {class: "card-links"}, ...["edit", "plan", "render", "watch"].map(
          (p) => h("a", {href: "/" + p + "/" + u}, p[0].toUpperCase() + p.slice(1)))));
    }));
  }
  const form = document.getElementById("draft-form");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = document.getElementById("draft-status");
    status.textContent = "drafting…";
    const res = await api("POST", "draft", {text: document.getElementById("draft-text").value,
                                            folder: document.getElementById("draft-folder").value});
    if (res.ok) location.href = "/edit/" + res.data.film.split("/").map(encodeURIComponent).join("/");
    else status.textContent = res.data.error;
  });
}

// -- edit ------------------------------------------------------------------------------------

function gallery(box, items) {
  box.replaceChildren(...items.map((it) => h("figure", {class: "figure"},
    ...(it.images.length ? it.images.map((src) => h("img", {src, alt: it.name || it.id}))
                         : [h("div", {class: "noimg"}, "no image")]),
    h("figcaption", {}, h("strong", {}, it.name || it.id), " ", h("span", {class: "muted"}, it.description || "")))));
  if (!items.length) box.replaceChildren(h("p", {class: "muted"}, "none"));
}

async function editPage() {
  const src = document.getElementById("source");
  const gutter = document.getElementById("gutter");
  const list = document.getElementById("problems");
  const status = document.getElementById("check-status");
  let bad = new Set();
  let timer = null;
  let seq = 0;

  function drawGutter() {
    const n = src.value.split("\n").length;
    const rows = [];
    for (let i = 1; i <= n; i++) {
      rows.push(h("span", {class: bad.has(i) ? "ln bad" : "ln", "data-line": i}, String(i)));
      rows.push("\n");
    }
    gutter.replaceChildren(...rows);
    gutter.scrollTop = src.scrollTop;
  }
  function goTo(line) {
    const lines = src.value.split("\n");
    let pos = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
    src.focus();
    src.setSelectionRange(pos, pos + (lines[line - 1] || "").length);
    const lh = parseFloat(getComputedStyle(src).lineHeight) || 18;
    src.scrollTop = Math.max(0, (line - 4) * lh);
  }
  function show(data) {
    const problems = data.problems || [];
    bad = new Set(problems.filter((p) => p.line).map((p) => p.line));
    status.className = "badge " + (problems.length ? "state-failed" : "state-done");
    status.textContent = problems.length ? problems.length + (problems.length === 1 ? " problem" : " problems") : "valid";
    showProblems(list, problems, goTo);
    drawGutter();
    if (data.info) {
      gallery(document.getElementById("characters"), data.info.characters);
      gallery(document.getElementById("environments"), data.info.environments);
    }
  }
  async function check() {
    const mine = ++seq;
    status.textContent = "checking…";
    const res = await api("POST", "validate/" + filmUrl, {text: src.value});
    if (mine === seq) show(res.data);
  }
  const res = await api("GET", "film/" + filmUrl);
  src.value = res.data.text || "";
  show(res.data);
  src.addEventListener("input", () => {
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(check, 350);
  });
  src.addEventListener("scroll", () => { gutter.scrollTop = src.scrollTop; });
  document.getElementById("save").addEventListener("click", async () => {
    const saved = await api("PUT", "film/" + filmUrl, {text: src.value});
    document.getElementById("save-status").textContent = saved.ok ? "saved" : saved.data.error;
    if (saved.ok) show(saved.data);
  });
}

// -- plan ------------------------------------------------------------------------------------

async function planPage() {
  const strip = document.getElementById("storyboard");
  const res = await api("GET", "plan/" + filmUrl);
  if (!res.ok) {
    strip.replaceChildren(h("p", {class: "error"}, res.data.error));
    showProblems(document.getElementById("problems"), res.data.problems || []);
    return;
  }
  const plan = res.data;
  document.getElementById("plan-title").textContent = plan.title;
  document.getElementById("plan-totals").textContent =
    `${plan.clips.length} shots · ${plan.duration_s} s · ${plan.aspect_ratio} ${plan.resolution} · ` +
    `estimated ${money(plan.estimated_cost, plan.currency)}`;
  document.getElementById("plan-warnings").replaceChildren(...plan.warnings.map((w) => h("li", {}, w)));
  strip.replaceChildren(...plan.clips.map((c, i) => h("article", {class: "card frame", "data-shot": c.id},
    h("div", {class: "frame-head"}, h("span", {class: "num"}, String(i + 1)), h("strong", {}, c.id),
      h("span", {class: "cost"}, money(c.estimated_cost, plan.currency))),
    c.images.length ? h("div", {class: "refs"}, ...c.images.slice(0, 3).map((s) => h("img", {src: s, alt: ""}))) : null,
    h("p", {class: "action"}, c.action || ""),
    h("dl", {},
      h("dt", {}, "shot"), h("dd", {}, c.shot_type || "auto", c.preset ? ` (${c.preset})` : ""),
      h("dt", {}, "camera"), h("dd", {}, [c.camera.movement, c.camera.lens].filter(Boolean).join(", ") || "—"),
      h("dt", {}, "duration"), h("dd", {}, `${c.duration_s} s (${c.duration_source})`),
      h("dt", {}, "model"), h("dd", {}, `${c.provider}/${c.model}`),
      c.continues_from ? [h("dt", {}, "after"), h("dd", {}, c.continues_from)] : null,
      h("dt", {}, "transition"), h("dd", {}, c.transition)),
    c.speech.length ? h("ul", {class: "speech"}, ...c.speech.map((s) =>
      h("li", {}, h("em", {}, (s.speaker || "narrator") + ": "), s.text))) : null,
    h("details", {}, h("summary", {}, "prompt"), h("pre", {class: "prompt"}, c.prompt)))));
}

// -- render progress (render page and re-render on the watch page) -------------------------

function follow(run, onUpdate, onEnd, kind = "renders") {
  const es = new EventSource("/api/" + kind + "/" + run.id + "/events");
  let pending = null;
  const refresh = async () => {
    pending = null;
    const res = await api("GET", kind + "/" + run.id);
    if (res.ok) onUpdate(res.data);
  };
  es.onmessage = () => { if (!pending) pending = setTimeout(refresh, 150); };
  es.addEventListener("end", async (ev) => {
    es.close();
    const res = await api("GET", kind + "/" + run.id);
    onEnd(res.data, JSON.parse(ev.data));
  });
  es.onerror = () => { if (es.readyState === EventSource.CLOSED) refresh(); };
  return es;
}

function scoreText(scores) {
  return Object.entries(scores || {}).map(([who, s]) =>
    s && s.kind && s.kind !== "face" ? `${who} n/a` :
      `${who}=${Number(s && s.score !== undefined ? s.score : s).toFixed(2)}`).join(" ");
}

function progressOf(st) {
  const total = st.shots.length || 1;
  const finished = st.shots.filter((s) => ["done", "cached", "failed", "blocked", "gap"].includes(s.state)).length;
  return st.state === "done" ? 100 : Math.round(100 * finished / total * 0.95);
}

async function renderPage() {
  const startBtn = document.getElementById("start");
  const cancelBtn = document.getElementById("cancel");
  const line = document.getElementById("run-line");
  const tbody = document.querySelector("#shots tbody");
  const bar = document.getElementById("progress-bar");
  const errorEl = document.getElementById("run-error");
  let current = null;
  let last = null;

  function drawLine() {
    const st = last;
    if (!st) return;
    // between events the clock keeps going (the server's times; the studio is local)
    const running = st.state === "running" && st.started;
    const elapsed = running ? Math.max(st.elapsed_s, Date.now() / 1000 - st.started) : st.elapsed_s;
    line.textContent = `${st.state === "queued" ? "queued" : st.phase} · ${elapsed.toFixed(0)} s elapsed · ` +
      `ETA ${st.eta_s === null ? "–" : Math.round(st.eta_s) + " s"} · ` +
      `cost ${money(st.cost)} of ~${money(st.estimated_cost, st.currency)}`;
  }
  setInterval(() => { if (current) drawLine(); }, 1000);

  function update(st) {
    document.getElementById("run-state").replaceWith(Object.assign(badge(st.state), {id: "run-state"}));
    last = st;
    drawLine();
    bar.style.width = progressOf(st) + "%";
    tbody.replaceChildren(...st.shots.map((s) => h("tr", {"data-shot": s.id, class: "state-" + s.state},
      h("td", {}, s.id), h("td", {}, badge(s.state)), h("td", {}, s.attempt || ""),
      h("td", {}, s.cost ? money(s.cost) : ""), h("td", {}, scoreText(s.scores)), h("td", {}, s.reason || ""))));
  }
  function end(st) {
    update(st);
    current = null;
    startBtn.disabled = false;
    cancelBtn.disabled = true;
    if (st.state === "done") document.getElementById("run-done").hidden = false;
    if (st.error && st.state !== "done") { errorEl.hidden = false; errorEl.textContent = st.error; }
  }
  function attach(st) {
    current = st;
    startBtn.disabled = true;
    cancelBtn.disabled = false;
    errorEl.hidden = true;
    document.getElementById("run-done").hidden = true;
    update(st);
    follow(st, update, end);
  }
  async function start(confirm) {
    document.getElementById("confirm").hidden = true;
    const body = {film};
    const cap = document.getElementById("max-cost").value.trim();
    if (cap) body.max_cost = cap;
    if (confirm) body.confirm = true;
    const res = await api("POST", "renders", body);
    showProblems(document.getElementById("problems"), res.data.problems || []);
    if (res.status === 428) {
      document.getElementById("confirm-text").textContent =
        `This render is estimated at ${money(res.data.estimated_cost, res.data.currency)} ` +
        `(${res.data.shots} shots; shots already in the cache cost nothing). Spend it?`;
      document.getElementById("confirm").hidden = false;
    } else if (res.ok) {
      attach(res.data);
    } else {
      errorEl.hidden = false;
      errorEl.textContent = res.data.error + (res.data.hint ? "\n" + res.data.hint : "");
    }
  }
  startBtn.addEventListener("click", () => start(false));
  document.getElementById("confirm-yes").addEventListener("click", () => start(true));
  document.getElementById("confirm-no").addEventListener("click", () => { document.getElementById("confirm").hidden = true; });
  cancelBtn.addEventListener("click", async () => { if (current) await api("POST", "renders/" + current.id + "/cancel"); });
  const active = await api("GET", "renders?active=1&film=" + encodeURIComponent(film));
  if (active.ok && active.data.renders.length) attach(active.data.renders[0]);
}

// -- watch -----------------------------------------------------------------------------------

async function watchPage() {
  const res = await api("GET", "output/" + filmUrl);
  if (!res.ok) { document.getElementById("no-render").hidden = false; return; }
  document.getElementById("watch").hidden = false;
  const out = res.data;
  const player = document.getElementById("player");
  const stamp = "?v=" + encodeURIComponent(out.created || "");
  player.replaceChildren();
  player.src = out.files.film + stamp;
  if (out.files.vtt) {
    player.append(h("track", {kind: "subtitles", srclang: "en", label: "Subtitles", src: out.files.vtt + stamp, default: true}));
  }
  player.addEventListener("ended", () => { player.dataset.ended = "1"; });
  document.getElementById("film-line").textContent =
    `${out.title} · ${out.status} · ${out.shots.length} shots · cost ${money(out.cost && out.cost.actual, out.cost && out.cost.currency)} · rendered ${(out.created || "").slice(0, 19).replace("T", " ")}`;
  const names = {film: "Film (MP4)", srt: "Subtitles (SRT)", vtt: "Subtitles (VTT)", timeline: "Timeline (OTIO)", report: "Report (HTML)", manifest: "Manifest (JSON)", contact_sheet: "Contact sheet"};
  document.getElementById("downloads").replaceChildren(h("strong", {}, "Download: "),
    ...Object.entries(names).filter(([k]) => out.files[k]).map(([k, label]) =>
      h("a", {class: "button small", id: "download-" + k, href: out.files[k] + "?download=1", download: ""}, label)));
  const list = document.getElementById("shot-list");
  list.replaceChildren(...out.shots.map((s) => h("button", {
    type: "button", class: "shot-chip state-" + s.status, "data-shot": s.id,
    onclick: () => { showShot(s); if (player.duration) player.currentTime = s.start_s || 0; },
  }, h("strong", {}, s.id), h("span", {}, `${Number(s.duration_s).toFixed(1)} s`), badge(s.status))));

  function showShot(s) {
    const box = document.getElementById("shot-detail");
    box.hidden = false;
    const ident = Object.entries(s.identity || {});
    box.replaceChildren(h("div", {},
      h("h3", {}, s.id, " ", badge(s.status), s.take && s.take.picked ? [" ", badge("picked")] : null),
      s.clip_url ? h("video", {class: "take", src: s.clip_url + "#t=0.3", controls: true, muted: true, preload: "metadata"}) : null,
      h("p", {class: "muted"}, `${s.provider}/${s.model} · seed ${s.seed} · ${s.variants || 1} take(s) · cost ${money(s.cost)}`),
      s.note ? h("p", {class: "warn"}, s.note) : null,
      h("details", {open: true}, h("summary", {}, "prompt"), h("pre", {class: "prompt"}, s.prompt || "")),
      ident.length ? h("table", {class: "mini"}, h("tr", {}, h("th", {}, "character"), h("th", {}, "score"), h("th", {}, "threshold"), h("th", {}, "kind"), h("th", {}, "passed")),
        ...ident.map(([who, r]) => h("tr", {}, h("td", {}, r.name || who), h("td", {}, r.score === null ? "–" : Number(r.score).toFixed(3)),
          h("td", {}, r.threshold === null || r.threshold === undefined ? "–" : Number(r.threshold).toFixed(2)), h("td", {}, r.kind || ""), h("td", {}, r.passed ? "yes" : "no")))) : null,
      h("h4", {}, "Attempts"),
      h("table", {class: "mini attempts"}, h("tr", {}, h("th", {}, "stage"), h("th", {}, "provider"), h("th", {}, "status"), h("th", {}, "seconds"), h("th", {}, "cost"), h("th", {}, "error")),
        ...(s.attempts || []).map((a) => h("tr", {}, h("td", {}, a.stage), h("td", {}, a.provider), h("td", {}, a.status),
          h("td", {}, a.seconds === null || a.seconds === undefined ? "" : Number(a.seconds).toFixed(1)), h("td", {}, money(a.cost)), h("td", {}, a.error || "")))),
      (s.attempts || []).length ? null : h("p", {class: "muted"}, "no provider call in the last render (the clip came from the cache)"),
      h("h4", {}, "Takes ", h("small", {class: "muted"}, "every take the project has made of this shot")),
      h("div", {id: "takes", class: "takes"}, h("p", {class: "muted"}, "loading…")),
      h("button", {type: "button", id: "rerender-shot", onclick: () => rerender(s)}, "Re-render this shot")));
    loadTakes(s);
  }

  async function loadTakes(s) {
    const res = await api("GET", "takes/" + filmUrl + "?shot=" + encodeURIComponent(s.id));
    const box = document.getElementById("takes");
    if (!box) return;
    if (!res.ok || !res.data.takes.length) { box.replaceChildren(h("p", {class: "muted"}, res.ok ? "none stored" : res.data.error)); return; }
    box.replaceChildren(...res.data.takes.map((t) => h("figure", {class: "take-card" + (t.kept ? " kept" : "") + (t.picked ? " picked" : ""), "data-attempt": t.attempt},
      t.url ? h("video", {src: t.url + "#t=0.3", controls: true, muted: true, preload: "metadata"}) : null,
      h("figcaption", {}, t.kept ? badge("kept") : null, t.picked ? badge("picked") : null,
        ` take ${t.attempt} · render ${t.production} · seed ${t.seed === null ? "–" : t.seed}`,
        t.current ? null : h("span", {class: "muted", title: "made for an earlier version of this shot"}, " · old"),
        t.kept ? null : h("button", {type: "button", class: "small use-take", "data-attempt": t.attempt,
          title: t.current ? "use this take in the film (no provider call)" : "made for an earlier version of this shot: a render ignores it while the shot differs",
          onclick: () => useTake(s, t)}, "Use this take"),
        h("div", {class: "crops"}, ...Object.entries(t.identity).map(([who, r]) => h("span", {class: "crop"},
          r.crop_url ? h("img", {src: r.crop_url, alt: (r.name || who) + " identity crop"}) : null,
          `${r.name || who} ${r.score === null || r.score === undefined ? "n/a" : Number(r.score).toFixed(2)}${r.passed ? " ✓" : r.passed === false ? " ✗" : ""}`)))))));
  }

  // a render of the film (forcing `force` shots), followed in the re-render panel; on
  // success the page reloads and shows `reopen` again
  async function renderAgain(s, force, what, confirmed) {
    const box = document.getElementById("rerender");
    const lineEl = document.getElementById("rerender-line");
    box.hidden = false;
    delete lineEl.dataset.state;
    let res = await api("POST", "renders", confirmed ? {film, force, confirm: true} : {film, force});
    if (res.status === 428 && window.confirm(res.data.error)) res = await api("POST", "renders", {film, force, confirm: true});
    if (!res.ok) { lineEl.textContent = res.data.error; lineEl.dataset.state = "failed"; return; }
    const upd = (st) => {
      const row = st.shots.find((r) => r.id === s.id);
      lineEl.textContent = `${what} ${s.id}: ${st.phase}${row ? " · " + row.state : ""} · ${st.elapsed_s} s`;
      document.getElementById("rerender-bar").style.width = progressOf(st) + "%";
    };
    upd(res.data);
    follow(res.data, upd, async (st) => {
      lineEl.textContent = st.state === "done" ? `${what} ${s.id}: done` : `${what} ${st.state}: ${st.error || ""}`;
      if (st.state === "done") document.getElementById("rerender-bar").style.width = "100%";
      if (st.state === "done") {
        await watchPage();
        const fresh = document.querySelector(`.shot-chip[data-shot='${CSS.escape(s.id)}']`);
        if (fresh) fresh.click();  // the shot again, with its new kept take
      }
      lineEl.dataset.state = st.state;
    });
  }

  function rerender(s) { return renderAgain(s, [s.id], "re-rendering"); }

  async function useTake(s, t) {
    const lineEl = document.getElementById("rerender-line");
    delete lineEl.dataset.state;
    const res = await api("POST", "pick/" + filmUrl, {shot: s.id, attempt: t.attempt});
    if (!res.ok) { document.getElementById("rerender").hidden = false; lineEl.textContent = res.data.error; return; }
    const after = res.data.regenerates.length ?
      ` ${res.data.regenerates.join(", ")} continue${res.data.regenerates.length === 1 ? "s" : ""} from it and will be generated again (estimated ${money(res.data.estimated_cost, res.data.currency)}).` : "";
    const paid = res.data.regenerates.length && Number(res.data.estimated_cost) > 0;
    if (paid && !window.confirm(`Use take ${t.attempt} for ${s.id}?${after}`)) {
      document.getElementById("rerender").hidden = false;
      lineEl.textContent = `take ${t.attempt} is picked for ${s.id}; the next render uses it.${after}`;
      return;
    }
    await renderAgain(s, [], `using take ${t.attempt} for`, paid);
  }
}

// -- batch: several films, one `ministudio batch` process, a live per-film table ------------

async function batchPage() {
  const form = document.getElementById("batch-form");
  const box = document.getElementById("batch-films");
  const startBtn = document.getElementById("batch-start");
  const cancelBtn = document.getElementById("batch-cancel");
  const confirmBox = document.getElementById("batch-confirm");
  const errorEl = document.getElementById("batch-error");
  const line = document.getElementById("batch-line");
  const tbody = document.querySelector("#batch-table tbody");
  let current = null;
  const {data} = await api("GET", "projects");
  const films = data.films || [];
  box.replaceChildren(h("legend", {}, "Films to render"), ...(films.length ? films.map((f) =>
    h("label", {class: "check"}, h("input", {type: "checkbox", value: f.film, name: "film"}),
      " ", f.title, " ", h("span", {class: "muted"}, f.film))) :
    [h("p", {class: "muted"}, "No films here yet.")]));

  function update(st) {
    document.getElementById("batch-state").replaceWith(Object.assign(badge(st.state), {id: "batch-state"}));
    line.textContent = `${st.state} · ${st.done} done, ${st.failed} failed, ${st.skipped} skipped · ` +
      `cost ${money(st.cost, st.currency)}` + (st.executor ? ` · on ${st.executor}` : "");
    tbody.replaceChildren(...st.films.map((f) => h("tr", {"data-film": f.film, class: "state-" + f.status},
      h("td", {}, f.film), h("td", {}, badge(f.status)), h("td", {}, f.provider_calls ?? ""),
      h("td", {}, f.cost !== undefined ? money(f.cost) : ""),
      h("td", {}, f.reason ? f.reason.split("\n")[0] : (f.file || f.out || f.last_event || "")))));
  }
  function end(st) {
    update(st);
    current = null;
    startBtn.disabled = false;
    cancelBtn.disabled = true;
    errorEl.hidden = !st.error || st.state === "cancelled";
    errorEl.textContent = st.error || "";
  }
  async function start(confirm) {
    const chosen = [...box.querySelectorAll("input[name=film]:checked")].map((i) => i.value);
    const body = {films: chosen, confirm};
    const jobs = document.getElementById("batch-jobs").value;
    const maxCost = document.getElementById("batch-max-cost").value.trim();
    if (jobs) body.jobs = Number(jobs);
    if (maxCost) body.max_cost = maxCost;
    errorEl.hidden = true;
    confirmBox.hidden = true;
    const res = await api("POST", "batches", body);
    if (res.status === 428) {
      document.getElementById("batch-confirm-text").textContent =
        `This batch is estimated at ${money(res.data.estimated_cost, res.data.currency)} (cached shots cost nothing).`;
      confirmBox.hidden = false;
      return;
    }
    if (!res.ok) {
      errorEl.textContent = res.data.error + (res.data.hint ? "\n" + res.data.hint : "");
      errorEl.hidden = false;
      return;
    }
    current = res.data;
    startBtn.disabled = true;
    cancelBtn.disabled = false;
    update(current);
    follow(current, update, end, "batches");
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); start(false); });
  document.getElementById("batch-confirm-yes").addEventListener("click", () => start(true));
  document.getElementById("batch-confirm-no").addEventListener("click", () => { confirmBox.hidden = true; });
  cancelBtn.addEventListener("click", async () => { if (current) await api("POST", "batches/" + current.id + "/cancel"); });
}

const pages = {projects: projectsPage, edit: editPage, plan: planPage, render: renderPage, watch: watchPage,
               batch: batchPage};
const init = pages[document.body.dataset.page];
if (init) init().catch((e) => { document.querySelector("main").prepend(h("p", {class: "error"}, String(e))); });
