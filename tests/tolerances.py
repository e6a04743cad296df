"""Bounds for fp32 comparisons, taken from the rounding of the computation on the machine under test.

An fp32 result differs from the exact one by rounding that depends on the kernels a machine picks
(FFT and BLAS builds, oneDNN, the vector ISA, the thread count). A bound read off the machine a test
was written on fails on another one: the 44.1 kHz mel golden once allowed 2e-5 where another
processor gave 4.1e-5, while that computation's own fp32 rounding is about 4e-5.

So each comparison measures the *fp32 spread* of the computation where the test runs: the largest
|fp32 − fp64| of the same code on the same inputs (`fp32_spread`), and allows a fixed multiple of it.
The fp64 run goes through the code under test, so a wrong implementation (wrong window, transposed
weight, ...) is wrong in fp64 too: the spread stays at rounding level while the error does not.
"""

from __future__ import annotations

import copy

import torch

FP32_EPS = torch.finfo(torch.float32).eps

# Golden fixture vs our fp32 output. |ours − golden| ≤ |ours − exact| + |golden − exact|: the first
# term is one spread (by definition, measured here); the second is the reference's own fp32 rounding
# on the machine that wrote the fixture. Over every fixture and every kernel configuration tried
# (AVX-512/AVX2/generic ATen kernels, MKL down to SSE4.2, oneDNN down to SSE4.1, MKL_CBWR=COMPATIBLE,
# 1 and 2 threads) that second term, measured as |golden − our fp64 run|, stayed within 3.3 spreads
# and the actual |ours − golden| within 2.9 spreads (table in tests/fixtures/README.md): the
# reference rounds up to ~3× more than our code (other op order, its own fp32 weight folding).
# 10 = (1 + 3.3) × 2.3 keeps the bound above ours plus the reference's rounding on machines whose
# kernels round up to 2.3× less than those measured.
GOLDEN_FACTOR = 10

# Two fp32 evaluations of one computation along different paths (batch composition, stacking,
# another library's code for the same formula), both on this machine: each is about one spread from
# the exact result, so they differ by up to two; ×2 for the path whose spread is not measured.
SAME_COMPUTATION_FACTOR = 4


# A tiny network run in bfloat16 / float16 (weights, activations and elementwise results rounded to
# the dtype; CPU kernels accumulate products in fp32) against its fp32 output: measured 0.6–2.2 eps
# of the dtype (max error over max |output|) for the VAE, Synchformer, CLIP and the whole audio
# decoder, under every kernel configuration tried; 8 is about 3.5× the worst.
HALF_PRECISION_FACTOR = 8


def fp32_rounding_bound(roundings: int, magnitude: float) -> float:
    """Error bound of `roundings` elementwise fp32 operations on values up to `magnitude`.

    For short chains of elementwise arithmetic (no reductions, whose order the kernels choose):
    each operation rounds by at most half an ulp, ≤ FP32_EPS / 2 · |x|; each is counted as a full
    FP32_EPS · magnitude (×2 for fused or reordered operations that a count by hand misses).
    """
    return roundings * FP32_EPS * magnitude


def float64_twin(module: torch.nn.Module) -> torch.nn.Module:
    """A float64 copy of `module` (the original is left as it is)."""
    return copy.deepcopy(module).double()


def max_abs_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    assert actual.shape == expected.shape, f"shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    return (actual.detach().double() - expected.detach().double()).abs().max().item()


def fp32_spread(fp32: torch.Tensor, fp64: torch.Tensor) -> float:
    """max |fp32 − fp64| of one computation, and at least one fp32 ulp of its largest output
    (FP32_EPS · max |x| ≥ ulp(max |x|): no fp32 result is known more closely than that)."""
    assert fp32.dtype == torch.float32 and fp64.dtype == torch.float64, (fp32.dtype, fp64.dtype)
    return max(max_abs_error(fp32, fp64), FP32_EPS * fp64.detach().abs().max().item())


def assert_matches_golden(actual: torch.Tensor, golden: torch.Tensor, fp64: torch.Tensor, what: str = "output") -> None:
    """Our fp32 `actual` is the reference's fp32 `golden` up to both fp32 roundings.

    `fp64`: our code in float64 on the same inputs (it sets the spread).
    """
    spread = fp32_spread(actual, fp64)
    error = max_abs_error(actual, golden)
    assert error <= GOLDEN_FACTOR * spread, (
        f"{what}: max |ours − golden| = {error:.3g} > {GOLDEN_FACTOR} × fp32 spread {spread:.3g} "
        f"(max |fp32 − fp64| of our code on this machine)"
    )


def assert_same_computation(
    actual: torch.Tensor, expected: torch.Tensor, expected_fp64: torch.Tensor, what: str = "output"
) -> None:
    """Two fp32 evaluations of the same computation agree up to fp32 rounding.

    `expected_fp64`: `expected`'s computation in float64 (it sets the spread; `actual`'s path is the
    one under test, so its errors must not enter the spread).
    """
    spread = fp32_spread(expected, expected_fp64)
    error = max_abs_error(actual, expected)
    assert error <= SAME_COMPUTATION_FACTOR * spread, (
        f"{what}: max difference {error:.3g} > {SAME_COMPUTATION_FACTOR} × fp32 spread {spread:.3g} "
        f"(max |fp32 − fp64| of the reference path on this machine)"
    )


def assert_follows_fp32(actual: torch.Tensor, fp32: torch.Tensor, dtype: torch.dtype, what: str = "output") -> None:
    """A bfloat16 / float16 run (`actual`) follows the fp32 run of the same code up to half-precision
    rounding: max error ≤ HALF_PRECISION_FACTOR · eps(dtype) · max |fp32|."""
    eps = torch.finfo(dtype).eps
    relative = max_abs_error(actual, fp32) / fp32.detach().abs().max().item()
    assert relative <= HALF_PRECISION_FACTOR * eps, (
        f"{what} in {dtype}: max error {relative:.3g} of max |fp32 output| > {HALF_PRECISION_FACTOR} × eps {eps:.3g}"
    )
