"""What several grading tests share: chapter 1's q3 answered without calling q1's function."""

# q3 without a call to rnn_cell_step: breaking (or slowing) q1 cannot spill into q3
SELF_CONTAINED_Q3 = '''def time_rnn_forward_lengths(xs, lengths, h0, W_xh, W_hh, b_h):
    N, T, _ = xs.shape
    h = np.zeros((N, W_hh.shape[0])) if h0 is None else h0
    hs = np.zeros((N, T, W_hh.shape[0]))
    for t in range(T):
        real = (t < lengths)[:, None]
        h = np.where(real, np.tanh(xs[:, t] @ W_xh + h @ W_hh + b_h), h)
        hs[:, t] = np.where(real, h, 0.0)
    return hs, h
'''
