from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ministudio.errors import MediaError
from ministudio.media import (
    AssemblySettings,
    AssemblyShot,
    Cue,
    SpeechPlacement,
    assemble,
    integrated_loudness,
    probe,
    validate_clip,
    write_wav,
)
from ministudio.media.audio import read_audio
from ministudio.testing.fakes import write_color_clip

FPS = 24
RATE = 48000
SETTINGS = AssemblySettings(width=160, height=96, fps=FPS, audio_channels=1)
FRAME = 1 / FPS


def dominant_hz(samples: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[spec.argmax()])


def decode_all(path: Path) -> tuple[int, int]:
    """Decode every video frame and audio sample (an 'ffmpeg -f null' check)."""
    import av

    frames = samples = 0
    with av.open(str(path)) as c:
        for f in c.decode(*c.streams.video, *c.streams.audio):
            if isinstance(f, av.VideoFrame):
                frames += 1
            else:
                samples += f.samples
    return frames, samples


def tone(path: Path, seconds: float, hz: float, amp: float = 0.3) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    return write_wav(path, (amp * np.sin(2 * np.pi * hz * t))[None].astype(np.float32), RATE)


def check_shot_audio(out: Path, shots: list[Path], starts: list[float]) -> None:
    """Each shot's tone sits exactly in its own slot (no drift, no gap)."""
    audio = read_audio(out, RATE, 1)[0]
    for clip, start in zip(shots, starts, strict=True):
        k = int(clip.stem.removeprefix("shot"))
        a = int((start + 0.1) * RATE)
        seg = audio[a: a + int(0.8 * RATE)]
        assert dominant_hz(seg) == pytest.approx(220 + 110 * k, abs=3)


def test_copy_concat_8_shots_exact(shot_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    result = assemble([AssemblyShot(clip=c) for c in shot_clips], out, SETTINGS)
    assert result.mode == "copy", result.reason
    assert result.frames == 192
    assert result.video_duration_s == pytest.approx(8.0, abs=1e-9)
    assert abs(result.av_offset_s) < FRAME
    assert [round(s.start_s, 6) for s in result.shots] == [float(i) for i in range(8)]
    info = validate_clip(out, expected_duration_s=8.0, tolerance_s=0.001)
    assert info.frames == 192 and info.audio_codec == "aac" and info.video_codec == "h264"
    frames, samples = decode_all(out)
    assert frames == 192
    assert abs(samples / RATE - 8.0) < FRAME
    check_shot_audio(out, shot_clips, [float(i) for i in range(8)])
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]


def test_copy_concat_32_shots_av_sync(shot_clips: list[Path], tmp_path: Path) -> None:
    clips = shot_clips * 4
    out = tmp_path / "film32.mp4"
    result = assemble([AssemblyShot(clip=c) for c in clips], out, SETTINGS)
    assert result.mode == "copy"
    info = probe(out)
    assert info.frames == 32 * 24
    assert info.video_duration_s == pytest.approx(32.0, abs=1e-9)
    assert abs(info.audio_duration_s - info.video_duration_s) < FRAME
    frames, samples = decode_all(out)
    assert frames == 768 and abs(samples / RATE - 32.0) < FRAME
    # the last shot's tone still starts where its video starts
    check_shot_audio(out, clips[-8:], [24.0 + i for i in range(8)])


def test_odd_clip_is_normalised_alone(shot_clips: list[Path], tmp_path: Path) -> None:
    odd = write_color_clip(tmp_path / "shot5.mp4", duration_s=1.0, width=128, height=128,
                           fps=30, color=(30, 160, 170), audio_hz=220 + 110 * 5)
    clips = [shot_clips[0], odd, shot_clips[2]]
    out = tmp_path / "mixed.mp4"
    result = assemble([AssemblyShot(clip=c) for c in clips], out, SETTINGS)
    # the odd clip is re-encoded alone; the others are stream-copied
    assert result.mode == "copy" and "1 of 3 clips normalised" in result.reason
    assert "size 128x128" in result.reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.mp4", "shot5.mp4"]
    info = validate_clip(out)
    assert (info.width, info.height, info.fps) == (160, 96, 24)
    assert info.frames == 72 and info.video_duration_s == pytest.approx(3.0)
    assert abs(result.av_offset_s) < FRAME
    check_shot_audio(out, clips, [0.0, 1.0, 2.0])
    import av

    with av.open(str(out)) as c:  # the square clip is letterboxed: black bars left/right
        frame = next(f for i, f in enumerate(c.decode(video=0)) if i == 36).to_ndarray(format="rgb24")
    assert frame[:, :8].max() < 20 and frame[:, 80].mean() > 40


def test_crossfade_shortens_by_overlap(shot_clips: list[Path], tmp_path: Path) -> None:
    shots = [AssemblyShot(clip=shot_clips[0]),
             AssemblyShot(clip=shot_clips[1], transition="crossfade", transition_s=0.25)]
    result = assemble(shots, tmp_path / "xf.mp4", SETTINGS)
    assert result.mode == "reencode" and "crossfade" in result.reason
    assert result.frames == 48 - 6
    assert result.shots[1].start_s == pytest.approx(1.0 - 0.25)
    assert abs(result.av_offset_s) < FRAME
    import av

    with av.open(str(result.path)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    red, mid, green = frames[10][..., 0].mean(), frames[21][..., 0].mean(), frames[40][..., 0].mean()
    assert red > mid > green  # frame 21 is halfway through the blend


def test_narration_ducks_clip_audio_and_is_normalised(shot_clips: list[Path], tmp_path: Path) -> None:
    voice = tone(tmp_path / "voice.wav", 1.0, 1000.0, amp=0.05)
    shots = [AssemblyShot(clip=shot_clips[0]),
             AssemblyShot(clip=shot_clips[1], speech=(SpeechPlacement(wav=voice, start_s=0.5),)),
             AssemblyShot(clip=shot_clips[2])]
    result = assemble(shots, tmp_path / "narr.mp4", SETTINGS)
    assert result.mode == "copy"
    audio = read_audio(result.path, RATE, 1)[0]
    assert abs(len(audio) / RATE - 3.0) < FRAME
    speech = audio[int(1.6 * RATE): int(2.4 * RATE)]  # narration spans the cut into shot 3
    bed_alone = audio[int(0.1 * RATE): int(0.9 * RATE)]
    assert dominant_hz(speech) == pytest.approx(1000, abs=3)
    # speech at the speech target, the bed under it ducked
    assert integrated_loudness(bed_alone[None], RATE) == pytest.approx(SETTINGS.bed_lufs, abs=1.0)
    spec = np.abs(np.fft.rfft(speech))
    freqs = np.fft.rfftfreq(len(speech), 1 / RATE)
    bed_k = 220 + 110 * 2
    bed_under = spec[np.abs(freqs - bed_k) < 3].max()
    bed_spec = np.abs(np.fft.rfft(audio[int(2.5 * RATE): int(3.0 * RATE) - 1]))
    assert bed_under / len(speech) < 0.5 * bed_spec.max() / (int(0.5 * RATE) - 1)
    assert integrated_loudness(speech[None], RATE) == pytest.approx(SETTINGS.speech_lufs, abs=1.5)


def test_silent_clips_get_silence_not_gaps(tmp_path: Path) -> None:
    clips = [write_color_clip(tmp_path / f"s{i}.mp4", duration_s=1.0, width=160, height=96)
             for i in range(2)]
    voice = tone(tmp_path / "v.wav", 0.5, 500.0)
    result = assemble([AssemblyShot(clip=clips[0]),
                       AssemblyShot(clip=clips[1], speech=(SpeechPlacement(wav=voice),))],
                      tmp_path / "silent.mp4", SETTINGS)
    assert abs(result.audio_duration_s - 2.0) < FRAME
    audio = read_audio(result.path, RATE, 1)[0]
    assert np.abs(audio[: int(0.9 * RATE)]).max() < 1e-3
    assert dominant_hz(audio[int(1.1 * RATE): int(1.4 * RATE)]) == pytest.approx(500, abs=5)


def test_soft_subtitles_and_burn_in(shot_clips: list[Path], tmp_path: Path) -> None:
    import av

    cues = (Cue(start_s=0.2, end_s=0.9, text="Hello, wörld"), Cue(start_s=1.1, end_s=1.8, text="two\nlines"))
    soft = assemble([AssemblyShot(clip=c) for c in shot_clips[:2]], tmp_path / "soft.mp4",
                    AssemblySettings(width=160, height=96, subtitles=cues))
    assert soft.mode == "copy" and soft.subtitle_cues == 2
    with av.open(str(soft.path)) as c:
        st = c.streams.subtitles[0]
        assert st.codec_context.name == "mov_text" and st.metadata["language"] == "eng"
        got = [(round(float(p.pts * p.time_base), 3), bytes(p)[2:].decode())
               for p in c.demux(st) if p.size > 2]
    assert got == [(0.2, "Hello, wörld"), (1.1, "two\nlines")]
    burnt = assemble([AssemblyShot(clip=c) for c in shot_clips[:2]], tmp_path / "burnt.mp4",
                     AssemblySettings(width=160, height=96, subtitles=cues, burn_in=True))
    assert burnt.mode == "reencode" and "burn-in" in burnt.reason
    with av.open(str(burnt.path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(shot_clips[0])) as c:
        plain = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    lower = slice(60, 96)
    assert (frames[12][lower] > 230).all(axis=-1).sum() > 20  # white text pixels
    assert not (plain[12][lower] > 230).all(axis=-1).any()


def test_corrupt_input_is_never_assembled(shot_clips: list[Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text("<html><body>upstream error</body></html>")
    out = tmp_path / "film.mp4"
    with pytest.raises(MediaError, match="bad.mp4"):
        assemble([AssemblyShot(clip=shot_clips[0]), AssemblyShot(clip=bad)], out, SETTINGS)
    assert list(tmp_path.iterdir()) == [bad]
    with pytest.raises(MediaError, match="no shots"):
        assemble([], out, SETTINGS)
    with pytest.raises(ValueError):
        AssemblyShot(clip=bad, transition="wipe")


def test_existing_film_survives_a_failed_assembly(shot_clips: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    assemble([AssemblyShot(clip=shot_clips[0])], out, SETTINGS)
    before = out.read_bytes()
    speech = tmp_path / "speech.wav"
    speech.write_bytes(b"RIFF....not really")
    with pytest.raises(MediaError):
        assemble([AssemblyShot(clip=shot_clips[1], speech=(SpeechPlacement(wav=speech),))],
                 out, SETTINGS)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4", "speech.wav"]


# -- per-clip normalisation and in-band parameter sets ----------------------------------------


def reencode(src: Path, dest: Path, *, pix_fmt: str = "yuv420p", fps: int = FPS,
             options: dict[str, str] | None = None) -> Path:
    """Re-encode ``src`` (video and audio) with other encoder settings, as another provider
    would deliver the same picture."""
    from fractions import Fraction

    import av

    with av.open(str(src)) as inp, av.open(str(dest), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = SETTINGS.width, SETTINGS.height, pix_fmt
        v.time_base = Fraction(1, fps)
        v.options = options or {"preset": "ultrafast"}
        a = out.add_stream("aac", rate=RATE)
        a.layout = "mono"
        frames = [f for f in inp.decode(video=0)]
        n = round(len(frames) * fps / FPS)
        for i in range(n):
            f = frames[min(len(frames) - 1, i * FPS // fps)].reformat(format=pix_fmt)
            f.pts, f.time_base = i, Fraction(1, fps)
            out.mux(v.encode(f))
        out.mux(v.encode(None))
        inp.seek(0)
        for f in inp.decode(audio=0):
            f.pts = None
            out.mux(a.encode(f))
        out.mux(a.encode(None))
    return dest


def video_packets(path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def decoded_frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]


def test_full_range_clip_is_normalised_alone_the_rest_copied(
        shot_clips: list[Path], tmp_path: Path) -> None:
    full = reencode(shot_clips[1], tmp_path / "shot1.mp4", pix_fmt="yuvj420p")
    assert probe(full).pix_fmt == "yuvj420p"
    clips = [shot_clips[0], full, shot_clips[2], shot_clips[3]]
    result = assemble([AssemblyShot(clip=c) for c in clips], tmp_path / "film.mp4", SETTINGS)
    assert result.mode == "copy", result.reason
    assert "1 of 4 clips normalised" in result.reason and "yuvj420p" in result.reason
    assert result.frames == 96 and abs(result.av_offset_s) < FRAME
    assert probe(result.path).pix_fmt == "yuv420p"
    # the conformant clips are stream-copied: their packets are in the film byte for byte
    # (the first one after the normalised clip also carries the SPS/PPS in force again)
    film = video_packets(result.path)
    for k in (0, 2, 3):
        ours, theirs = film[24 * k: 24 * (k + 1)], video_packets(clips[k])
        assert ours[1:] == theirs[1:]
        assert ours[0] == theirs[0] if k != 2 else (
            ours[0].endswith(theirs[0]) and ours[0] != theirs[0])
    # the normalised clip shows the same picture (full range converted, not washed out)
    frames = decoded_frames(result.path)
    assert len(frames) == 96
    source = decoded_frames(full)
    for i in (0, 12, 23):  # same colours (a range mix-up shifts them by ~10 levels)
        ours, theirs = frames[24 + i], source[i]
        assert np.abs(ours.mean(axis=(0, 1)) - theirs.mean(axis=(0, 1))).max() < 1.5
        assert np.abs(ours - theirs).mean() < 6  # noise texture, re-encoded once
    for k in (0, 2, 3):
        assert np.array_equal(frames[24 * k + 5], decoded_frames(clips[k])[5])
    check_shot_audio(result.path, [shot_clips[i] for i in range(4)], [0.0, 1.0, 2.0, 3.0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4", "shot1.mp4"]


def test_clips_from_other_encoders_are_copied_with_their_parameter_sets(
        shot_clips: list[Path], tmp_path: Path) -> None:
    # no B-frames (ultrafast) first, then B-frame clips: the DTS of a B-frame clip starts
    # before its first picture, so the cut must keep decode order monotonic
    plain = reencode(shot_clips[0], tmp_path / "shot0.mp4", options={"preset": "ultrafast"})
    heavy = reencode(shot_clips[2], tmp_path / "shot2.mp4",
                     options={"preset": "medium", "bf": "3", "refs": "4"})
    clips = [plain, shot_clips[1], heavy, shot_clips[3], plain]
    configs = {probe(c).video_config for c in clips}
    assert len(configs) == 3
    result = assemble([AssemblyShot(clip=c) for c in clips], tmp_path / "film.mp4", SETTINGS)
    assert result.mode == "copy" and "normalised" not in result.reason, result.reason
    assert result.frames == 120 and abs(result.av_offset_s) < FRAME
    # every frame decodes to exactly what the clip alone decodes to (the decoder switched
    # parameter sets at each cut)
    frames = decoded_frames(result.path)
    assert len(frames) == 120
    for k, clip in enumerate(clips):
        alone = decoded_frames(clip)
        assert all(np.array_equal(frames[24 * k + i], alone[i]) for i in range(24)), k
    check_shot_audio(result.path, clips, [0.0, 1.0, 2.0, 3.0, 4.0])
    import av

    with av.open(str(result.path)) as c:
        dts = [p.dts for p in c.demux(video=0) if p.size]
    assert all(b > a for a, b in zip(dts, dts[1:], strict=False))


def test_every_clip_odd_means_one_reencode(shot_clips: list[Path], tmp_path: Path) -> None:
    clips = [reencode(c, tmp_path / f"shot{i}.mp4", fps=25) for i, c in enumerate(shot_clips[:3])]
    result = assemble([AssemblyShot(clip=c) for c in clips], tmp_path / "film.mp4", SETTINGS)
    assert result.mode == "reencode" and "25 fps" in result.reason
    assert result.frames == 72 and abs(result.av_offset_s) < FRAME


def test_integrated_loudness_reference_values() -> None:
    # BS.1770: a 997 Hz sine of peak A in both channels of a stereo pair reads 20·log10(A)
    # LUFS; in one (mono) channel 3 dB less; silence and < 400 ms are -inf
    t = np.arange(3 * RATE) / RATE
    sine = 0.1 * np.sin(2 * np.pi * 997 * t).astype(np.float32)
    assert integrated_loudness(np.stack([sine, sine]), RATE) == pytest.approx(-20.0, abs=0.05)
    assert integrated_loudness(sine[None], RATE) == pytest.approx(-23.01, abs=0.05)
    assert integrated_loudness(np.zeros((1, RATE), np.float32), RATE) == float("-inf")
    assert integrated_loudness(sine[None, : int(0.3 * RATE)], RATE) == float("-inf")
    # gating: a quiet half below the relative gate leaves (nearly) the loud half's level;
    # without gating it would read 3 dB lower
    gated = np.concatenate([sine, sine * 10 ** (-30 / 20)])
    assert integrated_loudness(gated[None], RATE) == pytest.approx(-23.01, abs=0.3)
    with pytest.raises(ValueError, match="6-channel"):
        integrated_loudness(np.tile(sine, (6, 1)), RATE)
