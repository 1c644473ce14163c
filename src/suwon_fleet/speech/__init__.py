"""Korean speech input and output for the lobby and docent robots.

Everything here is ROS-free except speech_node.py, the ROS 2 node that wraps it.

audio.py       16 kHz mono int16 frames (30 ms): microphone, WAV file, pushed stream; mute gate
denoise.py     streaming noise suppression in front of the recognizer
vad.py         webrtcvad + noise floor + hangover -> utterance start/end
grammar.py     caller phrases -> tokens the Korean vosk model knows; phrase matching on jamo
recognizer.py  vosk streaming recognition: grammar path first, free-form fallback
listener.py    SpeechListener: source -> gate -> VAD -> recognizer -> UI events, push-to-talk
tts.py         TextToSpeech (espeak-ng), audio sinks, Speaker that holds the mute gate
synth.py       test corpora: espeak-ng speech, padding, noise at a set SNR
speech_node.py ROS 2 node: speech/say, speech/listen, audio/in -> speech/heard, indicators

Submodules are imported explicitly (``from suwon_fleet.speech.listener import ...``) so that
importing the package loads neither vosk nor its 500 MB model.
"""
