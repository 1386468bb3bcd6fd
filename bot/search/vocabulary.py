"""The index's words, in memory, for prefix checks and typo correction.

Built from the search documents when content is loaded (and on /reload). A query word that
is neither a word of the index nor (the last word, being typed) the start of one is
corrected to the nearest words within an edit distance that grows with its length, as
Meilisearch and Typesense do: one typo from 4 letters, two from 8.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_CORRECTIONS = 3


def allowed_typos(word: str) -> int:
    if word.isdigit():
        return 0
    return 2 if len(word) >= 8 else 1 if len(word) >= 4 else 0


class Words:
    """One set of index words (folded forms, or Latin skeletons) with their frequencies."""

    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts
        self.sorted = sorted(counts)
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for word in self.sorted:
            self.by_length[len(word)].append(word)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def frequency(self, word: str, prefix: bool, cap: int) -> int:
        """Documents holding the word (or, with prefix, any word it starts), up to `cap`."""
        if not prefix:
            return self.counts.get(word, 0)
        total = 0
        for other in self.sorted[bisect.bisect_left(self.sorted, word) :]:
            if not other.startswith(word) or total >= cap:
                break
            total += self.counts[other]
        return min(total, cap)

    def has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.sorted, prefix)
        return i < len(self.sorted) and self.sorted[i].startswith(prefix)

    def correct(self, word: str) -> list[str]:
        """The nearest words within the allowed typos, most frequent first; [] if none."""
        k = allowed_typos(word)
        if k == 0:
            return []
        choices = [w for n in range(len(word) - k, len(word) + k + 1) for w in self.by_length[n]]
        found = process.extract(
            word, choices, scorer=Levenshtein.distance, score_cutoff=k, limit=None
        )
        if not found:
            return []
        best = min(distance for _, distance, _ in found)
        nearest = [w for w, distance, _ in found if distance == best]
        nearest.sort(key=lambda w: (w[0] != word[0], -self.counts[w]))
        return nearest[:MAX_CORRECTIONS]


class Vocabulary:
    """The folded words (with stems) and the skeletons of one loaded content."""

    def __init__(
        self,
        exact: Iterable[str],
        loose: Iterable[str],
        shown: dict[str, str],
        named: dict[str, tuple[str, str]] | None = None,
        keys: Iterable[str] = (),
    ) -> None:
        # Counts are of documents (each word once per document): what bounds a match.
        self.exact = Words(Counter(exact))
        self.keys = Words(Counter(keys))  # the keys column alone: titles, dates, acronyms
        self.loose = Words(Counter(loose))
        self.shown = shown  # folded or skeleton form → a word as the content writes it
        self.named = named or {}  # an agency's acronym (folded, skeleton) → (kind, id)

    def display(self, form: str, typed: str) -> str:
        """A correction as the content writes it: of the words that start with the
        corrected form (a stem: ледник), the one nearest to what was typed (ледники)."""
        near = self._shown_starting(self.exact, form)
        if not near and form not in self.shown:
            # A Latin skeleton of a stem (lednik): the content's word it starts (ледников)
            # rather than the skeleton itself.
            near = self._shown_starting(self.loose, form)
        best = min(near, key=lambda w: (Levenshtein.distance(w, typed), w), default=form)
        return self.shown.get(best, best)

    def _shown_starting(self, words: Words, form: str) -> list[str]:
        """The shown words of `words` that start with `form`, at most 4 letters longer."""
        near: list[str] = []
        i = bisect.bisect_left(words.sorted, form)
        for word in words.sorted[i : i + 50]:
            if not word.startswith(form):
                break
            if word in self.shown and len(word) <= len(form) + 4:
                near.append(word)
        return near
