"""ECG measurements against references: the DICOM sample's own device measurements, the known
heart rate of simulated records, and wfdb's own QRS detectors as an independent R-peak reference.

Synthetic records are NeuroKit2 `ecg_simulate` (ECGSYN) signals written as WFDB records with
`wfdb.wrsamp` and read back through our reader, so the whole intake path is measured. R-peak
agreement: a NeuroKit2 R-peak and a reference (xqrs / gqrs) peak match when within 50 ms;
sensitivity = matched reference peaks / reference peaks, PPV = matched / NeuroKit2 peaks.

    python bench/waveforms.py [--seconds 30] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from clinscribe.waveforms.core import measure, raster, read, strip  # noqa: E402
from clinscribe.waveforms.core.recording import checked  # noqa: E402

TOLERANCE_S = 0.050
RATES = (45, 60, 72, 90, 110, 140)
NOISE = (0.01, 0.3)


def match(found: np.ndarray, reference: np.ndarray, fs: float) -> tuple[int, int, int]:
    """(matched, reference count, found count) with each peak matched at most once."""
    window = TOLERANCE_S * fs
    used = np.zeros(found.size, dtype=bool)
    matched = 0
    for r in reference:
        if found.size == 0:
            break
        i = int(np.argmin(np.abs(found - r)))
        if not used[i] and abs(int(found[i]) - int(r)) <= window:
            used[i] = True
            matched += 1
    return matched, int(reference.size), int(found.size)


def references(signal: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    import wfdb.processing as wp

    out = {"xqrs": np.asarray(wp.xqrs_detect(sig=signal, fs=fs, verbose=False), dtype=np.int64)}
    out["gqrs"] = np.asarray(wp.gqrs_detect(sig=signal, fs=fs), dtype=np.int64)
    return out


def hr_of(peaks: np.ndarray, fs: float) -> float:
    return 60.0 * fs / float(np.mean(np.diff(peaks))) if peaks.size > 2 else float("nan")


def dicom_sample() -> None:
    from pydicom.data import get_testdata_file

    data = Path(str(get_testdata_file("waveform_ecg.dcm"))).read_bytes()
    recording = read.read_upload([("ecg.dcm", data)], max_bytes=len(data) + 1)
    analysis = measure.analyse(recording)
    device = recording.device_measurements
    print("## DICOM sample (pydicom waveform_ecg.dcm, 12 leads, 1000 Hz, 10 s; lead II)\n")
    print("| measure | NeuroKit2 | device (file) | difference |")
    print("|---|---:|---:|---:|")
    for key in ("heart_rate", "rr_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms"):
        ours, theirs = analysis.values.get(key), device.get(key)
        diff = f"{ours - theirs:+.1f}" if ours is not None and theirs is not None else "-"
        print(f"| {key} | {ours} | {theirs} | {diff} |")
    lead = recording.lead("II")
    found = references(lead, recording.sampling_rate)
    if found["xqrs"].size == 0:
        # xqrs learns its thresholds from the first seconds and finds nothing on this 10 s lead
        # in millivolts; the same lead in microvolts gets past its learning phase.
        print("\nwfdb xqrs found no beats on lead II in mV; it is also run on the lead in uV.")
        found["xqrs (uV)"] = references(lead * 1000.0, recording.sampling_rate)["xqrs"]
    for name, peaks in found.items():
        m, n_ref, n_nk = match(analysis.r_peaks, peaks, recording.sampling_rate)
        print(
            f"\nR-peaks vs wfdb {name}: {m}/{n_ref} reference peaks matched within 50 ms "
            f"(NeuroKit2 found {n_nk}); HR by {name} {hr_of(peaks, recording.sampling_rate):.1f}"
        )


def synthetic(seconds: int, seeds: int) -> None:
    import neurokit2 as nk
    from tests.unit.waveforms.samples import wfdb_files

    fs = 500
    print(f"\n## Simulated records (ECGSYN, {seconds} s at {fs} Hz, written and read as WFDB)\n")
    print(
        "| simulated HR | noise | records | NeuroKit2 HR error (mean abs, max) | xqrs HR error "
        "(mean abs) | sensitivity vs xqrs | PPV vs xqrs | sensitivity vs gqrs | PPV vs gqrs |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    all_errors: list[float] = []
    timings: list[float] = []
    for noise in NOISE:
        for rate in RATES:
            errors, xerrors = [], []
            totals = {"xqrs": [0, 0, 0], "gqrs": [0, 0, 0]}
            for seed in range(seeds):
                signal = nk.ecg_simulate(
                    duration=seconds,
                    sampling_rate=fs,
                    heart_rate=rate,
                    noise=noise,
                    random_state=seed,
                )
                files = wfdb_files(np.asarray(signal), fs)
                recording = read.read_upload(files, max_bytes=10**8)
                start = time.perf_counter()
                analysis = measure.analyse(checked(recording, max_seconds=3600))
                timings.append(time.perf_counter() - start)
                errors.append(abs(analysis.values.get("heart_rate", float("nan")) - rate))
                lead = recording.lead("II")
                for name, peaks in references(lead, fs).items():
                    m, n_ref, n_nk = match(analysis.r_peaks, peaks, fs)
                    totals[name] = [
                        a + b for a, b in zip(totals[name], (m, n_ref, n_nk), strict=True)
                    ]
                    if name == "xqrs":
                        xerrors.append(abs(hr_of(peaks, fs) - rate))
            all_errors.extend(errors)

            def pct(a: int, b: int) -> str:
                return f"{100.0 * a / b:.1f}%" if b else "-"

            x, g = totals["xqrs"], totals["gqrs"]
            print(
                f"| {rate} | {noise} | {seeds} | {statistics.mean(errors):.2f}, {max(errors):.2f} "
                f"| {statistics.mean(xerrors):.2f} | {pct(x[0], x[1])} | {pct(x[0], x[2])} "
                f"| {pct(g[0], g[1])} | {pct(g[0], g[2])} |"
            )
    within = sum(e <= 3 for e in all_errors)
    print(
        f"\nAll simulated records: NeuroKit2 HR within 3 bpm in {within}/{len(all_errors)}; "
        f"max error {max(all_errors):.2f} bpm; analysis time per {seconds} s record "
        f"median {statistics.median(timings) * 1000:.0f} ms."
    )


def render_timing() -> None:
    from pydicom.data import get_testdata_file

    data = Path(str(get_testdata_file("waveform_ecg.dcm"))).read_bytes()
    recording = read.read_upload([("ecg.dcm", data)], max_bytes=len(data) + 1)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        layout = strip.layout(recording)
        strip.svg(layout)
        raster.png(layout)
        times.append(time.perf_counter() - start)
    print(f"\nStrip (12-lead, SVG + PNG) render: median {statistics.median(times) * 1000:.0f} ms.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    dicom_sample()
    synthetic(args.seconds, args.seeds)
    render_timing()


if __name__ == "__main__":
    main()
