"""MiniStudio speech providers: ``piper`` (offline default), ``espeak``, ``google``, ``openai``.

Every provider returns a WAV file whose ``duration_s`` is measured from its samples and word
timings that are monotonic and inside the audio; see ``docs/tts.md``.
"""

__version__ = "0.1.0"
