"""The gallery page: built from manifests, escaped, grouped, and checked in a real headless browser."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from apsim_batch.batch.run import run_batch
from apsim_batch.output.gallery import INDEX, TEACHER_INDEX, build_gallery, group_renders, key_parameters, write_gallery

from .conftest import copy_config, write

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def manifest(name: str, title: str = "Spike", variant: dict | None = None) -> dict:
    entry = {
        "name": name,
        "config": f"configs/{name}.yaml",
        "parameters": {
            "title": title,
            "waveform": {
                "model": "gaussian",
                "resting_mv": -70,
                "duration_ms": 10,
                "samples": 500,
                "components": [{"label": "depolarization", "center_ms": 2.5, "width_ms": 0.1, "amplitude_mv": 110}],
            },
            "animation": {"fps": 90},
        },
        "measurements": {"peak_mv": 39.86195, "half_width_ms": 0.235927, "peak_time_ms": 2.505},
        "files": [
            {"format": "gif", "path": f"{name}/{name}.gif", "width": 640, "height": 480},
            {"format": "mp4", "path": f"{name}/{name}.mp4"},
            {"format": "csv", "path": f"{name}/trace.csv"},
        ],
        "notes": [],
    }
    if variant:
        entry["variant"] = variant
    return entry


def variant(set_name: str, index: int, width: float) -> dict:
    return {
        "set_name": set_name,
        "id": f"v{index + 1:02d}",
        "index": index,
        "size": 2,
        "mode": "zip",
        "seed": None,
        "student": True,
        "values": {"waveform.components[0].width_ms": width},
    }


# --- the pure page builder ---------------------------------------------------------------------


def test_card_shows_animation_parameters_measurements_and_links():
    page = build_gallery([manifest("classic", "Action Potential")])
    assert '<img src="classic/classic.gif" loading="lazy" decoding="async" width="640" height="480"' in page
    assert "<h3>Action Potential</h3>" in page
    assert "<dt>resting</dt><dd>-70 mV</dd>" in page
    assert "<dt>depolarization</dt><dd>center 2.5 ms, width 0.1 ms, amplitude 110 mV</dd>" in page
    assert "<dt>peak</dt><dd>39.86 mV</dd>" in page and "<dt>half width</dt><dd>0.2359 ms</dd>" in page
    assert '<a href="classic/classic.mp4">MP4</a>' in page and '<a href="classic/trace.csv">CSV</a>' in page
    assert '<a href="classic/manifest.json">manifest</a>' in page
    assert "PNG</a>" not in page  # only files the render has
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # no network assets


def test_card_lines_say_spike_count_rate_and_that_a_gaussian_has_no_threshold():
    gaussian = manifest("classic")
    gaussian["measurements"].update(spike_count=1, firing_rate_hz=None, threshold_mv=None, threshold_time_ms=None)
    page = build_gallery([gaussian])
    assert "<dt>spike count</dt><dd>1</dd>" in page and "<dt>firing rate</dt><dd>— Hz</dd>" not in page
    assert "<dt>threshold</dt><dd>none: a Gaussian shape has no threshold</dd>" in page
    assert "threshold time" not in page
    hh = manifest("hh_repetitive")
    hh["parameters"]["waveform"] = {"model": "hodgkin_huxley", "duration_ms": 80}
    hh["measurements"].update(spike_count=5, firing_rate_hz=67.984694, threshold_mv=-51.22)
    hh["refractory"] = {"absolute_ms": 6.1167, "relative_ms": 14.3913}
    page = build_gallery([hh])
    assert "<dt>spike count</dt><dd>5</dd>" in page and "<dt>firing rate</dt><dd>67.98 Hz</dd>" in page
    assert "<dt>threshold</dt><dd>-51.22 mV</dd>" in page and "no threshold" not in page
    assert "<dt>absolute refractory</dt><dd>6.117 ms</dd>" in page
    assert "<dt>relative refractory</dt><dd>14.39 ms</dd>" in page
    assert "every spike" not in page  # one spike: the lines are all there is
    hh["measurements"]["spikes"] = [
        {"threshold_mv": -51.22, "peak_mv": 40.2, "half_width_ms": 1.47, "ahp_min_mv": -75.08, "isi_ms": 14.91},
        {"threshold_mv": -47.89, "peak_mv": 30.83, "half_width_ms": 1.37, "ahp_min_mv": -74.91, "isi_ms": None},
    ]
    page = build_gallery([hh])
    assert "<summary>every spike (2)</summary>" in page and "<th>threshold (mV)</th>" in page
    assert "<tr><td>2</td><td>-47.89</td><td>30.83</td><td>1.37</td><td>-74.91</td><td>—</td></tr>" in page


def test_everything_from_a_manifest_is_escaped():
    evil = manifest("x", title='<script>alert("t")</script>')
    evil["parameters"]["waveform"]["components"][0]["label"] = "<b>label</b>"
    evil["config"] = 'configs/"quoted".yaml'
    page = build_gallery([evil], failures=[("configs/bad.yaml", "bad <img src=x onerror=alert(1)>")])
    assert "<script>alert" not in page and "<b>label" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in page
    assert "configs/&quot;quoted&quot;.yaml" in page


def test_failures_are_listed_at_the_top():
    page = build_gallery(
        [manifest("a")], failures=[("configs/bad.yaml", "configs/bad.yaml:3: waveform.samples: must be at least 2")]
    )
    assert page.index("Failed in the last run (1)") < page.index('class="card"')
    assert "<pre>configs/bad.yaml:3: waveform.samples: must be at least 2</pre>" in page
    assert "1 failed in the last run" in page


def test_variant_sets_are_grouped_and_answers_are_teacher_only():
    renders = [
        manifest("classic"),
        manifest("ex-v02", "ex · v02", variant("ex", 1, 0.3)),
        manifest("ex-v01", "ex · v01", variant("ex", 0, 0.15)),
    ]
    singles, sets = group_renders(renders)
    assert [m["name"] for m in singles] == ["classic"]
    assert [m["name"] for m in sets["ex"]] == ["ex-v01", "ex-v02"]

    student = build_gallery(renders)
    assert "Variant set <code>ex</code> · 2 variants" in student
    assert student.index("<h2>Renders</h2>") < student.index("ex-v01") < student.index("ex-v02")
    set_html = student.split('<section class="set">')[1].split("</section>")[0]
    assert "Answer key" not in student and "waveform.components[0].width_ms" not in student
    assert "manifest.json" not in set_html and "<dt>peak</dt>" not in set_html and "configs/ex" not in set_html
    assert "MP4</a>" in set_html  # the media stays available to students
    assert "CSV</a>" not in set_html  # but not the trace, which gives the answers away

    teacher = build_gallery(renders, teacher=True)
    assert "Answer key" in teacher and "teacher view" in teacher
    key = teacher.split('<details class="answers">')[1].split("</details>")[0]
    assert "<th>waveform.components[0].width_ms</th>" in key
    assert "<td>v01</td><td>0.15</td>" in key and "<td>v02</td><td>0.3</td>" in key


def test_key_parameters_handle_other_models():
    params = {
        "waveform": {
            "model": "hodgkin_huxley",
            "g_na_ms_per_cm2": 120,
            "temperature_c": 6.3,
            "stimulus": {"pulses": [{"onset_ms": 1, "amplitude_ua_per_cm2": 10}], "step": None},
        },
        "animation": {"fps": 40},
    }
    assert key_parameters(params) == (
        [
            ("model", "hodgkin_huxley"),
            ("temperature", "6.3 °C"),
            ("pulse 1", "onset 1 ms, amplitude 10 µA/cm²"),
            ("fps", "40"),
        ],
        [("g na", "120 mS/cm²")],
    )
    page = build_gallery([{**manifest("hh"), "parameters": params}])
    assert "<summary>more parameters</summary>" in page and "<dd>120 mS/cm²</dd>" in page


def test_write_gallery_links_only_files_on_disk_and_skips_odd_manifests(tmp_path):
    good = manifest("a")
    write(tmp_path / "a" / "manifest.json", json.dumps(good))
    write(tmp_path / "a" / "a.gif", "GIF89a")
    write(tmp_path / "b" / "manifest.json", "{not json")
    write(tmp_path / "manifest.json", json.dumps({"renders": [{"name": "a"}, {"name": "b"}, {"name": "../etc"}]}))
    written = write_gallery(tmp_path)
    assert written == [tmp_path / INDEX]
    page = (tmp_path / INDEX).read_text(encoding="utf-8")
    assert 'src="a/a.gif"' in page and "a/a.mp4" not in page  # the MP4 is not on disk
    assert page.count('class="card"') == 1


def test_teacher_page_appears_with_sets_and_goes_with_them(tmp_path):
    entry = manifest("ex-v01", variant=variant("ex", 0, 0.1))
    write(tmp_path / "ex-v01" / "manifest.json", json.dumps(entry))
    write(tmp_path / "manifest.json", json.dumps({"renders": [{"name": "ex-v01"}]}))
    write(tmp_path / "ex" / "teacher" / "answer_key.csv", "id,name\n")
    assert write_gallery(tmp_path) == [tmp_path / INDEX, tmp_path / TEACHER_INDEX]
    assert '<a href="ex/teacher/answer_key.csv">answer key (CSV)</a>' in (tmp_path / TEACHER_INDEX).read_text()
    assert "answer_key" not in (tmp_path / INDEX).read_text()
    write(tmp_path / "ex-v01" / "manifest.json", json.dumps(manifest("ex-v01")))
    assert write_gallery(tmp_path) == [tmp_path / INDEX]
    assert not (tmp_path / TEACHER_INDEX).exists()


def test_empty_outputs_say_how_to_start():
    assert "No renders yet" in build_gallery([])


# --- a real run, opened in a real browser ------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A real run of two configs (one of them as a fake two-member variant set) and one broken config."""
    work = tmp_path_factory.mktemp("gallery")
    copy_config("classic.yaml", work / "configs")
    copy_config("subthreshold.yaml", work / "configs")
    write(work / "configs" / "broken.yaml", "title: Broken\nwaveform:\n  samples: 1\n")
    out = work / "outputs"
    result = run_batch([work / "configs"], out, jobs=1)
    assert result.count("rendered") == 2 and result.count("failed") == 1
    assert (out / INDEX).is_file()
    return out


@pytest.mark.slow
def test_run_writes_the_gallery(rendered):
    page = (rendered / INDEX).read_text(encoding="utf-8")
    assert page.count('class="card"') == 2
    assert "configs/broken.yaml:3: waveform.samples: must be at least 2 (got 1)" in page
    for name in ("classic", "subthreshold"):
        assert f'src="{name}/{name}.gif"' in page and f'href="{name}/{name}.mp4"' in page


def _browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("no chromium installed (apt-get install chromium); .ci/run installs it")
    return playwright


def _check_page(page_file: Path, shots: Path) -> dict[str, list]:
    """Open a page from disk at desktop and phone size; return console errors, broken images, dead links."""
    sync = _browser()
    found: dict[str, list] = {"errors": [], "broken_images": [], "dead_links": [], "wide": []}
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            for label, viewport in (
                ("desktop", {"width": 1280, "height": 900}),
                ("phone", {"width": 390, "height": 844}),
            ):
                page = browser.new_page(viewport=viewport)
                page.on("console", lambda m: found["errors"].append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: found["errors"].append(str(e)))
                page.on("requestfailed", lambda r: found["errors"].append(f"request failed: {r.url}"))
                page.goto(page_file.as_uri(), wait_until="load")
                page.screenshot(path=str(shots / f"{page_file.stem}-{label}.png"))
                # Lazy images load only near the viewport: make them all load, then check each one.
                page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
                page.wait_for_function("[...document.images].every(i => i.complete)", timeout=30_000)
                found["broken_images"] += page.evaluate(
                    "[...document.images].filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'))"
                )
                if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                    found["wide"].append(label)  # a horizontal scrollbar on this screen size
                for href in page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)"):
                    url = urlparse(href)
                    if url.scheme != "file" or not Path(unquote(url.path)).is_file():
                        found["dead_links"].append(href)
                page.close()
        finally:
            browser.close()
    return found


@pytest.mark.slow
def test_gallery_in_a_headless_browser(rendered, tmp_path):
    found = _check_page(rendered / INDEX, tmp_path)
    assert found == {"errors": [], "broken_images": [], "dead_links": [], "wide": []}
    assert (tmp_path / "index-desktop.png").stat().st_size > 10_000


@pytest.mark.slow
def test_teacher_gallery_in_a_headless_browser(rendered, tmp_path):
    """A variant set (marked into copies of real manifests) groups, and its teacher page resolves too."""
    out = tmp_path / "outputs"
    shutil.copytree(rendered, out)
    for index, name in enumerate(("classic", "subthreshold")):
        path = out / name / "manifest.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["variant"] = copy.deepcopy(variant("lesson", index, 0.1 * (index + 1)))
        path.write_text(json.dumps(data), encoding="utf-8")
    write_gallery(out)
    assert "Variant set <code>lesson</code>" in (out / INDEX).read_text(encoding="utf-8")
    found = _check_page(out / TEACHER_INDEX, tmp_path)
    assert found == {"errors": [], "broken_images": [], "dead_links": [], "wide": []}


def test_hundreds_of_renders_stay_light():
    """Every image is lazy with its size reserved, so a page of 600 cards loads only what is on screen."""
    import time

    many = [manifest(f"r{i:03d}", f"Render {i}") for i in range(600)]
    started = time.perf_counter()
    page = build_gallery(many)
    assert time.perf_counter() - started < 2
    assert page.count('class="card"') == 600
    assert page.count('loading="lazy"') == 600 and page.count('width="640" height="480"') == 600
    assert len(page.encode()) < 2_000_000


def test_a_set_not_for_students_shows_its_parameters_but_links_no_answer_key():
    lecture = [manifest(f"grid-v0{i + 1}", variant={**variant("grid", i, 0.1), "student": False}) for i in range(2)]
    page = build_gallery(lecture, set_files={"grid": [("answer key (CSV)", "grid/teacher/answer_key.csv")]})
    assert "<dt>peak</dt>" in page and "grid-v01/manifest.json" in page
    assert "answer_key" not in page and "Answer key" not in page
