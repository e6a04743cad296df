"""Sound from physics (weight-free modal Foley), layering sounds, and the APCC score."""

from __future__ import annotations

from ._common import CATEGORY_AUDIO, CATEGORY_PHYSICS, MAX_SEED, PAVAS_PHYSICS, expect_physics, save_audio_preview

SAMPLE_RATES_HZ = (44100, 48000, 32000, 22050, 16000)


class PavasPhysicsFoley:
    """Impact sounds synthesized from the physics: louder for more kinetic energy lost, no model files."""

    DESCRIPTION = ("Synthesizes the impact sounds of every object with a modal synthesizer: onset level follows "
                   "the kinetic energy each impact loses, the material sets pitch and decay. Works on CPU "
                   "with no model files. A player appears on the node after a run.")
    CATEGORY = CATEGORY_AUDIO
    FUNCTION = "synthesize"
    RETURN_TYPES = ("AUDIO",)
    RETURN_NAMES = ("audio",)
    OUTPUT_TOOLTIPS = ("The Foley track (mono) at the chosen sample rate, as long as the clip.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "physics": (PAVAS_PHYSICS, {"tooltip": "Physics from 'Estimate Physics' or 'Edit Physics'."}),
                "sample_rate_hz": (list(SAMPLE_RATES_HZ), {
                    "default": 44100, "tooltip": "Sample rate of the sound in Hz.",
                }),
                "duration_s": ("FLOAT", {
                    "default": 0.0, "min": 0.0, "max": 3600.0, "step": 0.1,
                    "tooltip": "Length of the sound in seconds (0 = the clip's length).",
                }),
                "seed": ("INT", {
                    "default": 0, "min": 0, "max": MAX_SEED,
                    "tooltip": "Seed of the synthesizer's random parts (contact noise, mode jitter): "
                               "same physics + seed = same sound.",
                }),
            },
        }

    def synthesize(self, physics, sample_rate_hz, duration_s, seed):
        from ..pavas_core.comfy_types import waveform_to_audio
        from ..pavas_core.synth import render_foley
        from ..pavas_core.synth.silence import silence_note
        from ._comfy import log

        result = render_foley(
            expect_physics(physics),
            sample_rate_hz=int(sample_rate_hz),
            duration_s=float(duration_s) or None,
            seed=int(seed),
        )
        tracks = expect_physics(physics)
        silence = silence_note(tracks, result.waveform, duration_s=result.waveform.shape[-1] / result.sample_rate_hz)
        for note in result.notes + ([silence] if silence else []):  # defaults, gains, silence: said, never silent
            log.info("PAVAS Physics Foley: %s", note)
        audio = waveform_to_audio(result.waveform, result.sample_rate_hz)
        return {"ui": {"audio": save_audio_preview(audio, "PAVAS_foley")}, "result": (audio,)}


class PavasAudioMix:
    """Layer two sounds (e.g. the physics Foley under a generated soundtrack)."""

    DESCRIPTION = ("Mixes two sounds after bringing them to one sample rate (resampled, never just relabelled) "
                   "and channel count. Use it to put the physics Foley under MMAudio's sound.")
    CATEGORY = CATEGORY_AUDIO
    FUNCTION = "mix"
    RETURN_TYPES = ("AUDIO",)
    RETURN_NAMES = ("audio",)
    OUTPUT_TOOLTIPS = ("The mix at the chosen sample rate.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "audio_a": ("AUDIO", {"tooltip": "The main sound (e.g. MMAudio's)."}),
                "audio_b": ("AUDIO", {"tooltip": "The layer to add (e.g. the physics Foley)."}),
                "gain_a_db": ("FLOAT", {"default": 0.0, "min": -60.0, "max": 24.0, "step": 0.5,
                                        "tooltip": "Gain of audio_a in dB."}),
                "gain_b_db": ("FLOAT", {"default": -6.0, "min": -60.0, "max": 24.0, "step": 0.5,
                                        "tooltip": "Gain of audio_b in dB (-6 sits the Foley under the main sound)."}),
                "sample_rate": (["highest input", "audio_a", "audio_b", "48000", "44100", "16000"], {
                    "default": "highest input",
                    "tooltip": "Sample rate of the mix; inputs at other rates are resampled.",
                }),
                "length": (["longest", "audio_a"], {
                    "default": "longest",
                    "tooltip": "'longest' pads the shorter sound with silence; 'audio_a' keeps audio_a's length.",
                }),
                "prevent_clipping": ("BOOLEAN", {
                    "default": True,
                    "tooltip": "Scale the whole mix down when its peak would exceed full scale.",
                }),
            },
        }

    def mix(self, audio_a, audio_b, gain_a_db, gain_b_db, sample_rate, length, prevent_clipping):
        from ..pavas_core.audio_mix import MixLayer, mix_layers
        from ..pavas_core.comfy_types import audio_batch, waveform_to_audio
        from ._comfy import log

        wave_a, rate_a = audio_batch(audio_a, what="audio_a")
        wave_b, rate_b = audio_batch(audio_b, what="audio_b")
        rate = {"highest input": None, "audio_a": rate_a, "audio_b": rate_b}.get(sample_rate)
        result = mix_layers(
            [MixLayer(wave_a, rate_a, float(gain_a_db)), MixLayer(wave_b, rate_b, float(gain_b_db))],
            sample_rate_hz=rate if sample_rate in ("highest input", "audio_a", "audio_b") else int(sample_rate),
            length="first" if length == "audio_a" else "longest",
            prevent_clipping=bool(prevent_clipping),
        )
        for note in result.notes:
            log.info("PAVAS Audio Mix: %s", note)
        audio = waveform_to_audio(result.waveform, result.sample_rate_hz)
        return {"ui": {"audio": save_audio_preview(audio, "PAVAS_mix")}, "result": (audio,)}


class PavasApccScore:
    """APCC (reconstructed): how well the loudness of impact sounds follows their kinetic energy."""

    DESCRIPTION = ("Scores a sound against the physics: the correlation between each impact's ΔKE and the sound's "
                   "onset level around it (APCC as reconstructed from the PAVAS paper; see the docs).")
    CATEGORY = CATEGORY_PHYSICS
    FUNCTION = "score"
    OUTPUT_NODE = True
    RETURN_TYPES = ("FLOAT", "STRING")
    RETURN_NAMES = ("apcc", "report")
    OUTPUT_TOOLTIPS = ("The APCC score (higher = sound follows physics better; NaN when too few impacts).",
                       "A readable report of the score and the events it used.")

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "physics": (PAVAS_PHYSICS, {"tooltip": "The physics the sound should follow."}),
                "audio": ("AUDIO", {"tooltip": "The sound to score (Foley, MMAudio, or the original)."}),
            },
        }

    def score(self, physics, audio):
        from ..pavas_core.comfy_types import audio_to_track
        from ..pavas_core.metrics.apcc_tracks import apcc_of_tracks

        result = apcc_of_tracks(expect_physics(physics), audio_to_track(audio))
        return {"ui": {"pavas_text": [result.report]}, "result": (float(result.score), result.report)}


NODE_CLASS_MAPPINGS = {
    "PAVAS_PhysicsFoley": PavasPhysicsFoley,
    "PAVAS_AudioMix": PavasAudioMix,
    "PAVAS_APCCScore": PavasApccScore,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_PhysicsFoley": "Physics Foley",
    "PAVAS_AudioMix": "Audio Mix",
    "PAVAS_APCCScore": "APCC Score",
}
