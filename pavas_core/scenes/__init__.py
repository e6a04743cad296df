"""Synthetic impact scenes with exact physics: the ground truth the weight-free estimator is tested on.

simulate.py (analytic flight and bounces) → scene.py (random scenes, rendering, ground truth) →
dataset.py (`synth-dataset`: video + reference sound + physics.json) → evaluate.py (scoring an
estimate against the truth). Nothing here imports torch.
"""
