"""The brief as one self-contained HTML page that works on a phone, a desktop and paper.

No external script, style, font or image (the CSP says so too). A marker [4.2] opens its
quote, source and claim id in a popover laid across its item's width, so that it stays
inside the screen from 320 px up; a marker links to its row of the citation table, which
links back to every marker citing it. The table sorts by a header click and filters as
you type; on a narrow screen each row is a card, every column (the claim id too) shown.
Markers are joined to the sentence's last word, so that none wraps alone onto a line.

Every piece of article text goes through Jinja's autoescaping, and sits in a <bdi> so
that its direction (a planted U+202E, say) cannot spill onto the dates and numbers beside
it; the script never writes HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, select_autoescape

from briefing.quotes import key_order, keyed
from briefing.render.markdown import HOW_TO_READ, OFFLINE_NOTICE, corroboration, supported
from briefing.schemas import Brief, BriefCitation, BriefItem, QuoteRow

# At most this many markers stay together on a line: four fit beside a word at 320 px.
MARKERS_PER_RUN = 4


@dataclass
class _Marker:
    number: int  # the marker's id is m<number>, in reading order
    citation: BriefCitation
    row: QuoteRow | None


@dataclass
class _Item:
    item: BriefItem
    markers: list[_Marker]
    corroboration: str

    @property
    def chunks(self) -> list[list[_Marker]]:
        """Markers in unbreakable runs: the first joined to the sentence's last word; a long
        list breaks between runs of two to four, so that none is ever alone on a line and
        none is wider than a phone."""
        markers, runs = self.markers, []
        while len(markers) > MARKERS_PER_RUN:
            take = MARKERS_PER_RUN - 1 if len(markers) == MARKERS_PER_RUN + 1 else MARKERS_PER_RUN
            runs.append(markers[:take])
            markers = markers[take:]
        return [*runs, markers]


@dataclass
class _Section:
    heading: str
    items: list[_Item] = field(default_factory=list)


def anchor(key: str) -> str:
    """The table row's id for key "4.2": q-4-2 (no dot, so that CSS can name it too)."""
    return "q-" + key.replace(".", "-")


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{{ brief.title }}</title>
<style>
:root{--ink:#1b1b1b;--muted:#5c5c5c;--line:#d7d7d7;--accent:#0b57a4;--paper:#fff}
*{box-sizing:border-box}
body{font:16px/1.55 Georgia,"Times New Roman",serif;color:var(--ink);background:var(--paper);max-width:46rem;margin:0 auto;padding:1rem;overflow-wrap:anywhere}
h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid var(--line)}
.meta,.notice,.note,.how{color:var(--muted);font-size:.9rem}.notice{border-left:3px solid var(--line);padding-left:.6rem}
.date{font-weight:bold}.actor{font-style:italic}
ul,ol{padding-left:1.5rem}
.items>li{position:relative;margin:.35rem 0}
.cites{white-space:nowrap}
.cite{color:var(--accent);text-decoration:none;font-size:.8em;vertical-align:super;line-height:1}
.cite.open,.cite:target{background:#fff6d5}
.pop{display:none;position:absolute;z-index:2;left:0;right:0;top:100%;white-space:normal;background:var(--paper);
 border:1px solid var(--line);box-shadow:0 2px 8px rgba(0,0,0,.2);padding:.5rem .6rem;font-size:.9rem;line-height:1.45;color:var(--ink)}
.cite:hover+.pop,.cite:focus-visible+.pop,.cite:target+.pop,.cite.open+.pop{display:block}
.pop .q{display:block;border-left:3px solid var(--accent);padding-left:.5rem;margin-bottom:.3rem}
.pop .about{display:block;color:var(--muted);font-size:.85rem}
code{font-size:.85em}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border:1px solid var(--line);padding:.3rem;vertical-align:top;text-align:left}
th{cursor:pointer;background:#f4f4f4}tr:target{background:#fff6d5}
td.ids{white-space:nowrap}
#filter{width:100%;padding:.4rem;margin:.5rem 0;font:inherit}
@media (max-width:40rem){
 body{font-size:15px;padding:.75rem}
 #citations thead{display:none}
 #citations,#citations tbody,#citations tr,#citations td{display:block;width:100%}
 #citations tr{border:1px solid var(--line);margin:.6rem 0;padding:.2rem .4rem}
 #citations td{border:0;padding:.15rem 0;white-space:normal}
 #citations td::before{content:attr(data-label) ": ";font-weight:bold;color:var(--muted)}
}
@media print{
 #filter,.pop{display:none!important}.cite{color:var(--ink)}a{color:inherit;text-decoration:none}
 body{max-width:none}tr{break-inside:avoid}li{break-inside:avoid}
}
</style></head><body>
<h1><bdi>{{ brief.title }}</bdi></h1>
<p class="meta">As of {{ brief.as_of }} · period {{ brief.period.since }} to {{ brief.period.until }} · extractor: {{ brief.extractor.name }}{% if brief.extractor.model %} ({{ brief.extractor.model }}){% endif %}</p>
{% if brief.extractor.name == "offline" %}<p class="notice">{{ notice }}</p>{% endif %}
<p><bdi>{{ brief.overview }}</bdi></p>
{% for note in brief.notes %}<p class="note">Note: <bdi>{{ note }}</bdi></p>{% endfor %}
{% for section in sections %}<h2>{{ section.heading }}</h2><ul class="items">
{% for entry in section.items %}{% set item = entry.item %}<li>{% if item.actor %}<span class="actor"><bdi>{{ item.actor }}</bdi></span>: {% endif %}<span class="date">{{ item.date_label }}</span> <bdi>{{ item.text }}</bdi>&nbsp;
{%- for run in entry.chunks %}<span class="cites">
{%- for m in run %}{% set c = m.citation %}{% set s = sources.get(c.source) %}<a class="cite" id="m{{ m.number }}" href="#{{ anchor(c.key) }}" aria-describedby="pop{{ m.number }}" data-key="{{ c.key }}">[{{ c.key }}]</a><span class="pop" id="pop{{ m.number }}"><span class="q"><bdi>{{ c.quote }}</bdi></span><span class="about">[{{ c.key }}] <bdi>{{ s.title or s.path if s else "" }}</bdi>{% if s and s.outlet %}, <bdi>{{ s.outlet }}</bdi>{% endif %}, {{ (s.published if s else None) or "undated" }}</span><span class="about">claim {% for id in (m.row.claim_ids if m.row else [c.claim_id]) %}<code>{{ id }}</code>{{ ", " if not loop.last }}{% endfor %}{% if m.row %} · supports {{ m.row.finding_ids|length }} finding{{ "" if m.row.finding_ids|length == 1 else "s" }}{% endif %} · <a href="#{{ anchor(c.key) }}">row [{{ c.key }}]</a></span></span>
{%- endfor %}</span>{% endfor %}{{ entry.corroboration }}</li>
{% endfor %}</ul>{% endfor %}
<h2>Sources</h2><ol>
{% for s in brief.sources %}<li id="source-{{ s.id }}" value="{{ s.id }}">{% if s.title %}<bdi>{{ s.title }}</bdi>{% else %}<code><bdi>{{ s.path }}</bdi></code> (untitled){% endif %}{% if s.outlet %}, <bdi>{{ s.outlet }}</bdi>{% endif %}, {{ s.published or "undated" }}{% if s.published %} ({{ s.date_source }}){% endif %}{% if s.title %} <code><bdi>{{ s.path }}</bdi></code>{% endif %}{% if not s.cited %} (not cited){% endif %}{% if not s.in_period %} (an earlier week){% endif %}</li>
{% endfor %}</ol>
<h2>Citations</h2>
<p class="how">{{ how_to_read }}</p>
<input id="filter" type="search" placeholder="Filter the citations" aria-label="Filter the citations">
<table id="citations"><thead><tr><th>key</th><th>quote</th><th>source</th><th>findings supported</th><th>claims</th><th>cited in</th><th>verified</th></tr></thead><tbody>
{% for r in brief.quotes %}<tr id="{{ anchor(r.key) }}"><td data-label="key" data-sort="{{ sort_value(r.key) }}">[{{ r.key }}]</td><td data-label="quote"><bdi>{{ r.quote }}</bdi></td><td data-label="source"><a href="#source-{{ r.source }}">[{{ r.source }}]</a>{% if r.outlet %} <bdi>{{ r.outlet }}</bdi>{% endif %}, {{ r.published or "undated" }}</td><td data-label="findings supported">{{ supported(r) }}</td><td data-label="claims" class="ids">{% for id in r.claim_ids %}<code>{{ id }}</code>{% if not loop.last %}<br>{% endif %}{% endfor %}</td><td data-label="cited in">{% for n, label in back_links.get(r.key, []) %}<a href="#m{{ n }}">{{ label }}</a>{{ "; " if not loop.last }}{% endfor %}</td><td data-label="verified">{{ "yes" if r.verified else "NO" }}</td></tr>
{% endfor %}</tbody></table>
{% if brief.rejected_in_review %}<h2>Review appendix: claims rejected in review</h2><ul>
{% for r in brief.rejected_in_review %}<li><code>{{ r.claim_id }}</code> <bdi>{{ r.statement }}</bdi> (<bdi>{{ r.path }}</bdi>), rejected by <bdi>{{ r.reviewer }}</bdi> at {{ r.at }}{% if r.note %}: <bdi>{{ r.note }}</bdi>{% endif %}</li>{% endfor %}</ul>{% endif %}
<script>
(function () {
  var table = document.getElementById("citations");
  var body = table.tBodies[0];
  document.getElementById("filter").addEventListener("input", function (event) {
    var needle = event.target.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (row) {
      row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
    });
  });
  function sortKey(cell) {
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    header.addEventListener("click", function () {
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      rows.sort(function (a, b) {
        var x = sortKey(a.cells[column]), y = sortKey(b.cells[column]);
        var order = isNaN(x) || isNaN(y) ? x.localeCompare(y) : x - y;
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  });
  // A tap or click opens a marker's popover (and closes any other); a tap elsewhere, or
  // Escape, closes it. Without the script a marker is a link to its table row.
  function closeAll(except) {
    Array.prototype.forEach.call(document.querySelectorAll("a.cite.open"), function (marker) {
      if (marker !== except) {
        marker.classList.remove("open");
        marker.setAttribute("aria-expanded", "false");
      }
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest && target.closest(".pop") && !target.closest("a")) { return; }
    var marker = target.closest ? target.closest("a.cite") : null;
    closeAll(marker);
    if (marker) {
      event.preventDefault();
      var open = marker.classList.toggle("open");
      marker.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeAll(null); }
  });
  document.body.setAttribute("data-ready", "yes");
})();
</script>
</body></html>
"""


def to_html(brief: Brief) -> str:
    brief = keyed(brief)
    rows = {row.key: row for row in brief.quotes}
    sections = []
    back_links: dict[str, list[tuple[int, str]]] = {}
    number = 0
    for section in brief.sections:
        planned = _Section(section.heading)
        for position, item in enumerate(section.items, start=1):
            markers = []
            for citation in item.citations:
                assert citation.key is not None  # keyed above
                number += 1
                markers.append(_Marker(number, citation, rows.get(citation.key)))
                back_links.setdefault(citation.key, []).append(
                    (number, f"{section.heading} {position}")
                )
            planned.items.append(_Item(item, markers, corroboration(item)))
        sections.append(planned)
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return environment.from_string(_TEMPLATE).render(
        brief=brief,
        sections=sections,
        sources={s.id: s for s in brief.sources},
        back_links=back_links,
        notice=OFFLINE_NOTICE,
        how_to_read=HOW_TO_READ,
        anchor=anchor,
        supported=supported,
        sort_value=lambda key: "{}.{:06d}".format(*key_order(key)),
    )
