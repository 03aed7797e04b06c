from __future__ import annotations

from pathlib import Path

import pytest
from ministudio.errors import MediaError
from ministudio.media import probe, validate_clip
from ministudio.testing.fakes import write_color_clip


def test_probe_reports_streams(av_clip: Path) -> None:
    info = probe(av_clip)
    assert info.container.startswith("mov")
    assert (info.width, info.height) == (160, 96)
    assert info.fps == pytest.approx(24.0)
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.video_duration_s == pytest.approx(2.0)
    assert info.frames == 48
    assert info.has_audio and info.audio_codec == "aac" and info.audio_rate == 48000
    assert info.audio_channels == 1
    assert info.size_bytes == av_clip.stat().st_size


def test_validate_counts_packets_and_keyframes(av_clip: Path) -> None:
    info = validate_clip(av_clip, expected_duration_s=2.0)
    assert info.frames == 48
    assert info.keyframes == 2  # keyint 24 over 48 frames


def test_single_keyframe_clip(tmp_path: Path) -> None:
    clip = write_color_clip(tmp_path / "k1.mp4", duration_s=2.0, width=64, height=64, gop=250)
    assert validate_clip(clip).keyframes == 1


def test_zero_byte_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        validate_clip(empty)


def test_missing_rejected(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        validate_clip(tmp_path / "nope.mp4")


def test_html_error_page_rejected(tmp_path: Path) -> None:
    page = tmp_path / "clip.mp4"
    page.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    with pytest.raises(MediaError, match="HTML") as err:
        validate_clip(page)
    assert "error page" in (err.value.hint or "")


def test_json_error_rejected(tmp_path: Path) -> None:
    page = tmp_path / "clip.mp4"
    page.write_text('{"error": {"code": 429}}')
    with pytest.raises(MediaError, match="not a media file"):
        validate_clip(page)


def test_random_bytes_rejected(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(MediaError, match="not a readable media file"):
        validate_clip(junk)


def test_truncated_tail_rejected(av_clip: Path, tmp_path: Path) -> None:
    # moov at the end (no faststart): cutting the file loses the index
    data = av_clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError):
        validate_clip(cut)


def test_truncated_faststart_rejected(av_clip: Path, tmp_path: Path) -> None:
    import av

    fast = tmp_path / "fast.mp4"
    with av.open(str(av_clip)) as src, av.open(str(fast), "w", options={"movflags": "+faststart"}) as dst:
        ov = dst.add_stream_from_template(src.streams.video[0])
        for pkt in src.demux(src.streams.video[0]):
            if pkt.dts is None:
                continue
            pkt.stream = ov
            dst.mux(pkt)
    data = fast.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # index first
    cut = tmp_path / "fastcut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(MediaError, match="truncated"):
        validate_clip(cut)


def test_audio_only_rejected(tmp_path: Path) -> None:
    import numpy as np
    from ministudio.media.audio import write_wav

    wav = write_wav(tmp_path / "a.wav", np.zeros((1, 4800), np.float32), 48000)
    with pytest.raises(MediaError, match="no video"):
        validate_clip(wav)


def test_wrong_duration_rejected(av_clip: Path) -> None:
    with pytest.raises(MediaError, match="duration 2.000s, expected 8s"):
        validate_clip(av_clip, expected_duration_s=8.0)
    assert validate_clip(av_clip, expected_duration_s=2.3).frames == 48
    with pytest.raises(MediaError):
        validate_clip(av_clip, expected_duration_s=2.3, tolerance_s=0.1)


def _damage_middle_packet(src: Path, dst: Path, kind: str, how: str, seed: int = 0) -> float:
    """Copy ``src`` to ``dst`` with the middle ``kind`` packet damaged in place: the file keeps
    its size and its headers; returns the packet's time."""
    import random

    import av

    with av.open(str(src)) as c:
        stream = getattr(c.streams, kind)[0]
        packets = [(p.pos, p.size, float(p.pts * p.time_base)) for p in c.demux(stream) if p.size]
    pos, size, t = packets[len(packets) // 2]
    data = bytearray(src.read_bytes())
    if how == "zeros":
        data[pos: pos + size // 2] = bytes(size // 2)
    else:  # random bytes after the NAL/ADTS header
        rnd = random.Random(seed)
        data[pos + 8: pos + size] = bytes(rnd.getrandbits(8) for _ in range(size - 8))
    dst.write_bytes(bytes(data))
    assert dst.stat().st_size == src.stat().st_size
    return t


@pytest.mark.parametrize(("kind", "how", "seed"), [
    ("video", "zeros", 0), ("video", "random", 0), ("video", "random", 1),
    ("video", "random", 2), ("audio", "zeros", 0), ("audio", "random", 0),
])
def test_damage_in_the_middle_is_rejected(av_clip: Path, tmp_path: Path, kind: str, how: str,
                                          seed: int) -> None:
    bad = tmp_path / "bad.mp4"
    t = _damage_middle_packet(av_clip, bad, kind, how, seed)
    assert 0.5 < t < 1.5
    # headers, size and the first frame are fine: only decoding everything finds the damage
    assert probe(bad).frames == 48
    assert validate_clip(bad, decode_all=False).frames == 48
    with pytest.raises(MediaError, match=rf"corrupt {kind}") as ei:
        validate_clip(bad, expected_duration_s=2.0)
    assert "\n" not in str(ei.value)


def test_full_decode_accepts_b_frames_audio_and_single_keyframe(tmp_path: Path,
                                                                shot_clips: list[Path]) -> None:
    for clip in shot_clips[:3]:
        assert validate_clip(clip, expected_duration_s=1.0, require_audio=True).frames == 24
    long_gop = write_color_clip(tmp_path / "gop.mp4", duration_s=3.0, width=96, height=64,
                                gop=250, preset="medium", audio_hz=330)
    assert validate_clip(long_gop).keyframes == 1
