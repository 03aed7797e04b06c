"""``report.html``: one self-contained page (images inlined) about a render.

Sections: summary (status, cost estimated vs actual, wall time, provider calls), a player
(the film with its subtitle track, linked next to the report rather than inlined), the
contact sheet, a characters × shots identity heatmap (a face score coloured against its
threshold, with the face crops it used, linked from ``identity/``; "n/a" where no face scorer
applied, the look score in the cell's tooltip), one card per shot (its anchor frame as a
small JPEG, prompt, speech, every attempt with its status, cost, timing and error), and the
cost ledger.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

__all__ = ["render_html"]

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta span{display:inline-block;margin-right:18px}.ok{color:#1a7f37}.bad{color:#c0392b}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f0f0f0}
.heat td.score{text-align:center;font-weight:600;min-width:56px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px;margin:12px 0;
display:flex;gap:16px}.card img{width:240px;border-radius:4px;background:#000}
.prompt{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px;
background:#f6f6f6;padding:6px;border-radius:4px;max-height:160px;overflow:auto}
.sheet{max-width:100%;border:1px solid #ddd}
video.film{max-width:100%;max-height:70vh;background:#000;border-radius:6px}
.heat td.na{background:#f2f2f2;color:#888;font-weight:400}.tag{font-size:12px;padding:1px 6px;
border-radius:8px;background:#eee;margin-left:6px}
.heat img.crop{display:block;height:88px;margin:4px auto 0;border-radius:3px}
"""


#: a shot card's frame is shown 240 px wide: it is inlined at twice that (sharp on a HiDPI
#: screen) as a JPEG, not as the full-size anchor PNG (about 1 MB at 720p: a 200-shot report
#: was 250 MB of base64, built three times over in memory)
CARD_THUMB_WIDTH = 480
CARD_THUMB_QUALITY = 85


def _placeholder() -> str:
    return '<div style="width:240px;height:135px;background:#333"></div>'


def _img(path: Path | None, cls: str = "", alt: str = "") -> str:
    """``path`` inlined as it is (the contact sheet)."""
    if path is None or not Path(path).is_file():
        return _placeholder()
    data = base64.b64encode(Path(path).read_bytes()).decode()
    mime = "image/png" if str(path).endswith(".png") else "image/jpeg"
    return f'<img class="{cls}" alt="{html.escape(alt)}" src="data:{mime};base64,{data}">'


def card_thumbnail(path: Path, width: int = CARD_THUMB_WIDTH) -> bytes:
    """A JPEG of the image at ``path``, at most ``width`` pixels wide (never enlarged)."""
    import io

    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (width, width))  # JPEG sources decode at a reduced size directly
        image = im.convert("RGB")
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))),
                             Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=CARD_THUMB_QUALITY)
    return buf.getvalue()


def _thumb_img(path: Path | None, alt: str = "") -> str:
    """A shot's frame as a small inlined JPEG (:func:`card_thumbnail`); the placeholder when
    the file is missing or unreadable."""
    if path is None or not Path(path).is_file():
        return _placeholder()
    try:
        data = base64.b64encode(card_thumbnail(Path(path))).decode()
    except OSError:
        return _placeholder()
    return f'<img alt="{html.escape(alt)}" src="data:image/jpeg;base64,{data}">'


def _heat(score: float | None, threshold: float | None) -> str:
    if score is None:
        return "#eee"
    t = threshold or 0.5
    if score >= t:
        g = min(1.0, (score - t) / max(1e-6, 1 - t))
        return f"hsl(130,{40 + 30 * g:.0f}%,{80 - 25 * g:.0f}%)"
    r = min(1.0, (t - score) / max(1e-6, t))
    return f"hsl(5,{50 + 30 * r:.0f}%,{82 - 25 * r:.0f}%)"


def _note(sc: dict[str, Any]) -> str:
    return f": {html.escape(str(sc['note']))}" if sc.get("note") else ""


def render_html(manifest: dict[str, Any], result: Any) -> str:
    e = html.escape
    m = manifest
    cost = m["cost"]
    status_cls = "ok" if m["status"].startswith("done") else "bad"
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{e(m['title'])} · MiniStudio report</title><style>{CSS}</style></head><body>",
        f"<h1>{e(m['title'])}</h1><div class=meta>",
        f"<span class={status_cls}><b>status</b> {e(m['status'])}</span>",
        f"<span><b>shots</b> {len(m['shots'])}</span>",
        f"<span><b>cost</b> {e(str(cost['actual']))} {e(cost['currency'])} "
        f"(estimated {e(str(cost['estimated']))})</span>",
        f"<span><b>wall time</b> {m['wall_s']:.1f} s"
        + (" (" + ", ".join(f"{e(k)} {v:.1f} s" for k, v in m["phases_s"].items()) + ")"
           if m.get("phases_s") else "") + "</span>",
        f"<span><b>provider calls</b> {m['provider_calls']}</span>",
        f"<span><b>format</b> {e(m['format']['aspect_ratio'])} {e(m['format']['resolution'])} "
        f"{m['format']['fps']} fps</span></div>",
    ]
    if m["failures"]:
        parts.append("<h2 class=bad>Failures</h2><ul>")
        parts += [f"<li>shot <b>{e(f['shot'])}</b>: {e(f['stage'])} with {e(f['provider'])}: "
                  f"{e(f['reason'])}</li>" for f in m["failures"]]
        parts.append("</ul>")
    files = m.get("files") or {}
    if files.get("film"):
        # the film and its subtitles sit next to report.html: linked, not inlined
        track = (f'<track kind="subtitles" src="{e(files["vtt"])}" srclang="en" '
                 'label="Subtitles" default>' if files.get("vtt") else "")
        parts += ["<h2>Film</h2>",
                  f'<video class=film controls preload=metadata src="{e(files["film"])}">'
                  f'{track}<a href="{e(files["film"])}">{e(files["film"])}</a></video>']
    sheet = (result.files or {}).get("contact_sheet")
    if sheet:
        parts += ["<h2>Contact sheet</h2>", _img(sheet, "sheet", "contact sheet")]

    # characters x shots identity heatmap
    chars: dict[str, str] = {}
    for s in m["shots"]:
        for cid, sc in (s["identity"] or {}).items():
            chars.setdefault(cid, sc.get("name") or cid)
    parts.append("<h2>Identity (characters × shots)</h2>")
    if chars:
        kinds = {sc.get("kind") for s in m["shots"] for sc in (s["identity"] or {}).values()}
        if kinds - {"face"}:
            parts.append("<p><b>n/a</b>: no face scorer applied (no face found in the clip or "
                         "the references, or no face scorer installed), so identity was not "
                         "judged; the cell's tooltip has the <i>look</i> score, which measures "
                         "colour/structure continuity against the references, not who it "
                         "is.</p>")
        if any(sc.get("crop") for s in m["shots"] for sc in (s["identity"] or {}).values()):
            parts.append("<p>Under each face score: the face the scorer used in each frame it "
                         "scored (time, similarity), to check it measured the right person.</p>")
        parts.append("<table class=heat><tr><th>character</th>"
                     + "".join(f"<th>{e(s['id'])}</th>" for s in m["shots"]) + "</tr>")
        for cid, name in chars.items():
            row = [f"<tr><th>{e(name)}</th>"]
            for s in m["shots"]:
                sc = (s["identity"] or {}).get(cid)
                if sc is None:
                    row.append('<td class=score style="background:#f7f7f7">·</td>')
                elif sc.get("kind") != "face":
                    row.append(
                        f'<td class="score na" title="{e(sc.get("kind") or "look")} score '
                        f'{sc["score"]:.2f} (not face identity){_note(sc)}">n/a</td>')
                else:
                    crop = sc.get("crop")
                    img = (f'<a href="{e(crop)}"><img class=crop src="{e(crop)}" alt="faces '
                           f'of {e(name)} used in {e(s["id"])}"></a>' if crop else "")
                    row.append(
                        f'<td class=score title="{e(sc.get("scorer") or "")} {e(sc.get("kind") or "")}'
                        f' threshold {sc["threshold"]:.2f}{_note(sc)}" style="background:'
                        f'{_heat(sc["score"], sc["threshold"])}">{sc["score"]:.2f}{img}</td>')
            parts.append("".join(row) + "</tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No character with reference portraits appears in this film.</p>")

    # one card per shot
    parts.append("<h2>Shots</h2>")
    reps = {r.id: r for r in result.shots}
    for s in m["shots"]:
        rep = reps.get(s["id"])
        anchor = rep.outcome.anchor if rep is not None and rep.outcome is not None else None
        tag = "cached" if s["cached"] else s["status"]
        take = s.get("take") or {}
        if take.get("picked"):
            tag = f"picked take {take.get('attempt')}"
        parts.append(f"<div class=card><div>{_thumb_img(anchor, alt=s['id'])}</div><div>")
        parts.append(
            f"<h3>{e(s['id'])}<span class=tag>{e(tag)}</span></h3>"
            f"<div>{e(s['provider'])}/{e(s['model'] or '')} · seed {s['seed']} · "
            f"{s['duration_s']:.2f} s at {s['start_s']:.2f} s · cost {e(str(s['cost']))}"
            f" (est. {e(str(s['estimated_cost']))})"
            + (f" · continues from {e(s['continues_from'])}" if s["continues_from"] else "")
            + "</div>"
            f"<div class=prompt>{e(s['prompt'])}</div>"
        )
        if s["note"]:
            parts.append(f"<div class=bad>{e(s['note'])}</div>")
        if s["speech"]:
            parts.append("<ul>" + "".join(
                f"<li>{e(x['kind'])} {e(x['speaker'] or '')} @ {x['start_s']:.2f}s "
                f"({x['duration_s']:.2f}s): “{e(x['text'])}”</li>" for x in s["speech"]) + "</ul>")
        if s["attempts"]:
            parts.append("<table><tr><th>#</th><th>stage</th><th>provider</th><th>seed</th>"
                         "<th>job</th><th>status</th><th>cost</th><th>seconds</th>"
                         "<th>scores / error</th></tr>")
            for a in s["attempts"]:
                info = a["error"] and f"{a['error_type']}: {a['error']}" or (
                    ", ".join(f"{k} {v['score']:.2f}" for k, v in (a["scores"] or {}).items()))
                cls = "ok" if a["status"] == "ok" else "bad"
                parts.append(
                    f"<tr><td>{a['id']}</td><td>{e(a['stage'])}</td><td>{e(a['provider'] or '')}"
                    f"</td><td>{a['seed']}</td><td>{e(a['job_id'] or '')}</td>"
                    f"<td class={cls}>{e(a['status'])}</td><td>{e(str(a['cost']))}</td>"
                    f"<td>{a['seconds']}</td><td>{e(info or '')}</td></tr>")
            parts.append("</table>")
        parts.append("</div></div>")

    # cost ledger
    parts.append("<h2>Cost ledger</h2><table><tr><th>shot</th><th>estimated</th><th>actual</th>"
                 "<th>paid attempts</th><th>failed attempts</th></tr>")
    for s in m["shots"]:
        paid = sum(1 for a in s["attempts"] if a["cost"] not in (None, "0"))
        failed = sum(1 for a in s["attempts"] if a["status"] != "ok")
        parts.append(f"<tr><td>{e(s['id'])}</td><td>{e(str(s['estimated_cost']))}</td>"
                     f"<td>{e(str(s['cost']))}</td><td>{paid}</td><td>{failed}</td></tr>")
    parts.append(f"<tr><th>total</th><th>{e(str(cost['estimated']))}</th>"
                 f"<th>{e(str(cost['actual']))}</th><th></th><th></th></tr></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
