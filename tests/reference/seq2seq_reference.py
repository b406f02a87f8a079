#!/usr/bin/python3
"""PyTorch reference dumps for drnn's seq2seq model and its decoders (DESIGN §3, §4;
model/seq2seq.h, model/search.h).

Two kinds of HDF5 file, replayed through drnn by tests/test_ref_seq2seq.c.

The model (Luong attention, no input feeding), with D = H, or 2H when bidirectional:

  src_embedding  Embedding(Vs, E)
  tgt_embedding  Embedding(Vt, E)
  encoder        nn.RNN/GRU/LSTM(E, H, num_layers=L, bidirectional=bi) (drnn's --cell) over
                 pack_padded_sequence(src_embedding(src), src_lens, enforce_sorted=False) from a
                 zero state; outputs h_i [D] (zero at padding)
  decoder        nn.GRU(E, H, num_layers=L), whatever the encoder's cell, on the padded decoder
                 inputs <bos> y_1 .. y_m (no packing), from s0_k = tanh(bridge(hbar_k)), hbar_k =
                 h_n[k], or [h_n[2k]; h_n[2k+1]] when bidirectional (LSTM: the hidden state)
  bridge         Linear(D, H)
  attn           Linear(D, H, bias=False), "general" only: e_ti = s_t . attn(h_i); "dot":
                 e_ti = s_t . h_i (needs D = H: dot with a bidirectional encoder is invalid and
                 never generated)
  (attention)    alpha_t = softmax of e_t with -inf at padded source positions; a_t = sum alpha h
  attn_combine   Linear(D + H, H, bias=False): htilde_t = tanh(attn_combine([a_t; s_t]))
  generator      Linear(H, Vt): logits_t
  loss           the sum over real target positions (t < tgt_len) of cross_entropy(logits_t, y_t),
                 in double over the float32 logits

With residual connections (--residual; RES_CASES, tag "res", attribute residual = 1, absent
elsewhere) the encoder and the decoder are residual_rnn.py's ResidualRNN around the same modules
(same keys): from the second layer up, each layer's input is added to its output. h_n (so the
bridge's input) is still the RNNs' own state; attention reads the outputs, residual sums included.

With self-attention (--self-attention HEADS; SA_CASES, SA_EDGE_CASES, DEC_SA_CASES, tag
"sa<heads>[_res]", attribute self_attention = heads, absent elsewhere) self_attn_reference.py's
block sits over the encoder's padded outputs y: z = LayerNorm(y + MHA(y, y, y)) with
nn.MultiheadAttention(D, heads, dropout=0) called with key_padding_mask (True at padding) and
nn.LayerNorm(D) (eps 1e-5), keys self_attn.* and self_attn_norm.* (between encoder.* and
decoder.*). The decoder's attention reads z in place of the outputs h_i (keys attn(z_i) for
"general", z_i for "dot"); the bridge still reads the stack's h_n.

State_dict keys (registration order) are drnn's parameter names and order. Dropout 0. Special
target ids: <unk> 0, <pad> 1, <bos> 2, <eos> 3; real target tokens are drawn from [4, Vt), real
source tokens from [4, Vs).

1. Forward/backward cases (CASES, EDGE_CASES), files s2s_<cell>_l<L>_<uni|bi>_<attention>[_tag].h5:
   weights uniform in ±0.5 from one torch seed per case (larger than PyTorch's init, so gradients
   are far above the comparison's absolute tolerance); every dimension distinct (Vs 13, Vt 11,
   E 6, H 5, Ts 7, Tt 6, B 4). RES_CASES: gru and lstm encoders x layers 2, 3 x uni-/bidirectional
   (dot attention when unidirectional, general when bidirectional), residual; files
   s2s_<cell>_l<L>_<uni|bi>_<attention>_res.h5. SA_CASES: gru and lstm encoders x 2 layers x
   uni-/bidirectional x attention dot, general (where valid) x heads 1, 4, with residual stacks
   on half of them (each cell meets each head count with and without); heads 4 use H 8 (D = 8 or
   16), heads 1 keep H 5; SA_EDGE_CASES: no row of full length, B = 1, Ts = Tt = 1. Files
   s2s_<cell>_l<L>_<uni|bi>_<attention>_sa<heads>[_res][_edge].h5.

  attributes   format="drnn-seq2seq-reference", version, kind="seq2seq", cell, layers,
               bidirectional (0/1), attention ("dot"|"general"), src_vocab, tgt_vocab, embed,
               hidden, Ts, Tt, B, bos, eos, seed, torch; residual and self_attention when set
  <key>        every state_dict tensor under its key
  keys         the state_dict keys in order (so the C side can see tensors drnn lacks)
  src          uint32 [Ts, B] time-major: position (t, b) is drnn's row t*B + b; random ids (from
               the whole vocabulary) at padded positions, which drnn must ignore
  src_lens     int32 [B] in [1, Ts], Ts and 1 among them (EDGE_CASES: given)
  tgt_in       uint32 [Tt, B]: <bos> y_1 .. y_m, random ids past tgt_lens
  tgt_out      uint32 [Tt, B]: y_1 .. y_m <eos>, random ids past tgt_lens
  tgt_lens     int32 [B] = m + 1 in [1, Tt], Tt and 1 among them
  ntok         int64 scalar: sum of tgt_lens, the number of real target tokens
  loss         float64 scalar: the summed cross-entropy (nats)
  logits       float32 [Tt, B, Vt] (diagnostic only)
  probs        float32 [Tt, B, Vt] = softmax(logits); only rows t < tgt_lens[b] are meaningful
  attention    float32 [B, Tt, Ts] alpha (0 at padded source positions); only rows t < tgt_lens[b]
               are meaningful
  grad/<key>       d loss / d tensor (drnn's backward with scale 1)
  grad_mean/<key>  d (loss / ntok) / d tensor (scale 1/ntok)

2. Decoding cases (DEC_CASES; DEC_SA_CASES with self-attention: an lstm 2-layer bidirectional
   encoder with general attention, 4 heads and residual stacks, a gru 1-layer unidirectional one
   with dot attention and 1 head), files dec_<cell>_l<L>_<uni|bi>_<attention>[_sa<heads>[_res]].h5:
   greedy and beam search exactly as model/search.h says, one source at a time, on the model's
   math one step at a time (log_softmax of the float32 logits; raw scores summed in double;
   lp(n) = ((5 + n)/6)^alpha).
   The weights are uniform ±0.5 with the generator scaled up (peaked distributions), a "timer"
   unit in the top decoder layer that makes <eos> likelier at each step, and an <eos> bias
   (decoding_weights_), so that hypotheses end at varied lengths, some with <eos>, some at
   max_len. A (seed, <eos> bias) whose decisions come within MARGIN of a tie (a top-2
   log-probability gap, a beam cut, a stopping comparison, the n-best order), where float
   rounding could flip drnn's choice, or whose outputs are too uniform (see the self-checks
   below), gives way to the next one. RUNS: greedy at alpha 0 and 1; beam K = 1, 3, 5 at alpha 0
   and 1 with n_best = K; K = 5 with n_best 2 and 1, K = 3 with n_best 1; max_ratio 1.5, and 0.5
   (max_len = 1 for short sources) for one greedy and one beam run.

  attributes   as above, without Tt (Ts and B: the sources' batch), plus kind="seq2seq-decode"
  <key>, keys  as above
  src          uint32 [Ts, B]; src_lens int32 [B] (Ts and 1 among them)
  run_names    strings: the names of the groups below, in order
  runs/<name>/ one search over the whole batch:
      beam            int32 scalar: 0 greedy, K >= 1 beam width
      n_best          int32 scalar (1 for greedy)
      length_penalty  float64 scalar (alpha)
      max_ratio       float64 scalar
      max_len         int32 [B]: max(1, floor(max_ratio * src_lens[b]))
      offsets         int64 [B*n_best + 1]: hypothesis j = b*n_best + r (r-th best of source b)
                      has tokens[offsets[j] : offsets[j+1]]
      tokens          uint32 [offsets[-1]]: generated ids, <eos> included when it ended with one
      scores          float64 [B*n_best]: normalized scores (raw / lp(len))
      attn_offsets    int64 [B*n_best + 1]: hypothesis j's attention matrix is
                      attn[attn_offsets[j] : attn_offsets[j+1]], row-major [len_j, src_lens[b]]
      attn            float32 [attn_offsets[-1]]
      generated       int64 scalar: the sum over sources of the best hypothesis's length (what
                      search_run returns)

The list of all files goes to OUT/cases.txt (forward cases, then decoding cases).

Self-checks (failures abort): the packed batch equals the same model run one row at a time on its
real tokens without packing; autograd's gradient of one tensor per case (rotating through the keys)
equals central finite differences in double; the teacher-forced step function reproduces the
batch forward's log-probabilities and attention; greedy equals beam K=1 at alpha 0; greedy
hypotheses end at several lengths, with <eos> and at max_len; in each decoding file some beam
search stops early (live hypotheses left, by the stopping rule) and some goes on past n_best
finished hypotheses and finds a better one (so stopping at n_best, or with a looser bound, fails).
A forward case whose seed leaves a tensor's gradient below 1e-3 everywhere, or, with
self-attention, whose float32 gradients stray too far from float64 ones (f32_noise.py), gives way
to the next seed.

Usage: /usr/bin/python3 tests/reference/seq2seq_reference.py OUT_DIR
       /usr/bin/python3 tests/reference/seq2seq_reference.py --check-export MODEL.h5 CORPUS.h5 LOSS
         (tests/test_seq2seq.sh: a drnn-export file loads into Seq2Seq with strict=True and its
         teacher-forced loss on the corpus's valid pairs equals drnn-eval's LOSS within 1e-5)
"""

import math
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from lm_reference import make_rnn  # noqa: E402  # same folder: one mapping of drnn cells to torch
from residual_rnn import ResidualRNN  # noqa: E402
import f32_noise  # noqa: E402

FORMAT, VERSION = "drnn-seq2seq-reference", 1

UNK, PAD, BOS, EOS = 0, 1, 2, 3
N_SPECIAL = 4
# Every dimension distinct (Vs != Vt != E != H, Ts != Tt != B) so shape or transpose mix-ups
# cannot cancel out.
VS, VT, E, H = 13, 11, 6, 5
TS, TT, B = 7, 6, 4
SEED = 8642
WEIGHT_RANGE = 0.5
ATTENTIONS = ("dot", "general")


def valid(bidirectional, attention):
    """Dot attention needs D = H: a bidirectional encoder (D = 2H) with it is not a model."""
    return not (bidirectional and attention == "dot")


# (cell, layers, bidirectional, attention, Ts, Tt, B, src_lens, tgt_lens, tag); lens None = random
# with T and 1 among them. Invalid combinations (dot with bidirectional) are left out explicitly.
CASES = [(cell, layers, bi, att, TS, TT, B, None, None, "")
         for cell in ("rnn", "gru", "lstm") for layers in (1, 2) for bi in (False, True)
         for att in ATTENTIONS if valid(bi, att)]
CASES += [("rnn_relu", 2, True, "general", TS, TT, B, None, None, "")]
EDGE_CASES = [
    # no row of full length: the last steps are padding everywhere, source and target
    ("lstm", 2, True, "general", 7, 6, 4, [5, 1, 3, 5], [4, 2, 1, 3], "short"),
    # one source and one target position (only <bos> -> <eos>)
    ("gru", 1, False, "dot", 1, 1, 3, [1, 1, 1], [1, 1, 1], "t1"),
    # one row
    ("gru", 2, True, "general", 6, 5, 1, [6], [5], "b1"),
    # targets longer than sources
    ("rnn", 1, False, "general", 3, 8, 3, None, None, "long"),
]
RES = "res"  # the tag of residual cases
RES_CASES = [(cell, layers, bi, "general" if bi else "dot", TS, TT, B, None, None, RES)
             for cell in ("gru", "lstm") for layers in (2, 3) for bi in (False, True)]
# Self-attention over the encoder's outputs: (..., tag, heads, residual). Heads 1 keep H; heads 4
# use H_SA so that they divide D (and D = H for dot attention). Residual connections on half of
# them: each cell meets each head count with and without.
H_SA = 8
SA_CASES = [(cell, 2, bi, att, TS, TT, B, None, None, f"sa{heads}{'_res' if res else ''}", heads,
             res)
            for cell in ("gru", "lstm") for bi in (False, True) for att in ATTENTIONS
            if valid(bi, att) for heads in (1, 4)
            for res in [((heads == 4) + bi + (cell == "lstm")) % 2 == 1]]
SA_EDGE_CASES = [
    ("lstm", 2, True, "general", 7, 6, 4, [5, 1, 3, 5], [4, 2, 1, 3], "sa4_short", 4, False),
    ("gru", 2, False, "dot", 6, 5, 1, [6], [5], "sa4_res_b1", 4, True),
    ("gru", 2, True, "general", 1, 1, 3, [1, 1, 1], [1, 1, 1], "sa1_t1", 1, False),
]


def options(case):
    """(self-attention heads, residual, sizes (Vs, Vt, E, H)) of a forward case: SA cases carry
    the first two, the others' tag says whether they are residual."""
    if len(case) > 10:
        heads, res = case[10:]
        return heads, res, (VS, VT, E, H_SA if heads == 4 else H)
    return 0, case[9] == RES, (VS, VT, E, H)

# Decoding: models, a batch of sources, and the searches run on each.
DEC_CASES = [("gru", 2, True, "general"), ("lstm", 1, False, "dot"), ("rnn", 2, False, "general")]
# With self-attention (and residual stacks): (cell, layers, bi, attention, heads, residual)
DEC_SA_CASES = [("lstm", 2, True, "general", 4, True), ("gru", 1, False, "dot", 1, False)]
DEC_TS, DEC_B = 7, 6
DEC_SEED = 97531
GEN_SCALE = 3.0          # generator weights x this: peaked next-token distributions
TIMER_WEIGHT = 6.0       # <eos> logit per unit of the timer (decoding_weights_)
TIMER_START_SCALE = 4.0  # the bridge's weights to the timer x this: a source-dependent start
EOS_BIASES = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0)  # tried in turn for each seed
VERBOSE = False          # print each (seed, <eos> bias) given up and why
MARGIN = 2e-4            # decisions closer than this to a tie make the seed give way
# (name, beam, n_best, length_penalty, max_ratio); values exact in float32
RUNS = [
    ("greedy_a0", 0, 1, 0.0, 1.5),
    ("greedy_a1", 0, 1, 1.0, 1.5),
    ("beam1_a0", 1, 1, 0.0, 1.5),
    ("beam1_a1", 1, 1, 1.0, 1.5),
    ("beam3_a0", 3, 3, 0.0, 1.5),
    ("beam3_a1", 3, 3, 1.0, 1.5),
    ("beam5_a0", 5, 5, 0.0, 1.5),
    ("beam5_a1", 5, 5, 1.0, 1.5),
    ("beam5_a1_nbest2", 5, 2, 1.0, 1.5),
    ("beam3_a1_nbest1", 3, 1, 1.0, 1.5),
    ("beam5_a0_nbest1", 5, 1, 0.0, 1.5),
    ("greedy_a0_r05", 0, 1, 0.0, 0.5),
    ("beam3_a1_r05", 3, 3, 1.0, 0.5),
]


class Seq2Seq(nn.Module):
    """The module whose state_dict keys drnn's parameter table copies (DESIGN §4)."""

    def __init__(self, cell, layers, bidirectional, attention, sizes=None, residual=False, heads=0):
        """sizes: (Vs, Vt, E, H), by default this file's case sizes; residual: residual
        connections in both stacks; heads: the self-attention block over the encoder's outputs
        (0: none)."""
        super().__init__()
        self.cell, self.layers, self.bidirectional = cell, layers, bidirectional
        self.attention, self.residual, self.heads = attention, residual, heads
        self.sizes = sizes or (VS, VT, E, H)
        vs, vt, e, h = self.sizes
        self.H, self.VT = h, vt
        d = 2 * h if bidirectional else h
        self.src_embedding = nn.Embedding(vs, e)
        self.tgt_embedding = nn.Embedding(vt, e)
        self.encoder = make_rnn(cell, layers, bidirectional, inputs=e, hidden=h,
                                residual=residual)
        if heads:  # z = LayerNorm(y + MHA(y, y, y)), registered where drnn's table has it
            self.self_attn = nn.MultiheadAttention(d, heads, dropout=0.0)
            self.self_attn_norm = nn.LayerNorm(d)
        self.decoder = nn.GRU(e, h, num_layers=layers)
        if residual:
            self.decoder = ResidualRNN(self.decoder)
        self.bridge = nn.Linear(d, h)
        if attention == "general":
            self.attn = nn.Linear(d, h, bias=False)
        self.attn_combine = nn.Linear(d + h, h, bias=False)
        self.generator = nn.Linear(h, vt)

    def start(self, h_n):
        """h_n [L*dirs, B, self.H] of the encoder -> the decoder's starting states [L, B, self.H]."""
        if self.bidirectional:
            hbar = torch.cat([h_n[0::2], h_n[1::2]], 2)  # layer k: [h_n[2k]; h_n[2k+1]]
        else:
            hbar = h_n
        return torch.tanh(self.bridge(hbar))

    def self_attend(self, y, pad):
        """The self-attention block: y [Ts, B, D], pad [B, Ts] (True at padding; None: none) ->
        z [Ts, B, D], head-averaged weights [B, Ts, Ts]."""
        a, w = self.self_attn(y, y, y, key_padding_mask=pad, need_weights=True)
        return self.self_attn_norm(y + a), w

    def encode(self, src, src_lens):
        """src [Ts, B] long, src_lens [B] long (cpu) -> outputs [Ts, B, D] (0 at padding; with
        self-attention z, not 0 there but never weighed), attention keys [Ts, B, self.H or D],
        decoder start states [L, B, self.H]."""
        steps = src.shape[0]
        packed = pack_padded_sequence(self.src_embedding(src), src_lens, enforce_sorted=False)
        out, final = self.encoder(packed)
        out, _ = pad_packed_sequence(out, total_length=steps)
        if self.heads:  # the decoder attends over z; the bridge still reads h_n
            out, _ = self.self_attend(
                out, torch.arange(steps).unsqueeze(0) >= src_lens.unsqueeze(1))
        h_n = final[0] if self.cell == "lstm" else final  # caller's row order (sort undone)
        keys = self.attn(out) if self.attention == "general" else out
        return out, keys, self.start(h_n).contiguous()

    def attend(self, s, out, keys, src_lens):
        """Decoder states s [Tt, B, self.H] over the encoder outputs out [Ts, B, D] (keys [Ts, B, self.H])
        -> logits [Tt, B, Vt], alpha [B, Tt, Ts]."""
        e = torch.einsum("tbh,ibh->bti", s, keys)
        pad = torch.arange(out.shape[0]).view(1, 1, -1) >= src_lens.view(-1, 1, 1)
        alpha = torch.softmax(e.masked_fill(pad, float("-inf")), 2)
        a = torch.einsum("bti,ibd->tbd", alpha, out)
        htilde = torch.tanh(self.attn_combine(torch.cat([a, s], 2)))
        return self.generator(htilde), alpha

    def forward(self, src, src_lens, tgt_in):
        out, keys, s0 = self.encode(src, src_lens)
        s, _ = self.decoder(self.tgt_embedding(tgt_in), s0)
        return self.attend(s, out, keys, src_lens)

    @torch.no_grad()
    def forward_rowwise(self, src, src_lens, tgt_in, tgt_lens):
        """Each row alone on its real tokens only, without packing (h_n of an unpadded run is
        unambiguous): a check that the packed batch means what model/seq2seq.h says. Returns
        logits [Tt, B, Vt] and alpha [B, Tt, Ts] with zeros past each row's lengths."""
        steps_t, rows = tgt_in.shape
        logits = torch.zeros(steps_t, rows, self.VT)
        alpha = torch.zeros(rows, steps_t, src.shape[0])
        for b in range(rows):
            n, m = int(src_lens[b]), int(tgt_lens[b])
            out, final = self.encoder(self.src_embedding(src[:n, b:b + 1]))
            h_n = final[0] if self.cell == "lstm" else final
            top = h_n[-2:] if self.bidirectional else h_n[-1:]
            # The top layer's h_n is its output after the last token (forward) and after the first
            # one (reverse): the layout this file documents (residual: the output adds the input).
            want = torch.cat([out[n - 1, 0, :self.H], out[0, 0, self.H:]]) if self.bidirectional \
                else out[n - 1, 0]
            assert self.residual or torch.allclose(torch.cat(list(top[:, 0])), want)
            if self.heads:  # the block on the row alone, no mask
                out, _ = self.self_attend(out, None)
            keys = self.attn(out) if self.attention == "general" else out
            s, _ = self.decoder(self.tgt_embedding(tgt_in[:m, b:b + 1]),
                                self.start(h_n).contiguous())
            lg, al = self.attend(s, out, keys, torch.tensor([n]))
            logits[:m, b] = lg[:, 0]
            alpha[b, :m, :n] = al[0]
        return logits, alpha

    @torch.no_grad()
    def step(self, enc, src_lens, prev, rows, state):
        """One decoder step for N hypotheses: prev [N] previous tokens, rows [N] their sources in
        enc = encode(...)'s (out, keys), state [L, N, self.H] -> logp [N, Vt] (float32 log_softmax),
        alpha [N, Ts], the new state."""
        out, keys, _ = enc
        s, state = self.decoder(self.tgt_embedding(prev).unsqueeze(0), state)
        logits, alpha = self.attend(s, out[:, rows], keys[:, rows], src_lens[rows])
        return torch.log_softmax(logits[0], 1), alpha[:, 0], state


def uniform_(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-WEIGHT_RANGE, WEIGHT_RANGE)


def make_lens(steps, rows):
    """Random lengths in [1, steps] including steps and 1 (when rows >= 2), in random order."""
    lens = torch.randint(1, steps + 1, (rows,))
    lens[0] = steps
    if rows > 1:
        lens[1] = 1
    return lens[torch.randperm(rows)]


def make_sources(steps, rows, lens):
    """[steps, rows] ids: real ones from [4, Vs), random ones from the whole vocabulary at
    padding."""
    src = torch.randint(0, VS, (steps, rows))
    real = torch.arange(steps).unsqueeze(1) < lens.unsqueeze(0)
    return torch.where(real, torch.randint(N_SPECIAL, VS, (steps, rows)), src)


def make_targets(steps, rows, lens):
    """tgt_in <bos> y_1 .. y_m and tgt_out y_1 .. y_m <eos> with m = lens - 1, random ids past
    the lengths."""
    y = torch.randint(N_SPECIAL, VT, (steps, rows))
    tgt_in = torch.randint(0, VT, (steps, rows))
    tgt_out = torch.randint(0, VT, (steps, rows))
    for b in range(rows):
        m = int(lens[b]) - 1
        tgt_in[0, b] = BOS
        tgt_in[1:m + 1, b] = y[:m, b]
        tgt_out[:m, b] = y[:m, b]
        tgt_out[m, b] = EOS
    return tgt_in, tgt_out


def real_targets(steps, lens):
    """[Tt, B] bool: position t of row b is a real target (t < lens[b])."""
    return torch.arange(steps).unsqueeze(1) < lens.unsqueeze(0)


def loss_sum(model, batch, dtype=torch.float32):
    src, src_lens, tgt_in, tgt_out, tgt_lens = batch
    logits, alpha = model(src, src_lens, tgt_in)
    real = real_targets(tgt_in.shape[0], tgt_lens)
    loss = F.cross_entropy(logits[real].to(dtype), tgt_out[real], reduction="sum")
    return loss, logits, alpha


class TinyGradient(Exception):
    """A parameter tensor's gradient is below 1e-3 everywhere for this seed."""


def grads_of(model, loss, name, check_size):
    model.zero_grad()
    loss.backward()
    out = {}
    for key, p in model.named_parameters():
        if p.grad is None or not torch.isfinite(p.grad).all():
            raise RuntimeError(f"{name}: {key} got no (finite) gradient")
        # A tensor whose gradient is all below the absolute tolerance would prove nothing. (Edge
        # cases are exempt: with Ts = 1 the encoder's recurrent weights meet only the zero state.)
        if check_size and p.grad.abs().max().item() < 1e-3:
            raise TinyGradient(f"{name}: gradient of {key} is below 1e-3 everywhere")
        out[key] = p.grad.detach().numpy().astype(np.float32)
    return out


def finite_difference_check(model, batch, key, name, gen, samples=12):
    """Autograd against central differences in double on up to `samples` entries of one tensor:
    the loss as written here is differentiated as PyTorch would."""
    m64 = Seq2Seq(model.cell, model.layers, model.bidirectional, model.attention, model.sizes,
                  residual=model.residual, heads=model.heads).double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    loss, _, _ = loss_sum(m64, batch, torch.float64)
    m64.zero_grad()
    loss.backward()
    p = dict(m64.named_parameters())[key]
    grad = p.grad.detach().clone().view(-1)
    flat = p.data.view(-1)
    idx = torch.randperm(flat.numel(), generator=gen)[:samples]
    eps = 1e-6
    worst = 0.0
    with torch.no_grad():
        for i in idx.tolist():
            keep = flat[i].item()
            flat[i] = keep + eps
            up = loss_sum(m64, batch, torch.float64)[0].item()
            flat[i] = keep - eps
            down = loss_sum(m64, batch, torch.float64)[0].item()
            flat[i] = keep
            fd = (up - down) / (2 * eps)
            err = abs(fd - grad[i].item()) / max(1e-4, abs(fd))
            worst = max(worst, err)
            if err > 1e-4:
                raise RuntimeError(f"{name}: d loss / d {key}[{i}]: autograd {grad[i].item():.9g}, "
                                   f"finite differences {fd:.9g}")
    return worst


def step_check(model, batch, logits, alpha, name):
    """The step function, fed the teacher-forcing inputs one position at a time, reproduces the
    batch forward (the decoding dumps rest on it)."""
    src, src_lens, tgt_in, _, tgt_lens = batch
    rows = torch.arange(src.shape[1])
    with torch.no_grad():
        enc = model.encode(src, src_lens)
        state = enc[2]
        want = torch.log_softmax(logits, 2)
        for t in range(tgt_in.shape[0]):
            logp, al, state = model.step(enc, src_lens, tgt_in[t], rows, state)
            real = t < tgt_lens
            if not (torch.allclose(logp[real], want[t][real], rtol=1e-5, atol=1e-5) and
                    torch.allclose(al[real], alpha[real, t], rtol=1e-5, atol=1e-6)):
                raise RuntimeError(f"{name}: step {t} differs from the batch forward")


def case_name(prefix, cell, layers, bi, attention, tag=""):
    return f"{prefix}_{cell}_l{layers}_{'bi' if bi else 'uni'}_{attention}" \
           f"{'_' + tag if tag else ''}.h5"


def run_case(case, seed, name, check_size, fd_key_index):
    """The model, batch and results of one case from one seed (TinyGradient: try another)."""
    cell, layers, bi, att, ts, tt, rows, src_lens, tgt_lens, tag = case[:10]
    heads, residual, sizes = options(case)
    model = Seq2Seq(cell, layers, bi, att, sizes, residual=residual, heads=heads).float()
    uniform_(model, seed)
    src_lens = make_lens(ts, rows) if src_lens is None else torch.tensor(src_lens)
    tgt_lens = make_lens(tt, rows) if tgt_lens is None else torch.tensor(tgt_lens)
    src = make_sources(ts, rows, src_lens)
    tgt_in, tgt_out = make_targets(tt, rows, tgt_lens)
    batch = (src, src_lens, tgt_in, tgt_out, tgt_lens)
    ntok = int(tgt_lens.sum())

    loss, logits, alpha = loss_sum(model, batch)
    real = real_targets(tt, tgt_lens)
    lg_rows, al_rows = model.forward_rowwise(src, src_lens, tgt_in, tgt_lens)
    if not (torch.allclose(logits.detach()[real], lg_rows[real], rtol=1e-5, atol=1e-6) and
            torch.allclose(alpha.detach().transpose(0, 1)[real], al_rows.transpose(0, 1)[real],
                           rtol=1e-5, atol=1e-6)):
        raise RuntimeError(f"{name}: packed and row-by-row forwards differ")
    pad = torch.arange(ts).view(1, 1, -1) >= src_lens.view(-1, 1, 1)
    if (alpha.detach().masked_select(pad) != 0).any():
        raise RuntimeError(f"{name}: attention on a padded source position")
    step_check(model, batch, logits.detach(), alpha.detach(), name)
    noise = None
    if heads:  # a case where float32 rounding nears the tolerance gives way (f32_noise.py)
        noise = f32_noise.check(
            lambda: Seq2Seq(cell, layers, bi, att, sizes, residual=residual, heads=heads),
            model.state_dict(), lambda m: loss_sum(m, batch, m.generator.weight.dtype)[0], name,
            seed)
    grad_sum = grads_of(model, loss, name, check_size)
    loss, _, _ = loss_sum(model, batch)
    grad_mean = grads_of(model, loss / ntok, name, False)
    loss = F.cross_entropy(logits.detach()[real].double(), tgt_out[real], reduction="sum").item()

    keys = list(model.state_dict().keys())
    fd_key = keys[fd_key_index % len(keys)]
    fd_worst = finite_difference_check(model, batch, fd_key, name,
                                       torch.Generator().manual_seed(seed))
    return model, batch, ntok, logits.detach(), alpha.detach(), loss, grad_sum, grad_mean, \
        (fd_key, fd_worst), noise


def write_header(f, kind, model, seed):
    f.attrs["format"] = FORMAT
    f.attrs["version"] = VERSION
    f.attrs["kind"] = kind
    f.attrs["cell"] = model.cell
    f.attrs["attention"] = model.attention
    if model.residual:
        f.attrs["residual"] = 1
    if model.heads:
        f.attrs["self_attention"] = model.heads
    vs, vt, e, h = model.sizes
    for k, v in (("layers", model.layers), ("bidirectional", int(model.bidirectional)),
                 ("src_vocab", vs), ("tgt_vocab", vt), ("embed", e), ("hidden", h),
                 ("bos", BOS), ("eos", EOS), ("seed", seed)):
        f.attrs[k] = v
    f.attrs["torch"] = str(torch.__version__)  # a str subclass h5py rejects
    sd = model.state_dict()
    f.create_dataset("keys", data=list(sd.keys()), dtype=h5py.string_dtype())
    for key, tensor in sd.items():
        f.create_dataset(key, data=tensor.numpy().astype(np.float32))


def make_case(index, case, path):
    cell, layers, bi, att, ts, tt, rows, _, _, tag = case[:10]
    name = os.path.basename(path)
    # Seeds per case, so adding or reordering cases leaves the others' numbers unchanged as long
    # as the case keeps its index; with self-attention, a seed whose float32 gradients stray too
    # far from float64's gives way too (f32_noise.py).
    for seed in range(SEED + 100 * index, SEED + 100 * index + 10):
        torch.manual_seed(seed)
        try:
            res = run_case(case, seed, name, tag in ("", RES) or case in SA_CASES, index)
            break
        except (TinyGradient, f32_noise.IllConditioned) as e:
            print(f"{e}; seed {seed + 1} instead")
    else:
        raise RuntimeError(f"{name}: no seed gave gradients above 1e-3 (and, with self-attention, "
                           f"float32 noise well below the tolerance)")
    model, batch, ntok, logits, alpha, loss, grad_sum, grad_mean, fd, noise = res
    src, src_lens, tgt_in, tgt_out, tgt_lens = batch

    with h5py.File(path, "w") as f:
        write_header(f, "seq2seq", model, seed)
        for k, v in (("Ts", ts), ("Tt", tt), ("B", rows)):
            f.attrs[k] = v
        for key in grad_sum:
            f.create_dataset("grad/" + key, data=grad_sum[key])
            f.create_dataset("grad_mean/" + key, data=grad_mean[key])
        f.create_dataset("src", data=src.numpy().astype(np.uint32))
        f.create_dataset("src_lens", data=src_lens.numpy().astype(np.int32))
        f.create_dataset("tgt_in", data=tgt_in.numpy().astype(np.uint32))
        f.create_dataset("tgt_out", data=tgt_out.numpy().astype(np.uint32))
        f.create_dataset("tgt_lens", data=tgt_lens.numpy().astype(np.int32))
        f.create_dataset("ntok", data=np.int64(ntok))
        f.create_dataset("loss", data=np.float64(loss))
        f.create_dataset("logits", data=logits.numpy().astype(np.float32))
        f.create_dataset("probs", data=torch.softmax(logits, 2).numpy().astype(np.float32))
        f.create_dataset("attention", data=alpha.numpy().astype(np.float32))
    return loss, src_lens.tolist(), tgt_lens.tolist(), fd, noise


# ---- decoding (model/search.h) ----------------------------------------------------------------


class Ambiguous(Exception):
    """A decision within MARGIN of a tie: float rounding could decide it either way."""


def lp(n, alpha):
    """GNMT length penalty."""
    return ((5.0 + n) / 6.0) ** alpha


def max_len_of(max_ratio, n):
    return max(1, math.floor(max_ratio * n))


class Margin:
    """The smallest gap met at a decision; raises Ambiguous below MARGIN."""

    def __init__(self):
        self.min = math.inf

    def gap(self, a, b, what):
        g = abs(a - b)
        self.min = min(self.min, g)
        if g < MARGIN:
            raise Ambiguous(f"{what}: {a:.9g} vs {b:.9g}")


def greedy(model, enc, src_lens, b, alpha, max_len, margin):
    """Greedy decoding of source b: tokens, normalized score, attention rows [len, src_len]."""
    n = int(src_lens[b])
    state = enc[2][:, b:b + 1].contiguous()
    prev, tokens, attn, raw = BOS, [], [], 0.0
    for _ in range(max_len):
        logp, al, state = model.step(enc, src_lens, torch.tensor([prev]), torch.tensor([b]), state)
        lpv = logp[0].numpy()
        w = int(np.argmax(lpv))  # the first maximum: the lowest id among equal log-probabilities
        top2 = np.sort(lpv.astype(np.float64))[-2:]
        margin.gap(top2[1], top2[0], "greedy top-2")
        raw += float(lpv[w])
        tokens.append(w)
        attn.append(al[0, :n].numpy())
        if w == EOS:
            break
        prev = w
    return tokens, raw / lp(len(tokens), alpha), np.stack(attn)


class Hyp:
    def __init__(self, tokens, raw, attn, state):
        self.tokens, self.raw, self.attn, self.state = tokens, raw, attn, state


def beam_search(model, enc, src_lens, b, beam, n_best, alpha, max_len, margin, stats):
    """Beam search of source b as model/search.h: [(tokens, normalized score, attention)] best
    first."""
    n = int(src_lens[b])
    live = [Hyp([], 0.0, [], enc[2][:, b:b + 1])]
    finished = []  # (normalized score, Hyp), in the order they finished
    held = None  # the n-best when there first were enough finished but the search went on
    while live:
        prev = torch.tensor([h.tokens[-1] if h.tokens else BOS for h in live])
        state = torch.cat([h.state for h in live], 1).contiguous()
        logp, al, state = model.step(enc, src_lens, prev, torch.full((len(live),), b), state)
        raw = np.array([h.raw for h in live]).reshape(-1, 1) + logp.numpy().astype(np.float64)
        raw = raw.reshape(-1)
        index = np.arange(raw.size)
        ranking = np.lexsort((index, -raw))  # raw score descending, ties by h * Vt + w
        taken = []
        for r, j in enumerate(ranking):
            h, w = divmod(int(j), VT)
            parent = live[h]
            hyp = Hyp(parent.tokens + [w], float(raw[j]), parent.attn + [al[h, :n].numpy()],
                      state[:, h:h + 1])
            if w == EOS:
                finished.append((hyp.raw / lp(len(hyp.tokens), alpha), hyp))
                if r > 0:
                    stats["eos_below_top"] += 1
            else:
                taken.append(hyp)
            if len(taken) == beam:
                if r + 1 < raw.size:
                    margin.gap(raw[j], raw[ranking[r + 1]], "beam cut")
                break
        live = taken
        if live and len(live[0].tokens) >= max_len:
            for hyp in live:
                finished.append((hyp.raw / lp(len(hyp.tokens), alpha), hyp))
            live = []
        if not live:
            break
        if len(finished) >= n_best:
            kth = sorted((s for s, _ in finished), reverse=True)[n_best - 1]
            bound = live[0].raw / lp(max_len, alpha)
            margin.gap(kth, bound, "stopping rule")
            if kth >= bound:
                stats["early_stops"] += 1
                break
            if held is None:
                held = sorted(range(len(finished)), key=lambda i: (-finished[i][0], i))[:n_best]
    if len(finished) < n_best:
        raise RuntimeError(f"source {b}: {len(finished)} finished hypotheses, n_best {n_best}")
    order = sorted(range(len(finished)), key=lambda i: (-finished[i][0], i))  # ties: first done
    scores = [finished[i][0] for i in order]
    if held is not None and held != order[:n_best]:
        stats["late_winners"] += 1  # going on past n_best finished mattered
    for i in range(min(n_best, len(scores) - 1)):
        margin.gap(scores[i], scores[i + 1], "n-best order")
    return [(finished[i][1].tokens, finished[i][0], np.stack(finished[i][1].attn))
            for i in order[:n_best]]


def decode_all(model, src, src_lens, runs):
    """Every run of RUNS over the batch: {name: (opts, [per source: [(tokens, score, attn)]],
    max_lens)}, the smallest decision gap, and statistics."""
    margin = Margin()
    stats = {"early_stops": 0, "eos_below_top": 0, "late_winners": 0}
    with torch.no_grad():
        enc = model.encode(src, src_lens)
    results = {}
    for name, beam, n_best, alpha, ratio in runs:
        per_src, max_lens = [], []
        for b in range(src.shape[1]):
            ml = max_len_of(ratio, int(src_lens[b]))
            max_lens.append(ml)
            if beam == 0:
                per_src.append([greedy(model, enc, src_lens, b, alpha, ml, margin)])
            else:
                per_src.append(beam_search(model, enc, src_lens, b, beam, n_best, alpha, ml,
                                           margin, stats))
        results[name] = ((beam, n_best, alpha, ratio), per_src, max_lens)
    return results, margin.min, stats


def decoding_weights_(model, seed, eos_bias):
    """Uniform ±0.5 weights, then: peaked next-token distributions (generator x GEN_SCALE), and
    a timer that makes <eos> likelier at every step, so that hypotheses end at varied lengths.
    The timer is unit 0 of the top decoder layer: its update gate is a constant sigmoid(ln 4) =
    0.8 and its candidate a constant tanh(3), so from its start (the bridge: bias -2, weights x
    TIMER_START_SCALE, so it depends on the source) it rises step by step towards 1;
    htilde_0 = tanh(2 s_0) reads it alone, and the generator's <eos> row weighs
    htilde_0 by TIMER_WEIGHT (plus eos_bias). Everything else stays random."""
    uniform_(model, seed)
    top, H = model.layers - 1, model.H
    with torch.no_grad():
        model.generator.weight.mul_(GEN_SCALE)
        model.generator.bias[EOS] += eos_bias
        w_ih = getattr(model.decoder, f"weight_ih_l{top}")
        w_hh = getattr(model.decoder, f"weight_hh_l{top}")
        b_ih = getattr(model.decoder, f"bias_ih_l{top}")
        b_hh = getattr(model.decoder, f"bias_hh_l{top}")
        for row in (H, 2 * H):  # z_0 and n_0: no input, no recurrence
            w_ih[row].zero_()
            w_hh[row].zero_()
        b_ih[H], b_hh[H] = math.log(4.0), 0.0
        b_ih[2 * H], b_hh[2 * H] = 3.0, 0.0
        model.bridge.weight[0].mul_(TIMER_START_SCALE)
        model.bridge.bias[0] = -2.0
        d = model.attn_combine.weight.shape[1] - H
        model.attn_combine.weight[0].zero_()
        model.attn_combine.weight[0, d] = 2.0
        model.generator.weight[EOS, 0] = TIMER_WEIGHT


def check_decoding(results, name):
    """Self-consistency of the search code and non-trivial outputs."""
    g, k1 = results["greedy_a0"][1], results["beam1_a0"][1]
    for b, (x, y) in enumerate(zip(g, k1)):
        if x[0][0] != y[0][0] or abs(x[0][1] - y[0][1]) > 1e-12:
            raise RuntimeError(f"{name}: source {b}: greedy {x[0][0]} {x[0][1]} but beam K=1 "
                               f"alpha 0 {y[0][0]} {y[0][1]}")
    for _, per_src, max_lens in results.values():
        for b, hyps in enumerate(per_src):
            for toks, _, _ in hyps:
                assert 1 <= len(toks) <= max_lens[b]
                assert all(t != EOS for t in toks[:-1])
                assert toks[-1] == EOS or len(toks) == max_lens[b]
            scores = [s for _, s, _ in hyps]
            assert scores == sorted(scores, reverse=True)
    lens = [len(h[0][0]) for h in g]
    by_eos = sum(h[0][0][-1] == EOS and len(h[0][0]) > 1 for h in g)
    at_max = sum(h[0][0][-1] != EOS and len(h[0][0]) > 1 for h in g)
    if len(set(lens)) < 3 or by_eos < 2 or at_max == 0:
        raise Ambiguous(f"greedy lengths {lens}: {by_eos} end with <eos> after 2 tokens or more, "
                        f"{at_max} at max_len > 1 (want 3 lengths or more, both endings)")
    for run in ("beam3_a0", "beam5_a1"):
        if not any(h[0][0][-1] == EOS and len(h[0][0]) > 1 for h in results[run][1]):
            raise Ambiguous(f"no best hypothesis of {run} ends with <eos> after 2 tokens or more")


def make_dec_case(index, case, path):
    cell, layers, bi, att = case[:4]
    heads, residual = case[4:] if len(case) > 4 else (0, False)
    sizes = (VS, VT, E, H_SA if heads == 4 else H)
    name = os.path.basename(path)
    # The first (seed, <eos> bias) whose decoding is clear-cut and varied.
    for seed, eos_bias in ((s, e) for s in range(DEC_SEED + 100 * index,
                                                  DEC_SEED + 100 * index + 20) for e in EOS_BIASES):
        model = Seq2Seq(cell, layers, bi, att, sizes, residual=residual, heads=heads).float()
        decoding_weights_(model, seed, eos_bias)
        src_lens = make_lens(DEC_TS, DEC_B)
        src = make_sources(DEC_TS, DEC_B, src_lens)
        try:
            results, gap, stats = decode_all(model, src, src_lens, RUNS)
            check_decoding(results, name)
            if stats["early_stops"] == 0:
                raise Ambiguous("no beam search stopped early")
            if stats["late_winners"] == 0:
                raise Ambiguous("no beam search found a better hypothesis after it had n_best")
            break
        except Ambiguous as e:
            if VERBOSE:
                print(f"{name}: seed {seed}, <eos> bias {eos_bias}: {e}; next")
    else:
        raise RuntimeError(f"{name}: no seed gave clear-cut and varied decoding")

    with h5py.File(path, "w") as f:
        write_header(f, "seq2seq-decode", model, seed)
        f.attrs["Ts"] = DEC_TS
        f.attrs["B"] = DEC_B
        f.create_dataset("src", data=src.numpy().astype(np.uint32))
        f.create_dataset("src_lens", data=src_lens.numpy().astype(np.int32))
        f.create_dataset("run_names", data=[r[0] for r in RUNS], dtype=h5py.string_dtype())
        for run, ((beam, n_best, alpha, ratio), per_src, max_lens) in results.items():
            g = f.create_group("runs/" + run)
            g.create_dataset("beam", data=np.int32(beam))
            g.create_dataset("n_best", data=np.int32(n_best))
            g.create_dataset("length_penalty", data=np.float64(alpha))
            g.create_dataset("max_ratio", data=np.float64(ratio))
            g.create_dataset("max_len", data=np.array(max_lens, dtype=np.int32))
            hyps = [h for hyps in per_src for h in hyps]
            offsets = np.cumsum([0] + [len(t) for t, _, _ in hyps]).astype(np.int64)
            attn_offsets = np.cumsum([0] + [a.size for _, _, a in hyps]).astype(np.int64)
            g.create_dataset("offsets", data=offsets)
            g.create_dataset("tokens", data=np.concatenate([t for t, _, _ in hyps])
                             .astype(np.uint32))
            g.create_dataset("scores", data=np.array([s for _, s, _ in hyps], dtype=np.float64))
            g.create_dataset("attn_offsets", data=attn_offsets)
            g.create_dataset("attn", data=np.concatenate([a.reshape(-1) for _, _, a in hyps])
                             .astype(np.float32))
            g.create_dataset("generated", data=np.int64(sum(len(h[0][0]) for h in per_src)))
        f.attrs["eos_bias"] = eos_bias
    return seed, eos_bias, results, gap, stats, src_lens.tolist()


def check_export(model_path, corpus_path, want_loss):
    """A drnn-export file loads into Seq2Seq with load_state_dict(strict=True), and its
    teacher-forced loss per target token over the corpus's valid pairs equals want_loss (what
    drnn-eval printed) within 1e-5 relative. Exit status 0 or 1."""
    f, c = h5py.File(model_path, "r"), h5py.File(corpus_path, "r")
    a = f.attrs
    attention = a["attention"].decode() if isinstance(a["attention"], bytes) else str(a["attention"])
    cell = a["cell"].decode() if isinstance(a["cell"], bytes) else str(a["cell"])
    sizes = (int(a["vocab_size"]), int(a["tgt_vocab_size"]), int(a["embed"]), int(a["hidden"]))
    model = Seq2Seq(cell, int(a["layers"]), bool(a["bidirectional"]), attention, sizes,
                    residual=bool(a.get("residual", 0)), heads=int(a.get("self_attention", 0)))
    sd = {k: torch.from_numpy(np.asarray(f[k])) for k in f if k not in ("vocab", "tgt_vocab")}
    model.load_state_dict(sd, strict=True)
    so = c["valid/src_offsets"][...].astype(np.int64)
    to = c["valid/tgt_offsets"][...].astype(np.int64)
    st, tt = c["valid/src_tokens"][...].astype(np.int64), c["valid/tgt_tokens"][...].astype(np.int64)
    n = len(so) - 1
    src_lens = torch.tensor([so[i + 1] - so[i] for i in range(n)])
    tgt_lens = torch.tensor([to[i + 1] - to[i] + 1 for i in range(n)])
    src = torch.full((int(src_lens.max()), n), PAD, dtype=torch.long)
    tgt_in = torch.full((int(tgt_lens.max()), n), PAD, dtype=torch.long)
    tgt_out = torch.full((int(tgt_lens.max()), n), PAD, dtype=torch.long)
    for i in range(n):
        y = torch.from_numpy(tt[to[i]:to[i + 1]])
        src[:so[i + 1] - so[i], i] = torch.from_numpy(st[so[i]:so[i + 1]])
        tgt_in[0, i], tgt_in[1:len(y) + 1, i] = BOS, y
        tgt_out[:len(y), i], tgt_out[len(y), i] = y, EOS
    with torch.no_grad():
        loss, _, _ = loss_sum(model, (src, src_lens, tgt_in, tgt_out, tgt_lens), torch.float64)
    got = float(loss) / float(tgt_lens.sum())
    ok = abs(got - want_loss) <= 1e-5 * abs(want_loss)
    print(f"torch loss {got:.9g}, drnn-eval {want_loss:.9g}: {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--check-export":
        sys.exit(check_export(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    if len(sys.argv) != 2:
        sys.exit("usage: seq2seq_reference.py OUT_DIR\n"
                 "       seq2seq_reference.py --check-export MODEL.h5 CORPUS.h5 LOSS")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # deterministic sums, and gentle on shared machines
    names = []
    for index, case in enumerate(CASES + EDGE_CASES + RES_CASES + SA_CASES + SA_EDGE_CASES):
        cell, layers, bi, att, _, _, _, _, _, tag = case[:10]
        assert valid(bi, att)
        name = case_name("s2s", cell, layers, bi, att, tag)
        loss, src_lens, tgt_lens, (fd_key, fd_err), noise = make_case(index, case,
                                                                     os.path.join(out, name))
        print(f"{name}: loss {loss:.7f}  src_lens {src_lens}  tgt_lens {tgt_lens}  "
              f"finite differences on {fd_key}: rel {fd_err:.1e}" +
              (f"  float32 noise {noise:.2f} of tol" if noise else ""))
        names.append(name)
    for index, case in enumerate(DEC_CASES + DEC_SA_CASES):
        assert valid(case[2], case[3])
        tag = f"sa{case[4]}{'_res' if case[5] else ''}" if len(case) > 4 else ""
        name = case_name("dec", *case[:4], tag)
        seed, eos_bias, results, gap, stats, src_lens = make_dec_case(index, case,
                                                                      os.path.join(out, name))
        print(f"{name}: seed {seed}  <eos> bias {eos_bias}  src_lens {src_lens}  "
              f"smallest decision gap {gap:.1e}  early stops {stats['early_stops']}  "
              f"<eos> finished below the top {stats['eos_below_top']}  "
              f"late winners {stats['late_winners']}")
        for run, (_, per_src, max_lens) in results.items():
            desc = "  ".join(f"{len(h[0][0])}{'e' if h[0][0][-1] == EOS else 'm'}/{ml}"
                             for h, ml in zip(per_src, max_lens))
            print(f"    {run:16s} best lengths (e: <eos>, m: max_len)/max_len: {desc}")
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
