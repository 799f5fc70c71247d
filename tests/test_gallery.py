"""The gallery page: built from manifests, escaped, grouped, and checked in a real headless browser."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from apsim_batch.batch.run import run_batch
from apsim_batch.output.gallery import INDEX, TEACHER_INDEX, build_gallery, group_renders, key_parameters, write_gallery
from apsim_batch.output.gallery_cards import describe

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
    assert '<a href="classic/classic.mp4">MP4<span class="vh">: Action Potential</span></a>' in page
    assert '<a href="classic/trace.csv">CSV<span class="vh">: Action Potential</span></a>' in page
    assert '<a href="classic/manifest.json">manifest<span class="vh">' in page
    assert "PNG<span" not in page  # only files the render has
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # no network assets


def test_animation_starts_as_its_poster_with_a_pause_button_and_a_text_alternative():
    entry = manifest("classic", "Action Potential")
    entry["files"] += [
        {"format": "png", "path": "classic/classic.png", "width": 640, "height": 480},
        {"format": "vtt", "path": "classic/classic.vtt"},
    ]
    entry["measurements"]["spike_count"] = 1
    vtt = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nResting, 0 to 1 ms\n"
    student = build_gallery([entry], captions={"classic/classic.vtt": vtt})
    # Without scripts the page shows the finished poster; the script plays the GIF (see gallery_assets).
    assert '<div class="anim" data-gif="classic/classic.gif" data-poster="classic/classic.png">' in student
    assert '<img src="classic/classic.png" loading="lazy"' in student
    assert 'alt="Animation: Action Potential" aria-describedby="d1"' in student
    assert '<button type="button" class="toggle" hidden><span class="state">Play</span>' in student
    assert '<button type="button" id="pause-all" hidden>Pause all animations</button>' in student
    description = student.split('<p class="desc" id="d1">')[1].split("</p>")[0]
    assert description == (
        "Gaussian waveform: membrane voltage over 10 ms; built from 1 Gaussian component (depolarization);"
        " 1 action potential."
    )
    # The MP4 plays in a <video> with its captions inline (file: pages may not load track files).
    encoded = base64.b64encode(vtt.encode()).decode()
    assert (
        '<video controls preload="none" width="640" height="480" poster="classic/classic.png" aria-describedby="d1">'
        '<source src="classic/classic.mp4" type="video/mp4"><track kind="captions" srclang="en" label="Phases"'
        f' default src="data:text/vtt;base64,{encoded}"></video>'
    ) in student
    teacher = build_gallery([entry], teacher=True)
    assert "1 action potential. Measured: peak 39.86 mV, half width 0.2359 ms." in teacher


def test_hodgkin_huxley_text_alternative_names_the_stimulus():
    entry = manifest("hh")
    entry["parameters"]["waveform"] = {
        "model": "hodgkin_huxley",
        "duration_ms": 30,
        "stimulus": {
            "pulses": [{"onset_ms": 1, "duration_ms": 0.5, "amplitude_ua_per_cm2": 10}],
            "step": {"onset_ms": 10, "amplitude_ua_per_cm2": 4.5},
        },
    }
    entry["phases"] = [{"phase": "resting", "spike": None}, {"phase": "rising", "spike": 0}, {"phase": "x", "spike": 1}]
    assert describe(entry, teacher=False) == (
        "Hodgkin–Huxley model: membrane voltage over 30 ms; stimulus: a pulse of 10 µA/cm² at 1 ms for 0.5 ms,"
        " a sustained step of 4.5 µA/cm² from 10 ms; 2 action potentials."
    )


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
    assert "<summary>every spike (2)</summary>" in page and '<th scope="col">threshold (mV)</th>' in page
    assert "<tr><td>2</td><td>-47.89</td><td>30.83</td><td>1.37</td><td>-74.91</td><td>—</td></tr>" in page


def test_everything_from_a_manifest_is_escaped():
    evil = manifest("x", title='<script>alert("t")</script>')
    evil["parameters"]["waveform"]["components"][0]["label"] = "<b>label</b>"
    evil["config"] = 'configs/"quoted".yaml'
    page = build_gallery([evil], failures=[("configs/bad.yaml", "bad <img src=x onerror=alert(1)>")])
    assert "<script>alert" not in page and "<b>label" not in page and "<img src=x" not in page
    # Jinja2's autoescape (markupsafe) writes a quote as &#34;
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
    assert "configs/&#34;quoted&#34;.yaml" in page


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
    assert "MP4<span" in set_html  # the media stays available to students
    assert "CSV<span" not in set_html  # but not the trace, which gives the answers away
    assert set_html.count("A membrane voltage trace, drawn from left to right over time") == 2  # no values

    teacher = build_gallery(renders, teacher=True)
    assert "Answer key" in teacher and "teacher view" in teacher
    key = teacher.split('<details class="answers">')[1].split("</details>")[0]
    assert '<th scope="col">waveform.components[0].width_ms</th>' in key
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

QUIZ = """\
name: quiz
title: Quiz
waveform:
  duration_ms: 8
  samples: 160
  components:
    - {label: depolarization, center_ms: 2, width_ms: 0.12, amplitude_mv: 105}
    - {label: hyperpolarization, center_ms: 3.5, width_ms: 0.4, peak_mv: -85}
animation: {fps: 20, samples_per_frame: 16}
variants:
  mode: zip
  student: true
  exercise: "Measure the resting level and the lowest point of each trace.\\n\\nWrite both in mV."
  fields:
    waveform.components[hyperpolarization].peak_mv: [-91.5, -78.5]
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A real run of two configs, a two-variant student set and one broken config."""
    work = tmp_path_factory.mktemp("gallery")
    copy_config("classic.yaml", work / "configs")
    copy_config("subthreshold.yaml", work / "configs")
    write(work / "configs" / "quiz.yaml", QUIZ)
    write(work / "configs" / "broken.yaml", "title: Broken\nwaveform:\n  samples: 1\n")
    out = work / "outputs"
    result = run_batch([work / "configs"], out, jobs=1)
    assert result.count("rendered") == 4 and result.count("failed") == 1
    assert (out / INDEX).is_file() and (out / TEACHER_INDEX).is_file() and (out / HANDOUT_PAGE).is_file()
    return out


HANDOUT_PAGE = Path("quiz") / "handouts" / INDEX


@pytest.mark.slow
def test_run_writes_the_gallery(rendered):
    page = (rendered / INDEX).read_text(encoding="utf-8")
    assert page.count('class="card"') == 4
    assert "configs/broken.yaml:3: waveform.samples: must be at least 2 (got 1)" in page
    for name in ("classic", "subthreshold"):
        assert f'data-gif="{name}/{name}.gif" data-poster="{name}/{name}.png"><img src="{name}/{name}.png"' in page
        assert f'<source src="{name}/{name}.mp4" type="video/mp4"><track kind="captions"' in page
    # The student page's set cards link only into the set's handout folder.
    quiz = page.split('<section class="set">')[1]
    links = re.findall(r'(?:href|src|data-gif|data-poster)="([^"]+)"', quiz)
    assert links and all(link.startswith("quiz/handouts/quiz-v0") or link.startswith("data:") for link in links)
    handouts = (rendered / HANDOUT_PAGE).read_text(encoding="utf-8")
    assert "<p>Measure the resting level and the lowest point of each trace.</p><p>Write both in mV.</p>" in handouts
    links = set(re.findall(r'(?:href|src|data-gif|data-poster)="([^"]+)"', handouts))
    files = {f"quiz-v0{i}.{ext}" for i in (1, 2) for ext in ("gif", "mp4", "png")}
    assert {link for link in links if not link.startswith("data:")} == files | {"#main"}


AXE_VERSION = "4.10.3"


def _axe_source() -> str:
    """axe-core's browser script from npm, installed once into a cache folder (CI must have it)."""
    cache = Path(os.environ.get("APSIM_TEST_CACHE", Path.home() / ".cache" / "apsim-batch-tests"))
    script = cache / f"axe-core-{AXE_VERSION}" / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file() and shutil.which("npm"):
        command = ["npm", "install", "--prefix", str(script.parents[2]), "--no-save", "--no-package-lock"]
        command += ["--no-audit", "--no-fund", f"axe-core@{AXE_VERSION}"]
        subprocess.run(command, capture_output=True, timeout=300, check=False)
    if not script.is_file():
        message = f"axe-core {AXE_VERSION} is not installed and npm could not install it into {cache}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return script.read_text(encoding="utf-8")


def _browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("no chromium installed (apt-get install chromium); .ci/run installs it")
    return playwright


VIEWPORTS = (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844}))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _check_page(page_file: Path, shots: Path) -> dict[str, list]:
    """Open a page from disk at desktop and phone size; return console errors, broken images, dead
    links, horizontal scrolling and axe-core's WCAG 2.1 AA violations (with every <details> open)."""
    sync = _browser()
    axe = _axe_source()
    found: dict[str, list] = {"errors": [], "broken_images": [], "dead_links": [], "wide": [], "axe": []}
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            for label, viewport in VIEWPORTS:
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
                for href in page.evaluate(
                    "[...document.querySelectorAll('a[href], source[src]')].map(a => a.href || a.src)"
                ):
                    url = urlparse(href)
                    if not (url.scheme == "file" and Path(unquote(url.path)).is_file()) and url.fragment != "main":
                        found["dead_links"].append(href)
                page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
                page.add_script_tag(content=axe)
                result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
                found["axe"] += [(label, v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
                assert len(result["passes"]) > 20  # axe really ran its rules
                page.close()
        finally:
            browser.close()
    return found


CLEAN = {"errors": [], "broken_images": [], "dead_links": [], "wide": [], "axe": []}


@pytest.mark.slow
def test_gallery_in_a_headless_browser(rendered, tmp_path):
    found = _check_page(rendered / INDEX, tmp_path)
    assert found == CLEAN
    assert (tmp_path / "index-desktop.png").stat().st_size > 10_000


@pytest.mark.slow
def test_teacher_gallery_in_a_headless_browser(rendered, tmp_path):
    assert "Answer key" in (rendered / TEACHER_INDEX).read_text(encoding="utf-8")
    assert _check_page(rendered / TEACHER_INDEX, tmp_path) == CLEAN


@pytest.mark.slow
def test_student_handout_page_in_a_headless_browser(rendered, tmp_path):
    assert _check_page(rendered / HANDOUT_PAGE, tmp_path) == CLEAN


def _state(page) -> list[tuple[str, str]]:
    """(shown image file, button text) per animation."""
    return [
        tuple(pair)
        for pair in page.evaluate(
            "[...document.querySelectorAll('.anim')].map(a => [(a.querySelector('canvas:not([hidden])') ? 'canvas' :"
            " a.querySelector('img').getAttribute('src').split('.').pop()), a.nextElementSibling.textContent])"
        )
    ]


@pytest.mark.slow
def test_animations_pause_play_and_respect_reduced_motion(rendered, tmp_path):
    sync = _browser()
    out = tmp_path / "outputs"
    shutil.copytree(rendered, out)
    # One render without a poster PNG: pausing freezes the GIF's frame onto a canvas instead.
    entry = json.loads((out / "subthreshold" / "manifest.json").read_text(encoding="utf-8"))
    entry["files"] = [r for r in entry["files"] if r["format"] != "png"]
    (out / "subthreshold" / "manifest.json").write_text(json.dumps(entry), encoding="utf-8")
    write_gallery(out)
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            gifs: list[str] = []
            page.on("request", lambda r: gifs.append(r.url) if r.url.endswith(".gif") else None)
            page.goto((out / TEACHER_INDEX).as_uri(), wait_until="load")
            states = _state(page)
            assert all(shown == "gif" and text.startswith("Pause animation: ") for shown, text in states)
            page.locator(".anim + .toggle").first.click()
            assert _state(page)[0] == ("png", states[0][1].replace("Pause", "Play"))
            page.get_by_role("button", name="Pause all animations").click()
            page.wait_for_function("[...document.querySelectorAll('.anim img')].every(i => i.complete)")
            paused = _state(page)
            assert all(text.startswith("Play animation: ") for _, text in paused)
            assert sorted({shown for shown, _ in paused}) == ["canvas", "png"]
            assert page.evaluate("document.querySelector('canvas').getAttribute('role')") == "img"
            page.get_by_role("button", name="Play all animations").click()
            assert all(shown == "gif" for shown, _ in _state(page))
            # The phase captions reach the browser's own WebVTT parser through the inline track.
            page.locator("details.video summary").first.click()
            cues = page.wait_for_function(
                "(() => { const t = document.querySelector('video').textTracks[0];"
                " return t && t.cues && t.cues.length ? t.cues.length : 0; })()",
                timeout=10_000,
            ).json_value()
            vtt = next((out / "classic").glob("*.vtt")).read_text(encoding="utf-8")
            assert cues == vtt.count(" --> ") > 2
            page.close()
            # Reduced motion: posters only, and no GIF is even requested until a reader presses Play.
            gifs.clear()
            page = browser.new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
            page.on("request", lambda r: gifs.append(r.url) if r.url.endswith(".gif") else None)
            page.goto((out / TEACHER_INDEX).as_uri(), wait_until="load")
            page.wait_for_function("[...document.querySelectorAll('.anim img')].every(i => i.complete)")
            page.wait_for_timeout(200)
            assert all(text.startswith("Play animation: ") for _, text in _state(page))
            assert [shown for shown, _ in _state(page)].count("gif") == 0
            assert not [url for url in gifs if "subthreshold" not in url]  # only the poster-less one loads its GIF
        finally:
            browser.close()


def test_hundreds_of_renders_stay_light():
    """Every image is lazy with its size reserved, so a page of 600 cards loads only what is on screen."""
    import time

    many = [manifest(f"r{i:03d}", f"Render {i}") for i in range(600)]
    started = time.perf_counter()
    page = build_gallery(many)
    assert time.perf_counter() - started < 2
    assert page.count('class="card"') == 600
    assert page.count('loading="lazy" decoding="async" width="640" height="480"') == 600
    assert page.count('<video controls preload="none"') == 600  # a video loads nothing until it is played
    assert len(page.encode()) < 2_000_000


def test_a_set_not_for_students_shows_its_parameters_but_links_no_answer_key():
    lecture = [manifest(f"grid-v0{i + 1}", variant={**variant("grid", i, 0.1), "student": False}) for i in range(2)]
    page = build_gallery(lecture, set_files={"grid": [("answer key (CSV)", "grid/teacher/answer_key.csv")]})
    assert "<dt>peak</dt>" in page and "grid-v01/manifest.json" in page
    assert "answer_key" not in page and "Answer key" not in page
