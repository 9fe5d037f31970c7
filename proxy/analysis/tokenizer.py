"""spaCy's tokenizer, memoised per whitespace-separated chunk of text.

spaCy caches the tokenisation of each chunk itself, but stops caching for the rest of a text as soon
as one chunk hits a special case (its `has_special` flag is set per text, not per chunk), and nearly
every French text has one early (an elision such as « l' », an abbreviation such as « M. »). It then
runs its affix regexes on every following word: about 3 ms per 1,000 characters, a fifth of the
NER's cost. This wrapper tokenises each distinct chunk once with the real tokenizer and rebuilds the
same `Doc` from the cached token lengths. spaCy's own cache is turned off: its result for a chunk
can depend on the texts seen before, this one's cannot.

One spaCy step does look across chunks: special cases made of several tokens (emoticons such as
« :) », abbreviations such as « M. ») are matched on the whole text, and a match that straddles a
space (« : ) ») can change how the next chunk is split. Texts where such a match is possible, rare
outside emoticons, are tokenised by spaCy itself, so the result is always spaCy's.

Keys are salted 64-bit hashes and values token lengths (plus the rare special-case norm): the cache
holds no text. It is bounded (cleared when full) and lives in memory only.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

# A chunk's tokens: (length, norm) each, norm None when it is the lexeme's own.
_Tokens = tuple[tuple[int, str | None], ...]

_PIECES = re.compile(r"\S+|\s+")


class ChunkCachedTokenizer:
    """Gives the same `Doc` as `tokenizer(text)`, faster on French text. Not thread-safe on its own:
    `FrenchNer` calls it under its lock."""

    def __init__(self, tokenizer: Tokenizer, max_entries: int = 100_000) -> None:
        self.tokenizer = tokenizer
        tokenizer.max_cache_size = 0
        self.vocab: Any = tokenizer.vocab
        self._max_entries = max_entries
        self._chunks: dict[int, _Tokens] = {}
        self._straddles = _StraddlingSpecialCases(tokenizer)

    def __call__(self, text: str) -> Doc:
        pieces = _PIECES.findall(text)
        if self._straddles.found_in(pieces):
            spacy_doc: Doc = self.tokenizer(text)
            return spacy_doc
        words: list[str] = []
        spaces: list[bool] = []
        norms: list[tuple[int, str]] = []
        for piece in pieces:
            if piece[0] == " " and words and not spaces[-1]:
                # spaCy's rule: a single space after a token is that token's trailing whitespace.
                spaces[-1] = True
                piece = piece[1:]
                if not piece:
                    continue
            self._append(piece, words, spaces, norms)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for index, norm in norms:
            doc[index].norm_ = norm
        return doc

    def _append(self, chunk: str, words: list[str], spaces: list[bool], norms: list[tuple[int, str]]) -> None:
        offset = 0
        for length, norm in self._tokens(chunk):
            if norm is not None:
                norms.append((len(words), norm))
            words.append(chunk[offset : offset + length])
            spaces.append(False)
            offset += length

    def _tokens(self, chunk: str) -> _Tokens:
        key = hash(chunk)
        cached = self._chunks.get(key)
        if cached is not None and sum(length for length, _ in cached) == len(chunk):
            return cached
        doc = self.tokenizer(chunk)
        tokens = tuple((len(t.text), t.norm_ if t.norm != t.lex.norm else None) for t in doc)
        if len(self._chunks) >= self._max_entries:
            self._chunks.clear()
        self._chunks[key] = tokens
        return tokens


class _StraddlingSpecialCases:
    """Where one of spaCy's multi-token special cases could be matched across a space.

    spaCy matches them on the affix-split tokens of the whole text. A match that crosses a space
    first crosses it after some of its tokens, which end the chunk before the space, and the next
    token starts the chunk after it: that is what is looked for, at each space, by the two
    characters around it. Never misses a crossing; may see one where spaCy finds none (harmless:
    spaCy then tokenises the text itself)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        plain = Tokenizer(  # spaCy's affix rules without its special cases
            tokenizer.vocab,
            rules={},
            prefix_search=tokenizer.prefix_search,
            suffix_search=tokenizer.suffix_search,
            infix_finditer=tokenizer.infix_finditer,
            token_match=tokenizer.token_match,
            url_match=tokenizer.url_match,
        )
        self._splits: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for special in _matched_special_cases(tokenizer):
            tokens = [token.text for token in plain(special)]
            for cut in range(1, len(tokens)):
                before, after = "".join(tokens[:cut]), tokens[cut]
                self._splits.setdefault((before[-1], after[0]), []).append((before, after))

    def found_in(self, pieces: list[str]) -> bool:
        for index in range(1, len(pieces) - 1):
            before, after = pieces[index - 1], pieces[index + 1]
            if not pieces[index].isspace() or before.isspace() or after.isspace():
                continue
            for end, start in self._splits.get((before[-1], after[0]), ()):
                if before.endswith(end) and after.startswith(start):
                    return True
        return False


def _matched_special_cases(tokenizer: Tokenizer) -> list[str]:
    """The special cases spaCy looks for on the whole text (its own selection rule)."""
    return [
        special
        for special in tokenizer.rules or {}
        if not tokenizer.faster_heuristics
        or tokenizer.find_prefix(special)
        or tokenizer.find_infix(special)
        or tokenizer.find_suffix(special)
        or " " in special
    ]
