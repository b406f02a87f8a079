#!/usr/bin/python3
"""drnn's residual stacks (--residual) in PyTorch: a drop-in for the nn.LSTM/GRU/RNN it wraps.

From the second layer up, each layer's input is added to its output:

    y_0 = RNN_0(x)        y_k = RNN_k(dropout(y_{k-1})) + y_{k-1}    (k >= 1)

(a bidirectional layer adds its 2H input to its concatenated 2H output; dropout only between
layers, in training, as nn.LSTM's; the residual adds the undropped input). h_n and c_n are the
RNNs' own states, without the residual. The parameters are the wrapped module's, under its names
(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse), so drnn's tensors and any
nn.LSTM/GRU/RNN state_dict load as they are:

    enc = ResidualRNN(nn.LSTM(E, H, num_layers=L, bidirectional=True))
    enc.load_state_dict({k[len("encoder."):]: v for k, v in sd.items() if k.startswith("encoder.")})
    out, (h_n, c_n) = enc(x, lengths=lens)   # x [T, B, E]: out [T, B, 2H], 0 at padding

forward(x, hx=None, lengths=None), sequence-first: x is a padded [T, B, *] tensor, every row of
length T unless `lengths` [B] (on the CPU) says otherwise, or a PackedSequence. hx: h_0
[L*dirs, B, H] ((h_0, c_0) for LSTM), zero if None. Returns (outputs, h_n or (h_n, c_n)), h_n and
c_n [L*dirs, B, H], each row's state after its last token (reverse direction: after its first),
outputs [T, B, dirs*H], 0 past each row's length (a PackedSequence for a PackedSequence, as the
wrapped module gives). Each layer runs on torch._VF's kernels, as nn.LSTM/GRU/RNN.forward runs
them all at once, so with residual=False it computes exactly what the wrapped module does.

Usage: /usr/bin/python3 tests/reference/residual_rnn.py   (self-check against nn.LSTM/GRU/RNN)
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


class ResidualRNN(nn.Module):
    def __init__(self, rnn, residual=True):
        super().__init__()
        assert not rnn.batch_first and getattr(rnn, "proj_size", 0) == 0
        self.mode, self.num_layers, self.hidden_size = rnn.mode, rnn.num_layers, rnn.hidden_size
        self.bias, self.bidirectional, self.dropout = rnn.bias, rnn.bidirectional, rnn.dropout
        self.residual = residual
        for name, p in rnn.named_parameters():  # adopted, not copied: rnn keeps sharing them
            self.register_parameter(name, p)
        # One layer at a time, as nn.LSTM/GRU/RNN's own forward runs all of them.
        self._run = getattr(torch._VF, rnn.mode.lower())  # lstm, gru, rnn_tanh, rnn_relu

    def _weights(self, k):
        """Layer k's tensors in the order torch's kernels take them."""
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        return [getattr(self, f"{w}_l{k}{d}") for d in ("", "_reverse")[:1 + self.bidirectional]
                for w in names]

    def forward(self, x, hx=None, lengths=None):
        total = x.shape[0] if lengths is not None else None
        if lengths is not None:
            x = pack_padded_sequence(x, lengths, enforce_sorted=False)
        packed = isinstance(x, PackedSequence)
        if packed:  # x: the packed rows, sorted longest first
            x, sizes, order, unorder = x
        lstm, dirs = self.mode == "LSTM", 1 + self.bidirectional
        rows = int(sizes[0]) if packed else x.shape[1]
        if hx is None:
            zero = x.new_zeros(self.num_layers * dirs, rows, self.hidden_size)
            hx = (zero, zero) if lstm else zero
        states = list(hx) if lstm else [hx]
        if packed and order is not None:  # the caller's rows into the packed order
            states = [s.index_select(1, order) for s in states]
        finals = []
        for k in range(self.num_layers):
            h = [s[k * dirs:(k + 1) * dirs] for s in states]
            inp = F.dropout(x, self.dropout, self.training) if k > 0 else x
            args = (inp, sizes) if packed else (inp,)
            extra = () if packed else (False,)  # batch_first
            y, *fin = self._run(*args, tuple(h) if lstm else h[0], self._weights(k), self.bias, 1,
                                0.0, self.training, self.bidirectional, *extra)
            x = y + x if self.residual and k > 0 else y
            finals.append(fin)
        finals = [torch.cat(s) for s in zip(*finals)]  # [h_n] or [h_n, c_n]
        if packed and unorder is not None:
            finals = [s.index_select(1, unorder) for s in finals]
        if packed:
            x = PackedSequence(x, sizes, order, unorder)
            if total is not None:
                x = pad_packed_sequence(x, total_length=total)[0]
        return x, tuple(finals) if lstm else finals[0]


def _self_check():
    """residual=False equals the wrapped module (padded, padded with lengths, packed, with hx), and
    residual=True equals the layers run one at a time with the sums taken here."""
    torch.manual_seed(5)
    T, B, E, H = 5, 3, 4, 4
    lens = torch.tensor([3, 5, 1])
    mods = [nn.LSTM, nn.GRU, nn.RNN, lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)]
    for make in mods:
        for layers, bi in ((1, False), (3, False), (2, True)):
            rnn = make(E, H, num_layers=layers, bidirectional=bi).double()
            plain, res = ResidualRNN(rnn, residual=False), ResidualRNN(rnn)
            dirs = 1 + bi
            x = torch.randn(T, B, E, dtype=torch.double)
            h0 = torch.randn(layers * dirs, B, H, dtype=torch.double)
            hx = (h0, torch.randn_like(h0)) if rnn.mode == "LSTM" else h0
            def flat(r):
                return torch.cat([t.reshape(-1) for t in (r if isinstance(r, tuple) else (r,))])
            for want, got in ((rnn(x, hx), plain(x, hx)), (rnn(x), plain(x))):
                assert torch.allclose(want[0], got[0])
                assert torch.allclose(flat(want[1]), flat(got[1]))
            pk = pack_padded_sequence(x, lens, enforce_sorted=False)
            want, got = rnn(pk, hx), plain(pk, hx)
            assert torch.allclose(want[0].data, got[0].data)
            assert torch.allclose(flat(want[1]), flat(got[1]))
            out, fin = plain(x, hx, lengths=lens)
            assert torch.allclose(out, pad_packed_sequence(want[0], total_length=T)[0])
            assert torch.allclose(flat(fin), flat(want[1]))
            # residual, one row at a time on its own tokens: one-layer modules by hand
            out, fin = res(x, hx, lengths=lens)
            for b, n in enumerate(lens.tolist()):
                y = x[:n, b:b + 1]
                for k in range(layers):
                    one = make(y.shape[2], H, bidirectional=bi).double()
                    one.load_state_dict({n_.replace(f"_l{k}", "_l0"): p for n_, p in
                                         rnn.state_dict().items() if f"_l{k}" in n_})
                    hk = tuple(s[k * dirs:(k + 1) * dirs, b:b + 1] for s in
                               (hx if isinstance(hx, tuple) else (hx,)))
                    z, fk = one(y, hk if rnn.mode == "LSTM" else hk[0])
                    y = z + y if k > 0 else z
                    got = [s[k * dirs:(k + 1) * dirs, b:b + 1] for s in
                           (fin if isinstance(fin, tuple) else (fin,))]
                    assert torch.allclose(flat(tuple(got)), flat(fk))  # the RNNs' own states
                assert torch.allclose(out[:n, b:b + 1], y) and (out[n:, b] == 0).all()
    print("residual_rnn.py: ok")


if __name__ == "__main__":
    _self_check()
