"""Convolution cases shared by tests/core/test_conv.py and tests/experiments/test_conv_forms.py."""

# (N, C_in, L, C_out, K, stride, padding, dilation)
CONV_CASES = [
    (2, 3, 10, 4, 3, 1, 0, 1),
    (1, 1, 7, 1, 1, 1, 0, 1),
    (1, 2, 9, 5, 3, 2, 1, 1),
    (3, 4, 12, 2, 2, 3, (2, 1), 2),
    (2, 3, 11, 4, 3, 1, "same", 2),
    (2, 3, 8, 3, 4, 1, "same", 1),
    (2, 2, 9, 3, 3, 1, "causal", 2),
    (1, 3, 13, 2, 5, 2, "causal", 1),
    (2, 2, 5, 3, 3, 1, "valid", 1),
    (1, 2, 3, 3, 3, 1, 0, 1),  # a single output step
]
