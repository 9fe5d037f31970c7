"""spaCy's NER model run directly on its own weights, without thinc's layer graph.

Why: for a 1,000-character text, spaCy's `ner` spent about 13 ms, of which the matrix products
were under 4. The rest was thinc's layer calls (about 60 Python layers per call), and a greedy
decoding loop that takes and releases the GIL several times per token. Here the same arithmetic is
done by numpy calls in the same order (thinc's own kernels for hashing, gathering, windows) and
the decoding knows the NER transition system: with no entity open, the model's scores depend
only on the current token, so they are computed for every token at once; only the tokens inside
an entity need a step of their own.

Supported: the architecture of spaCy's French pipelines (`spacy.TransitionBasedParser.v2` with
`state_type: ner` over its own `spacy.Tok2Vec.v2`: `MultiHashEmbed.v2` and
`MaxoutWindowEncoder.v2`). `NerInference.build` returns None for anything else, and `FrenchNer`
then runs spaCy's component itself. `FrenchNer` also compares both on sample texts at start-up.

What spaCy does and this keeps (spacy/pipeline/_parser_internals/ner.pyx, ml/parser_model.pyx):
- features of a state: the current token, the first token of the open entity, the previous token
  (the last two only while an entity is open; else the model's padding vectors);
- valid moves without preset entities: B (entity open: no; last token: no; whitespace: no),
  I (same label, not the last token), L (same label), U (no entity open, not whitespace), O (no
  entity open); the first best valid move wins;
- documents are parsed in spaCy's batches: by length, `batch_size // 4` at a time, so that every
  matrix product has the shapes spaCy gives it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.tokens import Doc
from thinc.api import NumpyOps

# (start, end, spaCy label) of one entity, in characters of the text.
Entity = tuple[int, int, str]
Floats = NDArray[np.float32]

_OPS = NumpyOps(use_blis=False)
_SUPPORTED = {
    "@architectures": "spacy.TransitionBasedParser.v2",
    "state_type": "ner",
    "extra_state_tokens": False,
    "use_upper": True,
}
_EMBED = "spacy.MultiHashEmbed.v2"
_ENCODE = "spacy.MaxoutWindowEncoder.v2"
_LAYER_NORM_EPSILON = 1e-08  # thinc.layers.layernorm


@dataclass(frozen=True)
class _Maxout:
    """thinc's maxout, then its layer norm."""

    weights: Floats  # (outputs * pieces, inputs)
    bias: Floats  # (outputs * pieces,)
    pieces: int
    norm_scale: Floats
    norm_bias: Floats

    def __call__(self, inputs: Floats) -> Floats:
        out = np.dot(inputs, self.weights.T)
        out += self.bias
        best: Floats = _OPS.maxout(out.reshape((out.shape[0], -1, self.pieces)))[0]
        mu = best.mean(axis=1, keepdims=True)
        var = best.var(axis=1, keepdims=True) + _LAYER_NORM_EPSILON
        normed: Floats = (best - mu) * var ** (-1.0 / 2.0)
        scaled = normed * self.norm_scale
        scaled += self.norm_bias
        return scaled


@dataclass(frozen=True)
class _HashEmbed:
    column: int
    seed: int
    table: Floats

    def __call__(self, features: NDArray[np.uint64]) -> Floats:
        ids = np.ascontiguousarray(features[:, self.column], dtype="uint64")
        keys = _OPS.hash(ids, self.seed) % self.table.shape[0]
        embedded: Floats = _OPS.gather_add(self.table, keys)
        return embedded


@dataclass(frozen=True)
class _Moves:
    """The NER transition system's classes: B-, I-, L-, U- of each label, and O."""

    begin: list[int]  # class of B-label, by label index
    inside: list[int]
    last: list[int]
    unit: list[int]
    out: int
    labels: tuple[str, ...]

    @classmethod
    def of(cls, moves: Any) -> _Moves | None:
        names = [moves.get_class_name(i) for i in range(moves.n_moves)]
        labels = tuple(sorted({n[2:] for n in names if n[:2] in ("B-", "U-") and n[2:]}))
        index = {name: i for i, name in enumerate(names)}
        wanted = [f"{m}-{label}" for m in "BILU" for label in labels] + ["O"]
        # "U-" (no label) is never valid without preset entities; any other class is unknown here
        if not labels or set(names) - {*wanted, "U-"} or not set(wanted) <= set(names):
            return None
        by = {m: [index[f"{m}-{label}"] for label in labels] for m in "BILU"}
        return cls(by["B"], by["I"], by["L"], by["U"], index["O"], labels)

    def opened(self, move: int) -> int:
        """The label index of a B- move, else -1."""
        return self.begin.index(move) if move in self.begin else -1

    def unit_label(self, move: int) -> int:
        return self.unit.index(move) if move in self.unit else -1


@dataclass(frozen=True)
class _Weights:
    """The arrays of spaCy's NER model, by the layer they belong to."""

    columns: list[int | str]  # token attributes hashed by the embeddings
    embeds: list[_HashEmbed]
    static_weights: Floats | None  # static vectors' projection (None: the model uses none)
    mixer: _Maxout
    encoder: list[_Maxout]
    window: int
    encoder_pad: int
    proj_weights: Floats
    proj_bias: Floats
    lower_weights: Floats  # (features * hidden * pieces, proj width)
    lower_bias: Floats  # (hidden, pieces)
    lower_pad: Floats  # (features, hidden, pieces)
    upper_weights: Floats  # (classes, hidden)
    upper_bias: Floats


class NerInference:
    """The entities spaCy's `ner` component finds, from its weights. Build with `build`."""

    def __init__(self, vocab: Any, weights: _Weights, moves: _Moves) -> None:
        self._vocab = vocab
        self._w = weights
        self._moves = moves

    @classmethod
    def build(cls, nlp: Any) -> NerInference | None:
        """The fast path for this pipeline's `ner`, or None when its architecture is not the one
        supported here."""
        if "ner" not in nlp.pipe_names or not _supported_config(nlp.config["components"]["ner"]):
            return None
        component = nlp.get_pipe("ner")
        moves = _Moves.of(component.moves)
        weights = _weights(component.model, nlp.vocab)
        if moves is None or weights is None:
            return None
        return cls(nlp.vocab, weights, moves)

    def entities(self, docs: Sequence[Doc], batch_size: int) -> list[list[Entity]]:
        """Entities of each doc, in character offsets, as spaCy's `nlp.pipe` would set them."""
        found: dict[int, list[Entity]] = {}
        for subbatch in _spacy_batches(docs, batch_size):
            filled = [doc for doc in subbatch if len(doc)]
            for doc, entities in zip(filled, self._batch(filled), strict=True):
                found[id(doc)] = entities
        return [found.get(id(doc), []) for doc in docs]

    # -- the model ------------------------------------------------------------------------------

    def _batch(self, docs: list[Doc]) -> list[list[Entity]]:
        if not docs:
            return []
        vectors = self._token_vectors(docs)
        pre = np.dot(vectors, self._w.lower_weights.T)  # (tokens, features * hidden * pieces)
        pre = pre.reshape((pre.shape[0], *self._w.lower_pad.shape))
        results, start = [], 0
        for doc in docs:
            end = start + len(doc)
            results.append(self._decode(doc, pre[start:end]))
            start = end
        return results

    def _token_vectors(self, docs: list[Doc]) -> Floats:
        """spaCy's Tok2Vec: hashed embeddings and static vectors, mixed; then the window encoder
        over all docs at once, `pad` zero rows around each; then the projection to the hidden
        layer's input."""
        w = self._w
        features = np.concatenate([doc.to_array(w.columns).astype("uint64") for doc in docs])
        embedded = [embed(features) for embed in w.embeds]
        if w.static_weights is not None:
            embedded.append(self._static_vectors(docs, w.static_weights))
        mixed = w.mixer(np.hstack(embedded))
        encoded = self._encode(mixed, [len(doc) for doc in docs])
        projected: Floats = np.dot(encoded, w.proj_weights.T)
        projected += w.proj_bias
        return projected

    def _static_vectors(self, docs: list[Doc], weights: Floats) -> Floats:
        table = self._vocab.vectors
        keys = np.concatenate([doc.to_array(table.attr) for doc in docs])
        rows = table.find(keys=keys)
        vectors = np.ascontiguousarray(table.data[rows])
        out: Floats = np.dot(vectors, weights.T)
        out[rows < 0] = 0
        return out

    def _encode(self, vectors: Floats, lengths: list[int]) -> Floats:
        pad = self._w.encoder_pad
        zeros = np.zeros((pad, vectors.shape[1]), dtype=vectors.dtype)
        parts, start = [zeros], 0
        for length in lengths:
            parts += [vectors[start : start + length], zeros]
            start += length
        flat = np.concatenate(parts)
        for layer in self._w.encoder:
            flat = flat + layer(_OPS.seq2col(flat, self._w.window))
        kept, start = [], pad
        for length in lengths:
            kept.append(flat[start : start + length])
            start += length + pad
        return np.concatenate(kept)

    # -- the greedy decoding ---------------------------------------------------------------------

    def _decode(self, doc: Doc, pre: Floats) -> list[Entity]:
        """Walk the tokens: O/B/U from scores computed for all tokens at once; inside an entity,
        one step per token (its features depend on where the entity began)."""
        moves = self._moves
        n = len(doc)
        spans = doc.to_array([IDX, LENGTH, IS_SPACE])
        closed = self._closed_moves(pre, spans[:, 2].astype(bool))
        entities: list[Entity] = []
        i = 0
        while i < n:
            label = moves.opened(closed[i])
            if label < 0:  # O or U
                unit = moves.unit_label(closed[i])
                if unit >= 0:
                    entities.append(_entity(spans, i, i + 1, moves.labels[unit]))
                i += 1
                continue
            start, i = i, i + 1
            while not self._closes(pre, start, i, label, last=i == n - 1):
                i += 1
            entities.append(_entity(spans, start, i + 1, moves.labels[label]))
            i += 1
        return entities

    def _closed_moves(self, pre: Floats, space: NDArray[np.bool_]) -> list[int]:
        """The best valid move at each token when no entity is open."""
        moves, w = self._moves, self._w
        hidden = pre[:, 0] + w.lower_pad[1]
        hidden += w.lower_pad[2]
        hidden += w.lower_bias
        scores = self._scores(hidden)
        valid = np.zeros(scores.shape, dtype=bool)
        valid[:, moves.out] = True
        valid[:, moves.unit] = ~space[:, None]
        can_begin = ~space
        can_begin[-1] = False
        valid[:, moves.begin] = can_begin[:, None]
        scores[~valid] = -np.inf
        best: list[int] = scores.argmax(axis=1).tolist()
        return best

    def _closes(self, pre: Floats, start: int, i: int, label: int, *, last: bool) -> bool:
        """Inside an entity of `label` begun at `start`: does token `i` end it (L) or not (I)?"""
        if last:
            return True  # I is not valid on the last token
        hidden = pre[i, 0] + pre[start, 1]
        hidden += pre[i - 1, 2]
        hidden += self._w.lower_bias
        scores = self._scores(hidden[None])[0]
        moves = self._moves
        return bool(scores[moves.last[label]] > scores[moves.inside[label]])

    def _scores(self, hidden: Floats) -> Floats:
        best = _pieces_max(hidden)
        scores: Floats = np.dot(best, self._w.upper_weights.T)
        scores += self._w.upper_bias
        return scores


def _pieces_max(hidden: Floats) -> Floats:
    """Max over the last axis: numpy's reduction is slow on so short an axis."""
    best = hidden[..., 0]
    for piece in range(1, hidden.shape[-1]):
        best = np.maximum(best, hidden[..., piece])
    return best


def _entity(spans: NDArray[Any], start: int, end: int, label: str) -> Entity:
    return (int(spans[start, 0]), int(spans[end - 1, 0] + spans[end - 1, 1]), label)


def _spacy_batches(docs: Sequence[Doc], batch_size: int) -> Iterator[list[Doc]]:
    """As spaCy's parser pipes: batches of `batch_size`, each sorted by length and cut in
    sub-batches of `batch_size // 4` (at least 2)."""
    size = max(batch_size // 4, 2)
    for first in range(0, len(docs), batch_size):
        by_length = sorted(docs[first : first + batch_size], key=len)
        for start in range(0, len(by_length), size):
            yield by_length[start : start + size]


def _supported_config(config: dict[str, Any]) -> bool:
    model = config.get("model", {})
    tok2vec = model.get("tok2vec", {})
    return (
        all(model.get(key) == value for key, value in _SUPPORTED.items())
        and tok2vec.get("@architectures") == "spacy.Tok2Vec.v2"
        and tok2vec.get("embed", {}).get("@architectures") == _EMBED
        and tok2vec.get("encode", {}).get("@architectures") == _ENCODE
    )


def _weights(model: Any, vocab: Any) -> _Weights | None:
    """The arrays of the layers, found by name in the layer tree (pre-order, left to right)."""
    nodes = list(model.walk(order="dfs_pre"))
    named: dict[str, list[Any]] = {}
    for node in nodes:
        named.setdefault(node.name, []).append(node)
    maxouts, norms = named.get("maxout", []), named.get("layernorm", [])
    windows = named.get("expand_window", [])
    padded = [n for n in nodes if n.name.startswith("with_array(") and n.attrs.get("pad", 0) > 0]
    if len(maxouts) < 2 or len(maxouts) != len(norms) or len(model.layers) != 3 or len(padded) != 1:
        return None
    if len(windows) != len(maxouts) - 1 or len({w.attrs["window_size"] for w in windows}) != 1:
        return None
    static = named.get("static_vectors", [])
    if static and getattr(vocab.vectors, "mode", "default") != "default":
        return None
    tok2vec, lower, upper = model.layers
    projection = tok2vec.layers[-1]
    layers = [_maxout(m, n) for m, n in zip(maxouts, norms, strict=True)]
    embeds = [_HashEmbed(h.attrs["column"], h.attrs["seed"], h.get_param("E")) for h in named["hashembed"]]
    return _Weights(
        columns=list(named["extract_features"][0].attrs["columns"]),
        embeds=sorted(embeds, key=lambda embed: embed.column),
        static_weights=static[0].get_param("W") if static else None,
        mixer=layers[0],
        encoder=layers[1:],
        window=windows[0].attrs["window_size"],
        encoder_pad=padded[0].attrs["pad"],
        proj_weights=projection.get_param("W"),
        proj_bias=projection.get_param("b"),
        lower_weights=_lower_matrix(lower),
        lower_bias=lower.get_param("b"),
        lower_pad=lower.get_param("pad")[0],
        upper_weights=upper.get_param("W"),
        upper_bias=upper.get_param("b"),
    )


def _maxout(maxout: Any, norm: Any) -> _Maxout:
    outputs, pieces, inputs = (maxout.get_dim(d) for d in ("nO", "nP", "nI"))
    weights = maxout.get_param("W").reshape((outputs * pieces, inputs))
    bias = maxout.get_param("b").reshape((outputs * pieces,))
    return _Maxout(weights, bias, pieces, norm.get_param("G"), norm.get_param("b"))


def _lower_matrix(lower: Any) -> Floats:
    features, outputs, pieces, inputs = (lower.get_dim(d) for d in ("nF", "nO", "nP", "nI"))
    weights: Floats = lower.get_param("W").reshape((features * outputs * pieces, inputs))
    return weights
