"""What one chapter computes for its prose: HMMs, notation, gradient flow, the kinds of RNN,
the adding problem, cell comparisons, deep RNNs, convolution forms, receptive fields,
hidden-state trajectories. Imports the core layers, ``data`` and ``torch_ref``.
"""
