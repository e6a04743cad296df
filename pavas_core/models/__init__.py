"""Learned models (torch): MMAudio-compatible generator, codecs, encoders, Phy-Adapter.

Everything under this package imports torch; nothing outside it needs to.
"""
